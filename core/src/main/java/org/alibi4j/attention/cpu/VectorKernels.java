package org.alibi4j.attention.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The kernels on the Vector API, at the JVM's preferred width (chosen at run time: 512-bit on AVX-512,
 * 256-bit on AVX2). Loaded only by {@link Vectorization}, and only where the module is present.
 *
 * <p>Prefill is a register-blocking problem: each micro-kernel keeps a block of query vectors by 6 keys
 * (or 6 head elements) of accumulators in registers and per step loads the query vectors and broadcasts
 * 6 key (value) elements: 4 by 6 (24 accumulators, 2.4 fused multiply-adds a load) where 512-bit vectors
 * come with 32 registers, 2 by 6 (12 accumulators, 1.5 a load) in AVX2's 16. The tile width and the
 * row stride of the key and value tiles are constants inside the micro-kernels: with them C2 removes
 * the range checks of the tile loads and addresses six rows from one index, which it did not when they
 * came as arguments.
 *
 * <p>Results are deterministic: the same inputs give the same bits on every call, whether the JIT has
 * compiled the kernels yet or not. Hence {@link #exp} of its own (the API's exponential is a different
 * function in the interpreter and in C2's intrinsic) and {@link #sum} in a fixed order (the API leaves
 * the order of a float {@code reduceLanes(ADD)} open).
 */
final class VectorKernels implements AttentionKernels {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int L = SPECIES.length();
    /**
     * 512-bit vectors come with 32 registers (AVX-512): room for blocks of 4 query vectors by 6, 24
     * accumulators. Narrower ones get 2 by 6, 12 accumulators, which AVX2's 16 registers hold.
     */
    private static final boolean WIDE = SPECIES.vectorBitSize() >= 512;
    private static final int QUERY_TILE = (WIDE ? 4 : 2) * L;
    private static final int KEY_TILE = 48;
    /**
     * Prefill key and value tiles have their rows this many floats apart (see {@link #tileRowStride()}).
     * A constant, so that C2 turns the rows a micro-kernel reads into fixed displacements from one index
     * and drops their range checks, instead of keeping a register per row and checking each load.
     */
    private static final int ROW = 128;
    /** Keys (prefill scores) or head elements (prefill accumulate) per micro-kernel block. */
    private static final int BLOCK = 6;
    private static final float[] IOTA = iota();
    /** For each halving step of {@link #sum}, the shuffle that brings lane {@code n + width} to lane {@code n}. */
    private static final VectorShuffle<Float>[] HALVES = halves();

    VectorKernels() {
        if (L < 4) {
            throw new IllegalStateException("the Vector API's preferred species holds " + L + " floats; the plain-Java kernels are faster");
        }
    }

    @Override
    public String describe() {
        return "Vector API " + SPECIES.vectorBitSize() + "-bit (" + L + " floats)";
    }

    @Override
    public int queryTile() {
        return QUERY_TILE;
    }

    @Override
    public int keyTile() {
        return KEY_TILE;
    }

    @Override
    public int tileRowStride() {
        return ROW;
    }

    @Override
    public void scores(float[] qt, int bq, int c0, int width, float[] k, int kBase, int kStride, int keys, float[] st) {
        assert kStride == ROW || keys == 1 : kStride;
        int qBase = c0 * bq;
        boolean add = c0 > 0;
        int kk = 0;
        for (; kk + BLOCK <= keys; kk += BLOCK) {
            if (WIDE) {
                scores4x6(qt, qBase, width, k, kBase + kk * ROW, st, kk * bq, add);
            } else {
                scores2x6(qt, qBase, width, k, kBase + kk * ROW, st, kk * bq, add);
            }
        }
        // the rest in pairs, so that even they keep several independent chains of fmas going
        for (; kk + 2 <= keys; kk += 2) {
            if (WIDE) {
                scores4x2(qt, qBase, width, k, kBase + kk * ROW, st, kk * bq, add);
            } else {
                scores2x2(qt, qBase, width, k, kBase + kk * ROW, st, kk * bq, add);
            }
        }
        for (; kk < keys; kk++) {
            int key = kBase + kk * ROW;
            for (int r = 0; r < bq; r += L) {
                FloatVector a = start(st, kk * bq + r, add);
                for (int c = 0; c < width; c++) {
                    a = FloatVector.fromArray(SPECIES, qt, qBase + c * bq + r).fma(FloatVector.broadcast(SPECIES, k[key + c]), a);
                }
                a.intoArray(st, kk * bq + r);
            }
        }
    }

    /** An accumulator's first value: the scores of the earlier columns where {@code add}, else zero. */
    private static FloatVector start(float[] st, int at, boolean add) {
        return add ? FloatVector.fromArray(SPECIES, st, at) : FloatVector.zero(SPECIES);
    }

    /** Scores of keys {@code [kk, kk + 6)}: 2 query vectors by 6 keys of accumulators. */
    private static void scores2x6(float[] qt, int qBase, int width, float[] k, int k0, float[] st, int row, boolean add) {
        final int bq = QUERY_TILE; // a constant: C2 drops the range checks of index c * bq only then
        FloatVector a00 = start(st, row, add), a01 = start(st, row + L, add),
                a10 = start(st, row + bq, add), a11 = start(st, row + bq + L, add),
                a20 = start(st, row + 2 * bq, add), a21 = start(st, row + 2 * bq + L, add),
                a30 = start(st, row + 3 * bq, add), a31 = start(st, row + 3 * bq + L, add),
                a40 = start(st, row + 4 * bq, add), a41 = start(st, row + 4 * bq + L, add),
                a50 = start(st, row + 5 * bq, add), a51 = start(st, row + 5 * bq + L, add);
        for (int c = 0; c < width; c++) {
            FloatVector q0 = FloatVector.fromArray(SPECIES, qt, qBase + c * bq);
            FloatVector q1 = FloatVector.fromArray(SPECIES, qt, qBase + c * bq + L);
            FloatVector b = FloatVector.broadcast(SPECIES, k[k0 + c]);
            a00 = q0.fma(b, a00);
            a01 = q1.fma(b, a01);
            b = FloatVector.broadcast(SPECIES, k[k0 + ROW + c]);
            a10 = q0.fma(b, a10);
            a11 = q1.fma(b, a11);
            b = FloatVector.broadcast(SPECIES, k[k0 + 2 * ROW + c]);
            a20 = q0.fma(b, a20);
            a21 = q1.fma(b, a21);
            b = FloatVector.broadcast(SPECIES, k[k0 + 3 * ROW + c]);
            a30 = q0.fma(b, a30);
            a31 = q1.fma(b, a31);
            b = FloatVector.broadcast(SPECIES, k[k0 + 4 * ROW + c]);
            a40 = q0.fma(b, a40);
            a41 = q1.fma(b, a41);
            b = FloatVector.broadcast(SPECIES, k[k0 + 5 * ROW + c]);
            a50 = q0.fma(b, a50);
            a51 = q1.fma(b, a51);
        }
        a00.intoArray(st, row);
        a01.intoArray(st, row + L);
        a10.intoArray(st, row + bq);
        a11.intoArray(st, row + bq + L);
        a20.intoArray(st, row + 2 * bq);
        a21.intoArray(st, row + 2 * bq + L);
        a30.intoArray(st, row + 3 * bq);
        a31.intoArray(st, row + 3 * bq + L);
        a40.intoArray(st, row + 4 * bq);
        a41.intoArray(st, row + 4 * bq + L);
        a50.intoArray(st, row + 5 * bq);
        a51.intoArray(st, row + 5 * bq + L);
    }

    /** Scores of keys {@code [kk, kk + 6)}: 4 query vectors by 6 keys of accumulators. */
    private static void scores4x6(float[] qt, int qBase, int width, float[] k, int k0, float[] st, int row, boolean add) {
        final int bq = QUERY_TILE; // a constant: C2 drops the range checks of index c * bq only then
        FloatVector a00 = start(st, row, add), a01 = start(st, row + L, add), a02 = start(st, row + 2 * L, add), a03 = start(st, row + 3 * L, add),
                a10 = start(st, row + bq, add), a11 = start(st, row + bq + L, add), a12 = start(st, row + bq + 2 * L, add), a13 = start(st, row + bq + 3 * L, add),
                a20 = start(st, row + 2 * bq, add), a21 = start(st, row + 2 * bq + L, add), a22 = start(st, row + 2 * bq + 2 * L, add), a23 = start(st, row + 2 * bq + 3 * L, add),
                a30 = start(st, row + 3 * bq, add), a31 = start(st, row + 3 * bq + L, add), a32 = start(st, row + 3 * bq + 2 * L, add), a33 = start(st, row + 3 * bq + 3 * L, add),
                a40 = start(st, row + 4 * bq, add), a41 = start(st, row + 4 * bq + L, add), a42 = start(st, row + 4 * bq + 2 * L, add), a43 = start(st, row + 4 * bq + 3 * L, add),
                a50 = start(st, row + 5 * bq, add), a51 = start(st, row + 5 * bq + L, add), a52 = start(st, row + 5 * bq + 2 * L, add), a53 = start(st, row + 5 * bq + 3 * L, add);
        for (int c = 0; c < width; c++) {
            FloatVector q0 = FloatVector.fromArray(SPECIES, qt, qBase + c * bq);
            FloatVector q1 = FloatVector.fromArray(SPECIES, qt, qBase + c * bq + L);
            FloatVector q2 = FloatVector.fromArray(SPECIES, qt, qBase + c * bq + 2 * L);
            FloatVector q3 = FloatVector.fromArray(SPECIES, qt, qBase + c * bq + 3 * L);
            FloatVector b = FloatVector.broadcast(SPECIES, k[k0 + c]);
            a00 = q0.fma(b, a00);
            a01 = q1.fma(b, a01);
            a02 = q2.fma(b, a02);
            a03 = q3.fma(b, a03);
            b = FloatVector.broadcast(SPECIES, k[k0 + ROW + c]);
            a10 = q0.fma(b, a10);
            a11 = q1.fma(b, a11);
            a12 = q2.fma(b, a12);
            a13 = q3.fma(b, a13);
            b = FloatVector.broadcast(SPECIES, k[k0 + 2 * ROW + c]);
            a20 = q0.fma(b, a20);
            a21 = q1.fma(b, a21);
            a22 = q2.fma(b, a22);
            a23 = q3.fma(b, a23);
            b = FloatVector.broadcast(SPECIES, k[k0 + 3 * ROW + c]);
            a30 = q0.fma(b, a30);
            a31 = q1.fma(b, a31);
            a32 = q2.fma(b, a32);
            a33 = q3.fma(b, a33);
            b = FloatVector.broadcast(SPECIES, k[k0 + 4 * ROW + c]);
            a40 = q0.fma(b, a40);
            a41 = q1.fma(b, a41);
            a42 = q2.fma(b, a42);
            a43 = q3.fma(b, a43);
            b = FloatVector.broadcast(SPECIES, k[k0 + 5 * ROW + c]);
            a50 = q0.fma(b, a50);
            a51 = q1.fma(b, a51);
            a52 = q2.fma(b, a52);
            a53 = q3.fma(b, a53);
        }
        a00.intoArray(st, row);
        a01.intoArray(st, row + L);
        a02.intoArray(st, row + 2 * L);
        a03.intoArray(st, row + 3 * L);
        a10.intoArray(st, row + bq);
        a11.intoArray(st, row + bq + L);
        a12.intoArray(st, row + bq + 2 * L);
        a13.intoArray(st, row + bq + 3 * L);
        a20.intoArray(st, row + 2 * bq);
        a21.intoArray(st, row + 2 * bq + L);
        a22.intoArray(st, row + 2 * bq + 2 * L);
        a23.intoArray(st, row + 2 * bq + 3 * L);
        a30.intoArray(st, row + 3 * bq);
        a31.intoArray(st, row + 3 * bq + L);
        a32.intoArray(st, row + 3 * bq + 2 * L);
        a33.intoArray(st, row + 3 * bq + 3 * L);
        a40.intoArray(st, row + 4 * bq);
        a41.intoArray(st, row + 4 * bq + L);
        a42.intoArray(st, row + 4 * bq + 2 * L);
        a43.intoArray(st, row + 4 * bq + 3 * L);
        a50.intoArray(st, row + 5 * bq);
        a51.intoArray(st, row + 5 * bq + L);
        a52.intoArray(st, row + 5 * bq + 2 * L);
        a53.intoArray(st, row + 5 * bq + 3 * L);
    }

    /** Scores of keys {@code [kk, kk + 2)}: 2 query vectors by 2 keys of accumulators. */
    private static void scores2x2(float[] qt, int qBase, int width, float[] k, int k0, float[] st, int row, boolean add) {
        final int bq = QUERY_TILE; // a constant: C2 drops the range checks of index c * bq only then
        FloatVector a00 = start(st, row, add), a01 = start(st, row + L, add),
                a10 = start(st, row + bq, add), a11 = start(st, row + bq + L, add);
        for (int c = 0; c < width; c++) {
            FloatVector q0 = FloatVector.fromArray(SPECIES, qt, qBase + c * bq);
            FloatVector q1 = FloatVector.fromArray(SPECIES, qt, qBase + c * bq + L);
            FloatVector b = FloatVector.broadcast(SPECIES, k[k0 + c]);
            a00 = q0.fma(b, a00);
            a01 = q1.fma(b, a01);
            b = FloatVector.broadcast(SPECIES, k[k0 + ROW + c]);
            a10 = q0.fma(b, a10);
            a11 = q1.fma(b, a11);
        }
        a00.intoArray(st, row);
        a01.intoArray(st, row + L);
        a10.intoArray(st, row + bq);
        a11.intoArray(st, row + bq + L);
    }

    /** Scores of keys {@code [kk, kk + 2)}: 4 query vectors by 2 keys of accumulators. */
    private static void scores4x2(float[] qt, int qBase, int width, float[] k, int k0, float[] st, int row, boolean add) {
        final int bq = QUERY_TILE; // a constant: C2 drops the range checks of index c * bq only then
        FloatVector a00 = start(st, row, add), a01 = start(st, row + L, add), a02 = start(st, row + 2 * L, add), a03 = start(st, row + 3 * L, add),
                a10 = start(st, row + bq, add), a11 = start(st, row + bq + L, add), a12 = start(st, row + bq + 2 * L, add), a13 = start(st, row + bq + 3 * L, add);
        for (int c = 0; c < width; c++) {
            FloatVector q0 = FloatVector.fromArray(SPECIES, qt, qBase + c * bq);
            FloatVector q1 = FloatVector.fromArray(SPECIES, qt, qBase + c * bq + L);
            FloatVector q2 = FloatVector.fromArray(SPECIES, qt, qBase + c * bq + 2 * L);
            FloatVector q3 = FloatVector.fromArray(SPECIES, qt, qBase + c * bq + 3 * L);
            FloatVector b = FloatVector.broadcast(SPECIES, k[k0 + c]);
            a00 = q0.fma(b, a00);
            a01 = q1.fma(b, a01);
            a02 = q2.fma(b, a02);
            a03 = q3.fma(b, a03);
            b = FloatVector.broadcast(SPECIES, k[k0 + ROW + c]);
            a10 = q0.fma(b, a10);
            a11 = q1.fma(b, a11);
            a12 = q2.fma(b, a12);
            a13 = q3.fma(b, a13);
        }
        a00.intoArray(st, row);
        a01.intoArray(st, row + L);
        a02.intoArray(st, row + 2 * L);
        a03.intoArray(st, row + 3 * L);
        a10.intoArray(st, row + bq);
        a11.intoArray(st, row + bq + L);
        a12.intoArray(st, row + bq + 2 * L);
        a13.intoArray(st, row + bq + 3 * L);
    }

    @Override
    public boolean softmax(float[] st, int tile, int keys, float scale, float slope, float firstKey, float[] qpos, boolean masked,
                           float[] m, float[] l, float[] alpha) {
        final int bq = QUERY_TILE; // == tile, but a constant: C2 drops the range checks of index kk * bq only then
        FloatVector minusInfinity = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
        FloatVector zero = FloatVector.zero(SPECIES);
        boolean negligible = true;
        for (int r = 0; r < bq; r += L) {
            FloatVector position = FloatVector.fromArray(SPECIES, qpos, r);
            FloatVector tileMax = minusInfinity;
            for (int kk = 0; kk < keys; kk++) {
                FloatVector key = FloatVector.broadcast(SPECIES, firstKey + kk);
                // the bias as forward computes it: 0 - slope * |key - qpos|, exact in float below 2^24
                FloatVector bias = zero.sub(key.sub(position).abs().mul(slope));
                FloatVector s = FloatVector.fromArray(SPECIES, st, kk * bq + r).mul(scale).add(bias);
                if (masked) {
                    s = s.blend(minusInfinity, key.compare(VectorOperators.GT, position));
                }
                s.intoArray(st, kk * bq + r);
                tileMax = tileMax.max(s);
            }
            tileMax.intoArray(alpha, r); // until the second pass
            negligible &= tileMax.sub(FloatVector.fromArray(SPECIES, m, r)).compare(VectorOperators.LT, UNDERFLOW).allTrue();
        }
        if (negligible) {
            return false;
        }
        for (int r = 0; r < bq; r += L) {
            FloatVector previous = FloatVector.fromArray(SPECIES, m, r);
            FloatVector max = previous.max(FloatVector.fromArray(SPECIES, alpha, r));
            // a query that has seen no key yet keeps weight 0 rather than exp(-inf + inf) = NaN
            FloatVector safe = max.blend(zero, max.compare(VectorOperators.EQ, Float.NEGATIVE_INFINITY));
            FloatVector sum = zero;
            for (int kk = 0; kk < keys; kk++) {
                FloatVector p = exp(FloatVector.fromArray(SPECIES, st, kk * bq + r).sub(safe));
                p.intoArray(st, kk * bq + r);
                sum = sum.add(p);
            }
            FloatVector a = exp(previous.sub(safe));
            a.intoArray(alpha, r);
            FloatVector.fromArray(SPECIES, l, r).fma(a, sum).intoArray(l, r);
            max.intoArray(m, r);
        }
        return true;
    }

    @Override
    public void accumulate(float[] p, int bq, int c0, int width, float[] v, int vBase, int vStride, int keys, float[] alpha, float[] ot) {
        assert vStride == ROW || keys == 1 : vStride;
        int c = 0;
        for (; c + BLOCK <= width; c += BLOCK) {
            if (WIDE) {
                accumulate4x6(p, v, vBase, keys, alpha, ot, c0, c);
            } else {
                accumulate2x6(p, v, vBase, keys, alpha, ot, c0, c);
            }
        }
        // the rest in pairs (d = 128 leaves 2): one element at a time waits on each fma in turn
        for (; c + 2 <= width; c += 2) {
            if (WIDE) {
                accumulate4x2(p, v, vBase, keys, alpha, ot, c0, c);
            } else {
                accumulate2x2(p, v, vBase, keys, alpha, ot, c0, c);
            }
        }
        for (; c < width; c++) {
            for (int r = 0; r < bq; r += L) {
                FloatVector a = FloatVector.fromArray(SPECIES, ot, (c0 + c) * bq + r).mul(FloatVector.fromArray(SPECIES, alpha, r));
                for (int kk = 0; kk < keys; kk++) {
                    a = FloatVector.fromArray(SPECIES, p, kk * bq + r).fma(FloatVector.broadcast(SPECIES, v[vBase + kk * ROW + c]), a);
                }
                a.intoArray(ot, (c0 + c) * bq + r);
            }
        }
    }

    /** Output elements {@code [c, c + 6)} of the tile's queries: 2 query vectors by 6 elements of accumulators. */
    private static void accumulate2x6(float[] p, float[] v, int vBase, int keys, float[] alpha, float[] ot, int c0, int c) {
        final int bq = QUERY_TILE; // a constant: C2 drops the range checks of index c * bq only then
        FloatVector alpha0 = FloatVector.fromArray(SPECIES, alpha, 0);
        FloatVector alpha1 = FloatVector.fromArray(SPECIES, alpha, L);
        int o0 = (c0 + c) * bq;
        FloatVector a00 = FloatVector.fromArray(SPECIES, ot, o0).mul(alpha0);
        FloatVector a01 = FloatVector.fromArray(SPECIES, ot, o0 + L).mul(alpha1);
        FloatVector a10 = FloatVector.fromArray(SPECIES, ot, o0 + bq).mul(alpha0);
        FloatVector a11 = FloatVector.fromArray(SPECIES, ot, o0 + bq + L).mul(alpha1);
        FloatVector a20 = FloatVector.fromArray(SPECIES, ot, o0 + 2 * bq).mul(alpha0);
        FloatVector a21 = FloatVector.fromArray(SPECIES, ot, o0 + 2 * bq + L).mul(alpha1);
        FloatVector a30 = FloatVector.fromArray(SPECIES, ot, o0 + 3 * bq).mul(alpha0);
        FloatVector a31 = FloatVector.fromArray(SPECIES, ot, o0 + 3 * bq + L).mul(alpha1);
        FloatVector a40 = FloatVector.fromArray(SPECIES, ot, o0 + 4 * bq).mul(alpha0);
        FloatVector a41 = FloatVector.fromArray(SPECIES, ot, o0 + 4 * bq + L).mul(alpha1);
        FloatVector a50 = FloatVector.fromArray(SPECIES, ot, o0 + 5 * bq).mul(alpha0);
        FloatVector a51 = FloatVector.fromArray(SPECIES, ot, o0 + 5 * bq + L).mul(alpha1);
        for (int kk = 0; kk < keys; kk++) {
            FloatVector p0 = FloatVector.fromArray(SPECIES, p, kk * bq);
            FloatVector p1 = FloatVector.fromArray(SPECIES, p, kk * bq + L);
            int row = vBase + kk * ROW + c;
            FloatVector b = FloatVector.broadcast(SPECIES, v[row]);
            a00 = p0.fma(b, a00);
            a01 = p1.fma(b, a01);
            b = FloatVector.broadcast(SPECIES, v[row + 1]);
            a10 = p0.fma(b, a10);
            a11 = p1.fma(b, a11);
            b = FloatVector.broadcast(SPECIES, v[row + 2]);
            a20 = p0.fma(b, a20);
            a21 = p1.fma(b, a21);
            b = FloatVector.broadcast(SPECIES, v[row + 3]);
            a30 = p0.fma(b, a30);
            a31 = p1.fma(b, a31);
            b = FloatVector.broadcast(SPECIES, v[row + 4]);
            a40 = p0.fma(b, a40);
            a41 = p1.fma(b, a41);
            b = FloatVector.broadcast(SPECIES, v[row + 5]);
            a50 = p0.fma(b, a50);
            a51 = p1.fma(b, a51);
        }
        a00.intoArray(ot, o0);
        a01.intoArray(ot, o0 + L);
        a10.intoArray(ot, o0 + bq);
        a11.intoArray(ot, o0 + bq + L);
        a20.intoArray(ot, o0 + 2 * bq);
        a21.intoArray(ot, o0 + 2 * bq + L);
        a30.intoArray(ot, o0 + 3 * bq);
        a31.intoArray(ot, o0 + 3 * bq + L);
        a40.intoArray(ot, o0 + 4 * bq);
        a41.intoArray(ot, o0 + 4 * bq + L);
        a50.intoArray(ot, o0 + 5 * bq);
        a51.intoArray(ot, o0 + 5 * bq + L);
    }

    /** Output elements {@code [c, c + 6)} of the tile's queries: 4 query vectors by 6 elements of accumulators. */
    private static void accumulate4x6(float[] p, float[] v, int vBase, int keys, float[] alpha, float[] ot, int c0, int c) {
        final int bq = QUERY_TILE; // a constant: C2 drops the range checks of index c * bq only then
        FloatVector alpha0 = FloatVector.fromArray(SPECIES, alpha, 0);
        FloatVector alpha1 = FloatVector.fromArray(SPECIES, alpha, L);
        FloatVector alpha2 = FloatVector.fromArray(SPECIES, alpha, 2 * L);
        FloatVector alpha3 = FloatVector.fromArray(SPECIES, alpha, 3 * L);
        int o0 = (c0 + c) * bq;
        FloatVector a00 = FloatVector.fromArray(SPECIES, ot, o0).mul(alpha0);
        FloatVector a01 = FloatVector.fromArray(SPECIES, ot, o0 + L).mul(alpha1);
        FloatVector a02 = FloatVector.fromArray(SPECIES, ot, o0 + 2 * L).mul(alpha2);
        FloatVector a03 = FloatVector.fromArray(SPECIES, ot, o0 + 3 * L).mul(alpha3);
        FloatVector a10 = FloatVector.fromArray(SPECIES, ot, o0 + bq).mul(alpha0);
        FloatVector a11 = FloatVector.fromArray(SPECIES, ot, o0 + bq + L).mul(alpha1);
        FloatVector a12 = FloatVector.fromArray(SPECIES, ot, o0 + bq + 2 * L).mul(alpha2);
        FloatVector a13 = FloatVector.fromArray(SPECIES, ot, o0 + bq + 3 * L).mul(alpha3);
        FloatVector a20 = FloatVector.fromArray(SPECIES, ot, o0 + 2 * bq).mul(alpha0);
        FloatVector a21 = FloatVector.fromArray(SPECIES, ot, o0 + 2 * bq + L).mul(alpha1);
        FloatVector a22 = FloatVector.fromArray(SPECIES, ot, o0 + 2 * bq + 2 * L).mul(alpha2);
        FloatVector a23 = FloatVector.fromArray(SPECIES, ot, o0 + 2 * bq + 3 * L).mul(alpha3);
        FloatVector a30 = FloatVector.fromArray(SPECIES, ot, o0 + 3 * bq).mul(alpha0);
        FloatVector a31 = FloatVector.fromArray(SPECIES, ot, o0 + 3 * bq + L).mul(alpha1);
        FloatVector a32 = FloatVector.fromArray(SPECIES, ot, o0 + 3 * bq + 2 * L).mul(alpha2);
        FloatVector a33 = FloatVector.fromArray(SPECIES, ot, o0 + 3 * bq + 3 * L).mul(alpha3);
        FloatVector a40 = FloatVector.fromArray(SPECIES, ot, o0 + 4 * bq).mul(alpha0);
        FloatVector a41 = FloatVector.fromArray(SPECIES, ot, o0 + 4 * bq + L).mul(alpha1);
        FloatVector a42 = FloatVector.fromArray(SPECIES, ot, o0 + 4 * bq + 2 * L).mul(alpha2);
        FloatVector a43 = FloatVector.fromArray(SPECIES, ot, o0 + 4 * bq + 3 * L).mul(alpha3);
        FloatVector a50 = FloatVector.fromArray(SPECIES, ot, o0 + 5 * bq).mul(alpha0);
        FloatVector a51 = FloatVector.fromArray(SPECIES, ot, o0 + 5 * bq + L).mul(alpha1);
        FloatVector a52 = FloatVector.fromArray(SPECIES, ot, o0 + 5 * bq + 2 * L).mul(alpha2);
        FloatVector a53 = FloatVector.fromArray(SPECIES, ot, o0 + 5 * bq + 3 * L).mul(alpha3);
        for (int kk = 0; kk < keys; kk++) {
            FloatVector p0 = FloatVector.fromArray(SPECIES, p, kk * bq);
            FloatVector p1 = FloatVector.fromArray(SPECIES, p, kk * bq + L);
            FloatVector p2 = FloatVector.fromArray(SPECIES, p, kk * bq + 2 * L);
            FloatVector p3 = FloatVector.fromArray(SPECIES, p, kk * bq + 3 * L);
            int row = vBase + kk * ROW + c;
            FloatVector b = FloatVector.broadcast(SPECIES, v[row]);
            a00 = p0.fma(b, a00);
            a01 = p1.fma(b, a01);
            a02 = p2.fma(b, a02);
            a03 = p3.fma(b, a03);
            b = FloatVector.broadcast(SPECIES, v[row + 1]);
            a10 = p0.fma(b, a10);
            a11 = p1.fma(b, a11);
            a12 = p2.fma(b, a12);
            a13 = p3.fma(b, a13);
            b = FloatVector.broadcast(SPECIES, v[row + 2]);
            a20 = p0.fma(b, a20);
            a21 = p1.fma(b, a21);
            a22 = p2.fma(b, a22);
            a23 = p3.fma(b, a23);
            b = FloatVector.broadcast(SPECIES, v[row + 3]);
            a30 = p0.fma(b, a30);
            a31 = p1.fma(b, a31);
            a32 = p2.fma(b, a32);
            a33 = p3.fma(b, a33);
            b = FloatVector.broadcast(SPECIES, v[row + 4]);
            a40 = p0.fma(b, a40);
            a41 = p1.fma(b, a41);
            a42 = p2.fma(b, a42);
            a43 = p3.fma(b, a43);
            b = FloatVector.broadcast(SPECIES, v[row + 5]);
            a50 = p0.fma(b, a50);
            a51 = p1.fma(b, a51);
            a52 = p2.fma(b, a52);
            a53 = p3.fma(b, a53);
        }
        a00.intoArray(ot, o0);
        a01.intoArray(ot, o0 + L);
        a02.intoArray(ot, o0 + 2 * L);
        a03.intoArray(ot, o0 + 3 * L);
        a10.intoArray(ot, o0 + bq);
        a11.intoArray(ot, o0 + bq + L);
        a12.intoArray(ot, o0 + bq + 2 * L);
        a13.intoArray(ot, o0 + bq + 3 * L);
        a20.intoArray(ot, o0 + 2 * bq);
        a21.intoArray(ot, o0 + 2 * bq + L);
        a22.intoArray(ot, o0 + 2 * bq + 2 * L);
        a23.intoArray(ot, o0 + 2 * bq + 3 * L);
        a30.intoArray(ot, o0 + 3 * bq);
        a31.intoArray(ot, o0 + 3 * bq + L);
        a32.intoArray(ot, o0 + 3 * bq + 2 * L);
        a33.intoArray(ot, o0 + 3 * bq + 3 * L);
        a40.intoArray(ot, o0 + 4 * bq);
        a41.intoArray(ot, o0 + 4 * bq + L);
        a42.intoArray(ot, o0 + 4 * bq + 2 * L);
        a43.intoArray(ot, o0 + 4 * bq + 3 * L);
        a50.intoArray(ot, o0 + 5 * bq);
        a51.intoArray(ot, o0 + 5 * bq + L);
        a52.intoArray(ot, o0 + 5 * bq + 2 * L);
        a53.intoArray(ot, o0 + 5 * bq + 3 * L);
    }

    /** Output elements {@code [c, c + 2)} of the tile's queries: 2 query vectors by 2 elements of accumulators. */
    private static void accumulate2x2(float[] p, float[] v, int vBase, int keys, float[] alpha, float[] ot, int c0, int c) {
        final int bq = QUERY_TILE; // a constant: C2 drops the range checks of index c * bq only then
        FloatVector alpha0 = FloatVector.fromArray(SPECIES, alpha, 0);
        FloatVector alpha1 = FloatVector.fromArray(SPECIES, alpha, L);
        int o0 = (c0 + c) * bq;
        FloatVector a00 = FloatVector.fromArray(SPECIES, ot, o0).mul(alpha0);
        FloatVector a01 = FloatVector.fromArray(SPECIES, ot, o0 + L).mul(alpha1);
        FloatVector a10 = FloatVector.fromArray(SPECIES, ot, o0 + bq).mul(alpha0);
        FloatVector a11 = FloatVector.fromArray(SPECIES, ot, o0 + bq + L).mul(alpha1);
        for (int kk = 0; kk < keys; kk++) {
            FloatVector p0 = FloatVector.fromArray(SPECIES, p, kk * bq);
            FloatVector p1 = FloatVector.fromArray(SPECIES, p, kk * bq + L);
            int row = vBase + kk * ROW + c;
            FloatVector b = FloatVector.broadcast(SPECIES, v[row]);
            a00 = p0.fma(b, a00);
            a01 = p1.fma(b, a01);
            b = FloatVector.broadcast(SPECIES, v[row + 1]);
            a10 = p0.fma(b, a10);
            a11 = p1.fma(b, a11);
        }
        a00.intoArray(ot, o0);
        a01.intoArray(ot, o0 + L);
        a10.intoArray(ot, o0 + bq);
        a11.intoArray(ot, o0 + bq + L);
    }

    /** Output elements {@code [c, c + 2)} of the tile's queries: 4 query vectors by 2 elements of accumulators. */
    private static void accumulate4x2(float[] p, float[] v, int vBase, int keys, float[] alpha, float[] ot, int c0, int c) {
        final int bq = QUERY_TILE; // a constant: C2 drops the range checks of index c * bq only then
        FloatVector alpha0 = FloatVector.fromArray(SPECIES, alpha, 0);
        FloatVector alpha1 = FloatVector.fromArray(SPECIES, alpha, L);
        FloatVector alpha2 = FloatVector.fromArray(SPECIES, alpha, 2 * L);
        FloatVector alpha3 = FloatVector.fromArray(SPECIES, alpha, 3 * L);
        int o0 = (c0 + c) * bq;
        FloatVector a00 = FloatVector.fromArray(SPECIES, ot, o0).mul(alpha0);
        FloatVector a01 = FloatVector.fromArray(SPECIES, ot, o0 + L).mul(alpha1);
        FloatVector a02 = FloatVector.fromArray(SPECIES, ot, o0 + 2 * L).mul(alpha2);
        FloatVector a03 = FloatVector.fromArray(SPECIES, ot, o0 + 3 * L).mul(alpha3);
        FloatVector a10 = FloatVector.fromArray(SPECIES, ot, o0 + bq).mul(alpha0);
        FloatVector a11 = FloatVector.fromArray(SPECIES, ot, o0 + bq + L).mul(alpha1);
        FloatVector a12 = FloatVector.fromArray(SPECIES, ot, o0 + bq + 2 * L).mul(alpha2);
        FloatVector a13 = FloatVector.fromArray(SPECIES, ot, o0 + bq + 3 * L).mul(alpha3);
        for (int kk = 0; kk < keys; kk++) {
            FloatVector p0 = FloatVector.fromArray(SPECIES, p, kk * bq);
            FloatVector p1 = FloatVector.fromArray(SPECIES, p, kk * bq + L);
            FloatVector p2 = FloatVector.fromArray(SPECIES, p, kk * bq + 2 * L);
            FloatVector p3 = FloatVector.fromArray(SPECIES, p, kk * bq + 3 * L);
            int row = vBase + kk * ROW + c;
            FloatVector b = FloatVector.broadcast(SPECIES, v[row]);
            a00 = p0.fma(b, a00);
            a01 = p1.fma(b, a01);
            a02 = p2.fma(b, a02);
            a03 = p3.fma(b, a03);
            b = FloatVector.broadcast(SPECIES, v[row + 1]);
            a10 = p0.fma(b, a10);
            a11 = p1.fma(b, a11);
            a12 = p2.fma(b, a12);
            a13 = p3.fma(b, a13);
        }
        a00.intoArray(ot, o0);
        a01.intoArray(ot, o0 + L);
        a02.intoArray(ot, o0 + 2 * L);
        a03.intoArray(ot, o0 + 3 * L);
        a10.intoArray(ot, o0 + bq);
        a11.intoArray(ot, o0 + bq + L);
        a12.intoArray(ot, o0 + bq + 2 * L);
        a13.intoArray(ot, o0 + bq + 3 * L);
    }

    // ---------------------------------------------------------------- decode

    /*
     * A decode step's dot products: one query head's row against many key rows, or the rows of a group's
     * heads against the key rows they share. Each dot product keeps one vector of lane-wise products,
     * summed over the head elements in order, then its lanes by {@link #sum}, and then (where d is not
     * whole vectors) the last elements one by one: every kernel below gives the same bits for a key.
     */

    @Override
    public void decodeScores(float[] qv, int heads, int d, float[] k, int kBase, int kStride, int keys, float[] s, int sBase, int sStride) {
        int hh = 0;
        if (d % L == 0) {
            for (; hh + 4 <= heads; hh += 4) {
                fourHeads(qv, hh * d, d, k, kBase, kStride, keys, s, sBase + hh * sStride, sStride);
            }
        }
        for (; hh < heads; hh++) {
            oneHead(qv, hh * d, d, k, kBase, kStride, keys, s, sBase + hh * sStride);
        }
    }

    /**
     * Four heads (query rows {@code d} apart from {@code q0}) by two keys at a time: each key vector loaded
     * once for four heads and eight independent chains of multiply-adds, where one head at a time loads
     * every key vector once per head and keeps four chains.
     */
    private static void fourHeads(float[] qv, int q0, int d, float[] k, int kBase, int kStride, int keys, float[] s, int at, int sStride) {
        int q1 = q0 + d, q2 = q1 + d, q3 = q2 + d;
        int kk = 0;
        for (; kk + 2 <= keys; kk += 2) {
            int k0 = kBase + kk * kStride, k1 = k0 + kStride;
            FloatVector a00 = FloatVector.zero(SPECIES), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
            for (int c = 0; c < d; c += L) {
                FloatVector x0 = FloatVector.fromArray(SPECIES, k, k0 + c), x1 = FloatVector.fromArray(SPECIES, k, k1 + c);
                FloatVector q = FloatVector.fromArray(SPECIES, qv, q0 + c);
                a00 = x0.fma(q, a00);
                a01 = x1.fma(q, a01);
                q = FloatVector.fromArray(SPECIES, qv, q1 + c);
                a10 = x0.fma(q, a10);
                a11 = x1.fma(q, a11);
                q = FloatVector.fromArray(SPECIES, qv, q2 + c);
                a20 = x0.fma(q, a20);
                a21 = x1.fma(q, a21);
                q = FloatVector.fromArray(SPECIES, qv, q3 + c);
                a30 = x0.fma(q, a30);
                a31 = x1.fma(q, a31);
            }
            s[at + kk] = sum(a00);
            s[at + kk + 1] = sum(a01);
            s[at + sStride + kk] = sum(a10);
            s[at + sStride + kk + 1] = sum(a11);
            s[at + 2 * sStride + kk] = sum(a20);
            s[at + 2 * sStride + kk + 1] = sum(a21);
            s[at + 3 * sStride + kk] = sum(a30);
            s[at + 3 * sStride + kk + 1] = sum(a31);
        }
        if (kk < keys) {
            int k0 = kBase + kk * kStride;
            FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0;
            for (int c = 0; c < d; c += L) {
                FloatVector x = FloatVector.fromArray(SPECIES, k, k0 + c);
                a0 = x.fma(FloatVector.fromArray(SPECIES, qv, q0 + c), a0);
                a1 = x.fma(FloatVector.fromArray(SPECIES, qv, q1 + c), a1);
                a2 = x.fma(FloatVector.fromArray(SPECIES, qv, q2 + c), a2);
                a3 = x.fma(FloatVector.fromArray(SPECIES, qv, q3 + c), a3);
            }
            s[at + kk] = sum(a0);
            s[at + sStride + kk] = sum(a1);
            s[at + 2 * sStride + kk] = sum(a2);
            s[at + 3 * sStride + kk] = sum(a3);
        }
    }

    /** One head (query row at {@code q0}), four keys at a time: four independent chains of multiply-adds. */
    private static void oneHead(float[] qv, int q0, int d, float[] k, int kBase, int kStride, int keys, float[] s, int at) {
        int full = SPECIES.loopBound(d);
        int kk = 0;
        for (; kk + 4 <= keys; kk += 4) {
            int k0 = kBase + kk * kStride, k1 = k0 + kStride, k2 = k1 + kStride, k3 = k2 + kStride;
            FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0;
            int c = 0;
            for (; c < full; c += L) {
                FloatVector q = FloatVector.fromArray(SPECIES, qv, q0 + c);
                a0 = FloatVector.fromArray(SPECIES, k, k0 + c).fma(q, a0);
                a1 = FloatVector.fromArray(SPECIES, k, k1 + c).fma(q, a1);
                a2 = FloatVector.fromArray(SPECIES, k, k2 + c).fma(q, a2);
                a3 = FloatVector.fromArray(SPECIES, k, k3 + c).fma(q, a3);
            }
            float s0 = sum(a0), s1 = sum(a1), s2 = sum(a2), s3 = sum(a3);
            for (; c < d; c++) {
                float q = qv[q0 + c];
                s0 += q * k[k0 + c];
                s1 += q * k[k1 + c];
                s2 += q * k[k2 + c];
                s3 += q * k[k3 + c];
            }
            s[at + kk] = s0;
            s[at + kk + 1] = s1;
            s[at + kk + 2] = s2;
            s[at + kk + 3] = s3;
        }
        for (; kk < keys; kk++) {
            int key = kBase + kk * kStride;
            FloatVector a = FloatVector.zero(SPECIES);
            int c = 0;
            for (; c < full; c += L) {
                a = FloatVector.fromArray(SPECIES, k, key + c).fma(FloatVector.fromArray(SPECIES, qv, q0 + c), a);
            }
            float dot = sum(a);
            for (; c < d; c++) {
                dot += qv[q0 + c] * k[key + c];
            }
            s[at + kk] = dot;
        }
    }

    @Override
    public float decodeLogits(float[] s, int at, int keys, float scale, float slope, float firstKey, float position) {
        FloatVector zero = FloatVector.zero(SPECIES);
        FloatVector iota = FloatVector.fromArray(SPECIES, IOTA, 0);
        FloatVector maxes = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
        int kk = 0;
        for (int full = SPECIES.loopBound(keys); kk < full; kk += L) {
            FloatVector key = iota.add(firstKey + kk);
            FloatVector logit = FloatVector.fromArray(SPECIES, s, at + kk).mul(scale)
                    .add(zero.sub(key.sub(position).abs().mul(slope)));
            logit.intoArray(s, at + kk);
            maxes = maxes.max(logit);
        }
        float max = maxes.reduceLanes(VectorOperators.MAX);
        for (; kk < keys; kk++) {
            float logit = s[at + kk] * scale + (0.0f - slope * Math.abs(firstKey + kk - position));
            s[at + kk] = logit;
            max = Math.max(max, logit);
        }
        return max;
    }

    @Override
    public float decodeWeights(float[] s, int at, int keys, float max) {
        FloatVector sums = FloatVector.zero(SPECIES);
        int kk = 0;
        for (int full = SPECIES.loopBound(keys); kk < full; kk += L) {
            FloatVector p = exp(FloatVector.fromArray(SPECIES, s, at + kk).sub(max));
            p.intoArray(s, at + kk);
            sums = sums.add(p);
        }
        float sum = sum(sums);
        for (; kk < keys; kk++) {
            float p = ScalarKernels.exp(s[at + kk] - max);
            s[at + kk] = p;
            sum += p;
        }
        return sum;
    }

    @Override
    public void decodeAccumulate(float[] p, int pBase, int pStride, int heads, int d, float[] v, int vBase, int vStride, int keys, float[] o) {
        int hh = 0;
        // four heads at a time where the columns come in whole blocks: each value vector loaded once for four heads
        if (d % (SHARED_COLUMNS * L) == 0) {
            for (; hh + 4 <= heads; hh += 4) {
                for (int c = 0; c < d; c += SHARED_COLUMNS * L) {
                    if (WIDE) {
                        fourHeadsColumns4(p, pBase + hh * pStride, pStride, v, vBase + c, vStride, keys, o, hh * d + c, d);
                    } else {
                        fourHeadsColumns2(p, pBase + hh * pStride, pStride, v, vBase + c, vStride, keys, o, hh * d + c, d);
                    }
                }
            }
        }
        for (; hh < heads; hh++) {
            accumulate(p, pBase + hh * pStride, d, v, vBase, vStride, keys, o, hh * d);
        }
    }

    /** Vectors of columns per head in the four-head accumulate: 4 by 4 accumulators in 32 registers, 4 by 2 in 16. */
    private static final int SHARED_COLUMNS = WIDE ? 4 : 2;

    /** Columns {@code [0, 4L)} (from {@code vBase}, {@code o0}) of four heads, weights {@code pStride} apart. */
    private static void fourHeadsColumns4(float[] p, int p0, int pStride, float[] v, int vBase, int vStride, int keys, float[] o, int o0, int d) {
        int p1 = p0 + pStride, p2 = p1 + pStride, p3 = p2 + pStride;
        int o1 = o0 + d, o2 = o1 + d, o3 = o2 + d;
        FloatVector a00 = FloatVector.fromArray(SPECIES, o, o0), a01 = FloatVector.fromArray(SPECIES, o, o0 + L),
                a02 = FloatVector.fromArray(SPECIES, o, o0 + 2 * L), a03 = FloatVector.fromArray(SPECIES, o, o0 + 3 * L),
                a10 = FloatVector.fromArray(SPECIES, o, o1), a11 = FloatVector.fromArray(SPECIES, o, o1 + L),
                a12 = FloatVector.fromArray(SPECIES, o, o1 + 2 * L), a13 = FloatVector.fromArray(SPECIES, o, o1 + 3 * L),
                a20 = FloatVector.fromArray(SPECIES, o, o2), a21 = FloatVector.fromArray(SPECIES, o, o2 + L),
                a22 = FloatVector.fromArray(SPECIES, o, o2 + 2 * L), a23 = FloatVector.fromArray(SPECIES, o, o2 + 3 * L),
                a30 = FloatVector.fromArray(SPECIES, o, o3), a31 = FloatVector.fromArray(SPECIES, o, o3 + L),
                a32 = FloatVector.fromArray(SPECIES, o, o3 + 2 * L), a33 = FloatVector.fromArray(SPECIES, o, o3 + 3 * L);
        for (int kk = 0; kk < keys; kk++) {
            int row = vBase + kk * vStride;
            FloatVector v0 = FloatVector.fromArray(SPECIES, v, row), v1 = FloatVector.fromArray(SPECIES, v, row + L),
                    v2 = FloatVector.fromArray(SPECIES, v, row + 2 * L), v3 = FloatVector.fromArray(SPECIES, v, row + 3 * L);
            FloatVector w = FloatVector.broadcast(SPECIES, p[p0 + kk]);
            a00 = v0.fma(w, a00);
            a01 = v1.fma(w, a01);
            a02 = v2.fma(w, a02);
            a03 = v3.fma(w, a03);
            w = FloatVector.broadcast(SPECIES, p[p1 + kk]);
            a10 = v0.fma(w, a10);
            a11 = v1.fma(w, a11);
            a12 = v2.fma(w, a12);
            a13 = v3.fma(w, a13);
            w = FloatVector.broadcast(SPECIES, p[p2 + kk]);
            a20 = v0.fma(w, a20);
            a21 = v1.fma(w, a21);
            a22 = v2.fma(w, a22);
            a23 = v3.fma(w, a23);
            w = FloatVector.broadcast(SPECIES, p[p3 + kk]);
            a30 = v0.fma(w, a30);
            a31 = v1.fma(w, a31);
            a32 = v2.fma(w, a32);
            a33 = v3.fma(w, a33);
        }
        a00.intoArray(o, o0);
        a01.intoArray(o, o0 + L);
        a02.intoArray(o, o0 + 2 * L);
        a03.intoArray(o, o0 + 3 * L);
        a10.intoArray(o, o1);
        a11.intoArray(o, o1 + L);
        a12.intoArray(o, o1 + 2 * L);
        a13.intoArray(o, o1 + 3 * L);
        a20.intoArray(o, o2);
        a21.intoArray(o, o2 + L);
        a22.intoArray(o, o2 + 2 * L);
        a23.intoArray(o, o2 + 3 * L);
        a30.intoArray(o, o3);
        a31.intoArray(o, o3 + L);
        a32.intoArray(o, o3 + 2 * L);
        a33.intoArray(o, o3 + 3 * L);
    }

    /** {@link #fourHeadsColumns4} over columns {@code [0, 2L)}: 4 by 2 accumulators for AVX2's 16 registers. */
    private static void fourHeadsColumns2(float[] p, int p0, int pStride, float[] v, int vBase, int vStride, int keys, float[] o, int o0, int d) {
        int p1 = p0 + pStride, p2 = p1 + pStride, p3 = p2 + pStride;
        int o1 = o0 + d, o2 = o1 + d, o3 = o2 + d;
        FloatVector a00 = FloatVector.fromArray(SPECIES, o, o0), a01 = FloatVector.fromArray(SPECIES, o, o0 + L),
                a10 = FloatVector.fromArray(SPECIES, o, o1), a11 = FloatVector.fromArray(SPECIES, o, o1 + L),
                a20 = FloatVector.fromArray(SPECIES, o, o2), a21 = FloatVector.fromArray(SPECIES, o, o2 + L),
                a30 = FloatVector.fromArray(SPECIES, o, o3), a31 = FloatVector.fromArray(SPECIES, o, o3 + L);
        for (int kk = 0; kk < keys; kk++) {
            int row = vBase + kk * vStride;
            FloatVector v0 = FloatVector.fromArray(SPECIES, v, row), v1 = FloatVector.fromArray(SPECIES, v, row + L);
            FloatVector w = FloatVector.broadcast(SPECIES, p[p0 + kk]);
            a00 = v0.fma(w, a00);
            a01 = v1.fma(w, a01);
            w = FloatVector.broadcast(SPECIES, p[p1 + kk]);
            a10 = v0.fma(w, a10);
            a11 = v1.fma(w, a11);
            w = FloatVector.broadcast(SPECIES, p[p2 + kk]);
            a20 = v0.fma(w, a20);
            a21 = v1.fma(w, a21);
            w = FloatVector.broadcast(SPECIES, p[p3 + kk]);
            a30 = v0.fma(w, a30);
            a31 = v1.fma(w, a31);
        }
        a00.intoArray(o, o0);
        a01.intoArray(o, o0 + L);
        a10.intoArray(o, o1);
        a11.intoArray(o, o1 + L);
        a20.intoArray(o, o2);
        a21.intoArray(o, o2 + L);
        a30.intoArray(o, o3);
        a31.intoArray(o, o3 + L);
    }

    /** One head: {@code o[acc + c] += sum_kk p[weights + kk] * v[vBase + kk * vStride + c]}, key after key. */
    private static void accumulate(float[] p, int weights, int d, float[] v, int vBase, int vStride, int keys, float[] o, int acc) {
        int full = SPECIES.loopBound(d);
        int c = 0;
        // 8 vectors of accumulators: a whole row of 128 floats on AVX-512, so V is read row after row
        for (; c + 8 * L <= full; c += 8 * L) {
            FloatVector a0 = FloatVector.fromArray(SPECIES, o, acc + c);
            FloatVector a1 = FloatVector.fromArray(SPECIES, o, acc + c + L);
            FloatVector a2 = FloatVector.fromArray(SPECIES, o, acc + c + 2 * L);
            FloatVector a3 = FloatVector.fromArray(SPECIES, o, acc + c + 3 * L);
            FloatVector a4 = FloatVector.fromArray(SPECIES, o, acc + c + 4 * L);
            FloatVector a5 = FloatVector.fromArray(SPECIES, o, acc + c + 5 * L);
            FloatVector a6 = FloatVector.fromArray(SPECIES, o, acc + c + 6 * L);
            FloatVector a7 = FloatVector.fromArray(SPECIES, o, acc + c + 7 * L);
            for (int kk = 0; kk < keys; kk++) {
                FloatVector w = FloatVector.broadcast(SPECIES, p[weights + kk]);
                int row = vBase + kk * vStride + c;
                a0 = FloatVector.fromArray(SPECIES, v, row).fma(w, a0);
                a1 = FloatVector.fromArray(SPECIES, v, row + L).fma(w, a1);
                a2 = FloatVector.fromArray(SPECIES, v, row + 2 * L).fma(w, a2);
                a3 = FloatVector.fromArray(SPECIES, v, row + 3 * L).fma(w, a3);
                a4 = FloatVector.fromArray(SPECIES, v, row + 4 * L).fma(w, a4);
                a5 = FloatVector.fromArray(SPECIES, v, row + 5 * L).fma(w, a5);
                a6 = FloatVector.fromArray(SPECIES, v, row + 6 * L).fma(w, a6);
                a7 = FloatVector.fromArray(SPECIES, v, row + 7 * L).fma(w, a7);
            }
            a0.intoArray(o, acc + c);
            a1.intoArray(o, acc + c + L);
            a2.intoArray(o, acc + c + 2 * L);
            a3.intoArray(o, acc + c + 3 * L);
            a4.intoArray(o, acc + c + 4 * L);
            a5.intoArray(o, acc + c + 5 * L);
            a6.intoArray(o, acc + c + 6 * L);
            a7.intoArray(o, acc + c + 7 * L);
        }
        for (; c < full; c += L) {
            FloatVector a0 = FloatVector.fromArray(SPECIES, o, acc + c);
            for (int kk = 0; kk < keys; kk++) {
                a0 = FloatVector.fromArray(SPECIES, v, vBase + kk * vStride + c).fma(FloatVector.broadcast(SPECIES, p[weights + kk]), a0);
            }
            a0.intoArray(o, acc + c);
        }
        for (; c < d; c++) {
            float sum = o[acc + c];
            for (int kk = 0; kk < keys; kk++) {
                sum = Math.fma(p[weights + kk], v[vBase + kk * vStride + c], sum);
            }
            o[acc + c] = sum;
        }
    }

    /**
     * Halves are widened a few keys at a time into {@code staging} (which stays in L1) and the float kernels
     * run on those rows: reading the cache and computing interleave finely, so that the memory stays busy.
     * (Widening inside the kernels' own loops, in Vector API bit arithmetic, made methods too large for C2
     * to inline, and the vectors were boxed.)
     */
    private static final int STAGED_KEYS = 16;

    @Override
    public void decodeScores(float[] qv, int d, short[] k, int kBase, int kStride, int keys, float[] s, int sBase, float[] staging) {
        for (int k0 = 0; k0 < keys; k0 += STAGED_KEYS) {
            int n = Math.min(STAGED_KEYS, keys - k0);
            widenRows(k, kBase + k0 * kStride, kStride, n, d, staging);
            decodeScores(qv, 1, d, staging, 0, d, n, s, sBase + k0, 0);
        }
    }

    @Override
    public void decodeAccumulate(float[] p, int pBase, int d, short[] v, int vBase, int vStride, int keys, float[] o, float[] staging) {
        for (int k0 = 0; k0 < keys; k0 += STAGED_KEYS) {
            int n = Math.min(STAGED_KEYS, keys - k0);
            widenRows(v, vBase + k0 * vStride, vStride, n, d, staging);
            accumulate(p, pBase + k0, d, staging, 0, d, n, o, 0);
        }
    }

    /** Rows {@code [0, n)} of {@code d} halves, {@code stride} apart from {@code from}, as floats {@code d} apart. */
    private void widenRows(short[] src, int from, int stride, int n, int d, float[] staging) {
        if (stride == d) {
            widen(src, from, staging, 0, n * d);
        } else {
            for (int kk = 0; kk < n; kk++) {
                widen(src, from + kk * stride, staging, kk * d, d);
            }
        }
    }

    /** The plain loop: C2 turns it into vector conversions (vcvtph2ps) where the Vector API has none. */
    @Override
    public void widen(short[] src, int from, float[] dst, int to, int n) {
        for (int c = 0; c < n; c++) {
            dst[to + c] = Float.float16ToFloat(src[from + c]);
        }
    }

    // exp(x) for x <= 0 (softmax's arguments), after Cephes' expf: x = n ln2 + r with |r| <= ln2 / 2,
    // exp(r) by a polynomial (about 1 ulp), times 2^n built in the exponent bits.
    private static final float LOG2E = 1.44269504088896341f;
    private static final float ROUNDER = 0x1.8p23f;          // adding it rounds to an integer, kept in the low bits
    private static final int ROUNDER_BITS = 0x4B400000;
    private static final float LN2_HI = 0.693359375f;        // few significant bits: n * LN2_HI is exact
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float UNDERFLOW = ScalarKernels.NEGLIGIBLE;

    /**
     * e^x lane by lane for {@code x <= 0}, within about 1 ulp; 0 below {@link ScalarKernels#NEGLIGIBLE}
     * and for {@code -inf}.
     */
    static FloatVector exp(FloatVector x) {
        FloatVector t = x.fma(LOG2E, ROUNDER);
        FloatVector n = t.sub(ROUNDER);
        FloatVector r = n.fma(constant(-LN2_HI), x);
        r = n.fma(constant(-LN2_LO), r);
        FloatVector p = r.fma(1.9875691500e-4f, 1.3981999507e-3f);
        p = p.fma(r, constant(8.3334519073e-3f));
        p = p.fma(r, constant(4.1665795894e-2f));
        p = p.fma(r, constant(1.6666665459e-1f));
        p = p.fma(r, constant(5.0000001201e-1f));
        FloatVector y = p.fma(r.mul(r), r).add(1.0f);
        IntVector exponent = ((IntVector) t.reinterpretAsInts()).sub(ROUNDER_BITS - 127).lanewise(VectorOperators.LSHL, 23);
        return y.mul(exponent.reinterpretAsFloats()).blend(0.0f, x.compare(VectorOperators.LT, UNDERFLOW));
    }

    private static FloatVector constant(float value) {
        return FloatVector.broadcast(SPECIES, value);
    }

    /** The sum of the lanes, always in the same order: halves added pairwise. */
    static float sum(FloatVector v) {
        for (VectorShuffle<Float> half : HALVES) {
            v = v.add(v.rearrange(half));
        }
        return v.lane(0);
    }

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] halves() {
        int steps = Integer.numberOfTrailingZeros(L);
        VectorShuffle<Float>[] shuffles = new VectorShuffle[steps];
        for (int step = 0; step < steps; step++) {
            int width = L >> (step + 1);
            shuffles[step] = VectorShuffle.fromOp(SPECIES, n -> (n + width) % L);
        }
        return shuffles;
    }

    private static float[] iota() {
        float[] iota = new float[L];
        for (int n = 0; n < L; n++) {
            iota[n] = n;
        }
        return iota;
    }
}
