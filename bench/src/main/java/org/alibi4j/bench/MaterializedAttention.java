package org.alibi4j.bench;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import org.alibi4j.AlibiPositionalBias;
import org.alibi4j.AlibiSlopes;
import org.alibi4j.BiasTensor;

/**
 * The baseline of the fused prefill: attention as it is written without fusion, the way HF BLOOM does
 * it in PyTorch ({@code baddbmm}, {@code softmax}, {@code bmm}), in multi-threaded Java with Vector API
 * matmul loops. Three passes over a materialised {@code [T, i, j]} score array:
 *
 * <ol>
 *   <li>{@code scores = bias + scale * Q K^T}: each row of the bias, from {@link AlibiPositionalBias#forward}
 *       or {@code forwardCausal} (cached after the first call, as an engine keeps it), copied into the
 *       scores and the scaled products added on; a micro-kernel keeps 4 queries x 4 vectors of keys in
 *       16 accumulators over keys transposed once per call into contiguous panels of one block's keys
 *       (GEMM packing);</li>
 *   <li>a row softmax in place ({@code exp} of the Vector API);</li>
 *   <li>{@code out = P V / sum}, 4 queries x 4 vectors of the head dimension in accumulators.</li>
 * </ol>
 *
 * Under a causal mask it computes only the keys a block of queries can see (rounded up to a vector),
 * rather than the full square BLOOM computes, so the comparison does not flatter the fused kernel.
 * Work is split over (head, block of 4 queries) items pulled by {@code threads} threads. Loaded only
 * with the Vector API module.
 */
final class MaterializedAttention implements AutoCloseable {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int L = SPECIES.length();
    /** Query rows per block. */
    private static final int ROWS = 4;
    /** Vectors (of keys, or of the head dimension) per block. */
    private static final int COLS = 4;

    private final AttentionShape shape;
    private final int threads;
    private final ForkJoinPool pool;
    private final AlibiPositionalBias alibi;
    private final float scale;
    private final float[] scores;
    private final float[] keysT;
    private final float[] rowScale;

    MaterializedAttention(AttentionShape shape, AlibiSlopes slopes, float scale, int threads) {
        this.shape = shape;
        this.threads = threads;
        this.pool = new ForkJoinPool(threads);
        this.alibi = AlibiPositionalBias.builder(slopes.count()).slopes(slopes).totalHeads(shape.heads()).backend("cpu").build();
        this.scale = scale;
        this.scores = new float[Math.toIntExact((long) shape.heads() * shape.i() * shape.j())];
        this.keysT = new float[Math.toIntExact((long) shape.kvHeads() * shape.d() * shape.j())];
        this.rowScale = new float[shape.heads() * shape.i()];
    }

    /** {@code out = softmax(scale * q k^T + bias) v}; q and out {@code [T, i, d]}, k and v {@code [G, j, d]}, dense floats. */
    float[] attend(float[] q, float[] k, float[] v, float[] out) {
        int i = shape.i();
        int j = shape.j();
        int d = shape.d();
        BiasTensor bias = shape.causal() ? alibi.forwardCausal(i, j) : alibi.forward(i, j);
        parallel(shape.kvHeads(), g -> transposeKeys(k, g));
        int blocks = (i + ROWS - 1) / ROWS;
        int items = shape.heads() * blocks;
        parallel(items, item -> scores(bias, q, item / blocks, item % blocks * ROWS));
        parallel(items, item -> softmax(item / blocks, item % blocks * ROWS));
        parallel(items, item -> weighted(v, out, item / blocks, item % blocks * ROWS));
        return out;
    }

    /** Keys a query row sees: all of them, or those up to its position under a causal mask (may be <= 0). */
    private int visible(int r) {
        return shape.causal() ? Math.min(shape.j(), shape.j() - shape.i() + r + 1) : shape.j();
    }

    /** Keys computed for a block: what its last row sees, rounded up to a whole vector (the rest are -inf). */
    private int blockKeys(int r0) {
        int last = Math.min(shape.i(), r0 + ROWS) - 1;
        int n = visible(last);
        return n <= 0 ? 0 : Math.min(shape.j(), (n + L - 1) / L * L);
    }

    /**
     * Packs head {@code g}'s keys transposed in panels of {@link #PANEL} keys: panel {@code p} holds
     * {@code [d, width]} (width {@code PANEL}, less in the last), contiguous, so a block's loads walk one
     * panel of at most 32 KiB instead of rows {@code j} floats apart (which all fall in one L1 set).
     */
    private void transposeKeys(float[] k, int g) {
        int j = shape.j();
        int d = shape.d();
        int src = g * j * d;
        for (int key = 0; key < j; key++) {
            int panel = panel(g, key);
            int width = width(key);
            for (int c = 0; c < d; c++) {
                keysT[panel + c * width + key % PANEL] = k[src + key * d + c];
            }
        }
    }

    /** Keys per panel of {@link #keysT}: one block's worth. */
    private static final int PANEL = COLS * L;

    /** Where the panel holding {@code key} of key/value head {@code g} starts in {@link #keysT}. */
    private int panel(int g, int key) {
        return g * shape.d() * shape.j() + key / PANEL * PANEL * shape.d();
    }

    /** The keys in the panel holding {@code key}. */
    private int width(int key) {
        return Math.min(PANEL, shape.j() - key / PANEL * PANEL);
    }

    /** Pass 1, one block: the bias rows copied in, then {@code scores += scale * Q K^T} over the block's keys. */
    private void scores(BiasTensor bias, float[] q, int h, int r0) {
        int i = shape.i();
        int j = shape.j();
        int d = shape.d();
        int rows = Math.min(ROWS, i - r0);
        MemorySegment b = bias.segment();
        long[] strides = bias.strides();
        for (int r = r0; r < r0 + rows; r++) {
            long from = (bias.offset() + h * strides[0] + r * strides[1]) * Float.BYTES;
            MemorySegment.copy(b, ValueLayout.JAVA_FLOAT, from, scores, (h * i + r) * j, j);
        }
        int keys = blockKeys(r0);
        int g = h / (shape.heads() / shape.kvHeads());
        int s = (h * i + r0) * j;
        int qr = (h * i + r0) * d;
        FloatVector sc = FloatVector.broadcast(SPECIES, scale);
        int key = 0;
        if (rows == ROWS) {
            for (; key + COLS * L <= keys; key += COLS * L) {
                FloatVector a00 = FloatVector.zero(SPECIES), a01 = a00, a02 = a00, a03 = a00;
                FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
                FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
                FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
                int panel = panel(g, key); // a whole panel: width PANEL
                for (int c = 0; c < d; c++) {
                    int at = panel + c * PANEL;
                    FloatVector k0 = FloatVector.fromArray(SPECIES, keysT, at);
                    FloatVector k1 = FloatVector.fromArray(SPECIES, keysT, at + L);
                    FloatVector k2 = FloatVector.fromArray(SPECIES, keysT, at + 2 * L);
                    FloatVector k3 = FloatVector.fromArray(SPECIES, keysT, at + 3 * L);
                    FloatVector x = FloatVector.broadcast(SPECIES, q[qr + c]);
                    a00 = k0.fma(x, a00);
                    a01 = k1.fma(x, a01);
                    a02 = k2.fma(x, a02);
                    a03 = k3.fma(x, a03);
                    x = FloatVector.broadcast(SPECIES, q[qr + d + c]);
                    a10 = k0.fma(x, a10);
                    a11 = k1.fma(x, a11);
                    a12 = k2.fma(x, a12);
                    a13 = k3.fma(x, a13);
                    x = FloatVector.broadcast(SPECIES, q[qr + 2 * d + c]);
                    a20 = k0.fma(x, a20);
                    a21 = k1.fma(x, a21);
                    a22 = k2.fma(x, a22);
                    a23 = k3.fma(x, a23);
                    x = FloatVector.broadcast(SPECIES, q[qr + 3 * d + c]);
                    a30 = k0.fma(x, a30);
                    a31 = k1.fma(x, a31);
                    a32 = k2.fma(x, a32);
                    a33 = k3.fma(x, a33);
                }
                // written out: a helper taking vectors, if C2 does not inline it, gets them boxed
                int s0 = s + key, s1 = s0 + j, s2 = s1 + j, s3 = s2 + j;
                a00.fma(sc, FloatVector.fromArray(SPECIES, scores, s0)).intoArray(scores, s0);
                a01.fma(sc, FloatVector.fromArray(SPECIES, scores, s0 + L)).intoArray(scores, s0 + L);
                a02.fma(sc, FloatVector.fromArray(SPECIES, scores, s0 + 2 * L)).intoArray(scores, s0 + 2 * L);
                a03.fma(sc, FloatVector.fromArray(SPECIES, scores, s0 + 3 * L)).intoArray(scores, s0 + 3 * L);
                a10.fma(sc, FloatVector.fromArray(SPECIES, scores, s1)).intoArray(scores, s1);
                a11.fma(sc, FloatVector.fromArray(SPECIES, scores, s1 + L)).intoArray(scores, s1 + L);
                a12.fma(sc, FloatVector.fromArray(SPECIES, scores, s1 + 2 * L)).intoArray(scores, s1 + 2 * L);
                a13.fma(sc, FloatVector.fromArray(SPECIES, scores, s1 + 3 * L)).intoArray(scores, s1 + 3 * L);
                a20.fma(sc, FloatVector.fromArray(SPECIES, scores, s2)).intoArray(scores, s2);
                a21.fma(sc, FloatVector.fromArray(SPECIES, scores, s2 + L)).intoArray(scores, s2 + L);
                a22.fma(sc, FloatVector.fromArray(SPECIES, scores, s2 + 2 * L)).intoArray(scores, s2 + 2 * L);
                a23.fma(sc, FloatVector.fromArray(SPECIES, scores, s2 + 3 * L)).intoArray(scores, s2 + 3 * L);
                a30.fma(sc, FloatVector.fromArray(SPECIES, scores, s3)).intoArray(scores, s3);
                a31.fma(sc, FloatVector.fromArray(SPECIES, scores, s3 + L)).intoArray(scores, s3 + L);
                a32.fma(sc, FloatVector.fromArray(SPECIES, scores, s3 + 2 * L)).intoArray(scores, s3 + 2 * L);
                a33.fma(sc, FloatVector.fromArray(SPECIES, scores, s3 + 3 * L)).intoArray(scores, s3 + 3 * L);
            }
        }
        // what is left: one row and one vector at a time, then single keys
        for (int r = 0; r < rows; r++) {
            int row = s + r * j;
            int qv = qr + r * d;
            int kk = key;
            for (; kk + L <= keys; kk += L) { // PANEL is a multiple of L: no vector straddles two panels
                int at = panel(g, kk) + kk % PANEL;
                int width = width(kk);
                FloatVector a = FloatVector.zero(SPECIES);
                for (int c = 0; c < d; c++) {
                    a = FloatVector.fromArray(SPECIES, keysT, at + c * width).fma(FloatVector.broadcast(SPECIES, q[qv + c]), a);
                }
                a.fma(sc, FloatVector.fromArray(SPECIES, scores, row + kk)).intoArray(scores, row + kk);
            }
            for (; kk < keys; kk++) {
                int at = panel(g, kk) + kk % PANEL;
                int width = width(kk);
                float a = 0;
                for (int c = 0; c < d; c++) {
                    a = Math.fma(keysT[at + c * width], q[qv + c], a);
                }
                scores[row + kk] = Math.fma(a, scale, scores[row + kk]);
            }
        }
    }

    /**
     * Pass 2, one block: each row's visible scores become {@code exp(s - max)} in place, {@code 1 / sum}
     * goes to {@code rowScale}; the block's keys past a row's own become 0 so that pass 3 can run every
     * row of the block over the same keys.
     *
     * <p>Weights below the smallest normal float are flushed to zero (each changes the output by less
     * than 2^-126 of a value): ALiBi drives far keys' weights into the subnormal range, and fused
     * multiply-adds on subnormal operands take microcode assists on x86. Without the flush pass 3 took
     * 4.5x as long on P1 here (0.90 s against 0.20 s), which would flatter the fused kernels.
     */
    private void softmax(int h, int r0) {
        int i = shape.i();
        int j = shape.j();
        int keys = blockKeys(r0);
        for (int r = r0; r < Math.min(i, r0 + ROWS); r++) {
            int row = (h * i + r) * j;
            int n = Math.max(0, visible(r));
            FloatVector max = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
            int k = 0;
            for (; k + L <= n; k += L) {
                max = max.max(FloatVector.fromArray(SPECIES, scores, row + k));
            }
            float m = max.reduceLanes(VectorOperators.MAX);
            for (; k < n; k++) {
                m = Math.max(m, scores[row + k]);
            }
            FloatVector mv = FloatVector.broadcast(SPECIES, m);
            FloatVector zero = FloatVector.zero(SPECIES);
            FloatVector sum = FloatVector.zero(SPECIES);
            k = 0;
            for (; k + L <= n; k += L) {
                FloatVector p = FloatVector.fromArray(SPECIES, scores, row + k).sub(mv).lanewise(VectorOperators.EXP);
                p = p.blend(zero, p.compare(VectorOperators.LT, Float.MIN_NORMAL)); // flush subnormal weights
                p.intoArray(scores, row + k);
                sum = sum.add(p);
            }
            float total = sum.reduceLanes(VectorOperators.ADD);
            for (; k < n; k++) {
                float p = (float) Math.exp(scores[row + k] - m);
                p = p < Float.MIN_NORMAL ? 0.0f : p;
                scores[row + k] = p;
                total += p;
            }
            java.util.Arrays.fill(scores, row + n, row + Math.max(n, keys), 0.0f);
            rowScale[h * i + r] = n == 0 ? 0.0f : 1.0f / total; // a row that sees no key outputs zeros
        }
    }

    /** Pass 3, one block: {@code out = (P V) / sum} over the block's keys. */
    private void weighted(float[] v, float[] out, int h, int r0) {
        int i = shape.i();
        int j = shape.j();
        int d = shape.d();
        int rows = Math.min(ROWS, i - r0);
        int keys = blockKeys(r0);
        int vb = h / (shape.heads() / shape.kvHeads()) * j * d;
        int p = (h * i + r0) * j;
        int o = (h * i + r0) * d;
        int c = 0;
        if (rows == ROWS) {
            for (; c + COLS * L <= d; c += COLS * L) {
                FloatVector a00 = FloatVector.zero(SPECIES), a01 = a00, a02 = a00, a03 = a00;
                FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
                FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
                FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
                for (int key = 0; key < keys; key++) {
                    int at = vb + key * d + c;
                    FloatVector v0 = FloatVector.fromArray(SPECIES, v, at);
                    FloatVector v1 = FloatVector.fromArray(SPECIES, v, at + L);
                    FloatVector v2 = FloatVector.fromArray(SPECIES, v, at + 2 * L);
                    FloatVector v3 = FloatVector.fromArray(SPECIES, v, at + 3 * L);
                    FloatVector x = FloatVector.broadcast(SPECIES, scores[p + key]);
                    a00 = v0.fma(x, a00);
                    a01 = v1.fma(x, a01);
                    a02 = v2.fma(x, a02);
                    a03 = v3.fma(x, a03);
                    x = FloatVector.broadcast(SPECIES, scores[p + j + key]);
                    a10 = v0.fma(x, a10);
                    a11 = v1.fma(x, a11);
                    a12 = v2.fma(x, a12);
                    a13 = v3.fma(x, a13);
                    x = FloatVector.broadcast(SPECIES, scores[p + 2 * j + key]);
                    a20 = v0.fma(x, a20);
                    a21 = v1.fma(x, a21);
                    a22 = v2.fma(x, a22);
                    a23 = v3.fma(x, a23);
                    x = FloatVector.broadcast(SPECIES, scores[p + 3 * j + key]);
                    a30 = v0.fma(x, a30);
                    a31 = v1.fma(x, a31);
                    a32 = v2.fma(x, a32);
                    a33 = v3.fma(x, a33);
                }
                // written out, as in pass 1
                float inv0 = rowScale[h * i + r0 + 0];
                int o0 = o + c;
                a00.mul(inv0).intoArray(out, o0);
                a01.mul(inv0).intoArray(out, o0 + L);
                a02.mul(inv0).intoArray(out, o0 + 2 * L);
                a03.mul(inv0).intoArray(out, o0 + 3 * L);
                float inv1 = rowScale[h * i + r0 + 1];
                int o1 = o + 1 * d + c;
                a10.mul(inv1).intoArray(out, o1);
                a11.mul(inv1).intoArray(out, o1 + L);
                a12.mul(inv1).intoArray(out, o1 + 2 * L);
                a13.mul(inv1).intoArray(out, o1 + 3 * L);
                float inv2 = rowScale[h * i + r0 + 2];
                int o2 = o + 2 * d + c;
                a20.mul(inv2).intoArray(out, o2);
                a21.mul(inv2).intoArray(out, o2 + L);
                a22.mul(inv2).intoArray(out, o2 + 2 * L);
                a23.mul(inv2).intoArray(out, o2 + 3 * L);
                float inv3 = rowScale[h * i + r0 + 3];
                int o3 = o + 3 * d + c;
                a30.mul(inv3).intoArray(out, o3);
                a31.mul(inv3).intoArray(out, o3 + L);
                a32.mul(inv3).intoArray(out, o3 + 2 * L);
                a33.mul(inv3).intoArray(out, o3 + 3 * L);
            }
        }
        for (int r = 0; r < rows; r++) {
            int row = p + r * j;
            int orow = o + r * d;
            float inv = rowScale[h * i + r0 + r];
            int cc = c;
            for (; cc + L <= d; cc += L) {
                FloatVector a = FloatVector.zero(SPECIES);
                for (int key = 0; key < keys; key++) {
                    a = FloatVector.fromArray(SPECIES, v, vb + key * d + cc).fma(FloatVector.broadcast(SPECIES, scores[row + key]), a);
                }
                a.mul(inv).intoArray(out, orow + cc);
            }
            for (; cc < d; cc++) {
                float a = 0;
                for (int key = 0; key < keys; key++) {
                    a = Math.fma(v[vb + key * d + cc], scores[row + key], a);
                }
                out[orow + cc] = a * inv;
            }
        }
    }

    /** Runs {@code body} for items {@code [0, items)}, pulled one at a time by {@code threads} workers. */
    private void parallel(int items, IntConsumer body) {
        AtomicInteger next = new AtomicInteger();
        Runnable worker = () -> {
            for (int item = next.getAndIncrement(); item < items; item = next.getAndIncrement()) {
                body.accept(item);
            }
        };
        List<ForkJoinTask<?>> tasks = new ArrayList<>(threads);
        for (int t = 0; t < Math.min(threads, items); t++) {
            tasks.add(pool.submit(worker));
        }
        for (ForkJoinTask<?> task : tasks) {
            task.join();
        }
    }

    @Override
    public void close() {
        pool.close();
        alibi.close();
    }
}
