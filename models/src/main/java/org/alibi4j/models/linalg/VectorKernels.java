package org.alibi4j.models.linalg;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import org.alibi4j.models.checkpoint.DType;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The kernels on the Vector API, at the JVM's preferred width (chosen at run time: 512-bit on AVX-512,
 * 256-bit on AVX2). Loaded only by {@link Vectorization}, and only where the module is present.
 *
 * <p>Two regimes. A few input rows (decode: one) make a matrix-vector product, bound by reading the
 * weights: {@link #dotRows} reads each weight row once from memory, four rows at a time so that four
 * streams are read at once, widens them in registers (BF16: a shift) and dots them with the input rows;
 * F16 weights go through an L1 scratch instead ({@link #halfRows}). Many input rows (prefill) make a
 * matrix-matrix product, bound by the multiply-adds: {@link #gemm} widens a panel of {@value #KC} inputs by {@link #NB} weight rows once,
 * transposed, into a float scratch, and runs a register-blocked micro-kernel over it for every block of
 * {@value #MR} input rows: {@code MR} broadcast input elements by {@code NB / L} weight vectors of
 * accumulators, as core's attention kernels do (6 by 4 where 512-bit vectors come with 32 registers,
 * 6 by 2 in AVX2's 16). Panel and packed-input strides are constants, so that C2 drops the range
 * checks of the micro-kernel's loads.
 *
 * <p>Results are deterministic and do not depend on how {@link MatMul} splits the columns: each output
 * is summed in the same order wherever its column falls (every column of a product runs the same
 * per-column sequence of operations, and {@link #sum} adds a vector's lanes in a fixed order).
 */
final class VectorKernels implements LinearKernels {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int L = SPECIES.length();
    private static final VectorSpecies<Integer> INTS = SPECIES.withLanes(int.class);
    /** As many shorts as {@link #SPECIES} has floats: half its width. */
    private static final VectorSpecies<Short> SHORTS = VectorSpecies.of(short.class, VectorShape.forBitSize(SPECIES.vectorBitSize() / 2));
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** 512-bit vectors come with 32 registers (AVX-512): room for 6 by 4 accumulators; narrower ones get 6 by 2. */
    private static final boolean WIDE = SPECIES.vectorBitSize() >= 512;
    /** Input rows per micro-kernel block. */
    static final int MR = 6;
    /** Weight rows (output columns) per panel: 4 or 2 vectors. */
    static final int NB = (WIDE ? 4 : 2) * L;
    /** Inputs per panel: the panel ({@code KC * NB} floats) stays in the L1 cache. */
    static final int KC = WIDE ? 128 : 256;
    /**
     * F16 weights widened at a time by the dot-product kernels: a chunk of a row, in L1 as floats (twice
     * as long ran slower from memory, half as long slower from the caches: see bench/models/RESULTS.md).
     */
    static final int HALF_CHUNK = 512;
    /**
     * From this many input rows on, the matrix-matrix kernel: below, packing the weights (transposed, one
     * element at a time) costs more than it saves. F16's dot product widens through a scratch and is
     * slower per input row, so it hands over earlier (measured on 4096 x 1024 weights: bench/models/RESULTS.md).
     */
    static final int GEMM_ROWS = 24;
    static final int GEMM_ROWS_F16 = 8;
    /** For each halving step of {@link #sum}, the shuffle that brings lane {@code n + width} to lane {@code n}. */
    private static final VectorShuffle<Float>[] HALVING = halvingShuffles();

    VectorKernels() {
        if (L < 8) {
            throw new IllegalStateException("the Vector API's preferred species holds only " + L
                    + " floats; the vector kernels are made for 256-bit vectors or wider");
        }
    }

    @Override
    public String describe() {
        return "Vector API " + SPECIES.vectorBitSize() + "-bit (" + L + " floats)";
    }

    @Override
    public int columnBlock() {
        return NB;
    }

    @Override
    public void linear(Weights w, float[] bias, float[] x, int rows, float[] y, int from, int to) {
        if (rows < (w.dtype() == DType.F16 ? GEMM_ROWS_F16 : GEMM_ROWS)) {
            dotRows(w, bias, x, rows, y, from, to);
        } else {
            gemm(w, bias, x, rows, y, from, to);
        }
    }

    // ---------------------------------------------------------------- decode: dot products, weights read once

    /**
     * Columns {@code [from, to)} for a few input rows, F32 or BF16 weights (F16: {@link #halfRows}): four
     * weight rows at a time (one at a time for the last), read straight from the segment and widened in
     * registers, dotted with each input row in turn (the four weight rows stay in cache for the next
     * input row). Each output has one vector accumulator; its lanes are added by {@link #sum}, then the
     * last {@code in % L} products one by one.
     */
    private static void dotRows(Weights w, float[] bias, float[] x, int rows, float[] y, int from, int to) {
        if (w.dtype() == DType.F16) {
            halfRows(w, bias, x, rows, y, from, to);
            return;
        }
        boolean f32 = w.dtype() == DType.F32; // else BF16
        int in = w.in();
        int out = w.out();
        MemorySegment data = w.data();
        long stride = (long) in * w.dtype().bytes();
        float[] acc = new float[4 * L];
        int o = from;
        while (o < to) {
            int block = to - o >= 4 ? 4 : 1;
            long base = o * stride;
            for (int r = 0; r < rows; r++) {
                int x0 = r * in;
                if (block == 4 && f32) {
                    dot4F32(data, base, stride, x, x0, in, acc);
                } else if (block == 4) {
                    dot4BF16(data, base, stride, x, x0, in, acc);
                } else if (f32) {
                    dot1F32(data, base, x, x0, in, acc);
                } else {
                    dot1BF16(data, base, x, x0, in, acc);
                }
                for (int j = 0; j < block; j++) {
                    float s = sum(acc, j * L);
                    for (int i = in - in % L; i < in; i++) {
                        s = Math.fma(w.get(o + j, i), x[x0 + i], s);
                    }
                    y[r * out + o + j] = bias == null ? s : s + bias[o + j];
                }
            }
            o += block;
        }
    }

    /**
     * {@link #dotRows} for F16 weights. The Vector API has no half conversion, and widening in registers
     * with integer arithmetic makes methods so large (in C2's count before optimisation) that C2 stops
     * inlining them, and was no faster than the CPU's own conversion (bench/models/RESULTS.md). So each
     * weight row is widened {@value #HALF_CHUNK} elements at a time into an L1-resident scratch by a plain
     * loop, {@link #halves}, which C2 compiles to {@code vcvtph2ps}, and dotted from there with every
     * input row. Rows are read one after the other, in memory order: with the computing in between, one
     * sequential stream is what the hardware prefetcher kept up with best (four rows side by side in
     * chunks, or blocks of several rows, ran slower from memory).
     */
    private static void halfRows(Weights w, float[] bias, float[] x, int rows, float[] y, int from, int to) {
        int in = w.in();
        int out = w.out();
        MemorySegment data = w.data();
        float[] scratch = new float[Math.min(in, HALF_CHUNK)];
        float[] acc = new float[rows * 4 * L];
        for (int o = from; o < to; o++) {
            java.util.Arrays.fill(acc, 0);
            long base = 2L * o * in;
            int n = 0;
            for (int c0 = 0; c0 < in; c0 += HALF_CHUNK) {
                n = Math.min(HALF_CHUNK, in - c0);
                halves(data, base + 2L * c0, n, scratch, 0);
                for (int r = 0; r < rows; r++) {
                    dotChunk(scratch, n, x, r * in + c0, acc, r * 4 * L);
                }
            }
            // the last chunk, still in the scratch, holds the last in % L elements, which no vector covered
            int last = in - n;
            for (int r = 0; r < rows; r++) {
                float s = sum4(acc, r * 4 * L);
                for (int i = in - in % L; i < in; i++) {
                    s = Math.fma(scratch[i - last], x[r * in + i], s);
                }
                y[r * out + o] = bias == null ? s : s + bias[o];
            }
        }
    }

    /**
     * {@link #halves} for the prefill's panels ({@value #KC} or fewer at a time): the same loop in a method of its
     * own, so that C2 compiles each from its own caller's profile. With one method for both, the decode's
     * products ran at a third of their speed in some JVMs (the prefill, which runs first, had shaped the
     * profile of the shared loop).
     */
    private static void panelHalves(MemorySegment w, long at, int n, float[] dst, int d0) {
        for (int k = 0; k < n; k++) {
            dst[d0 + k] = Float.float16ToFloat(w.get(Weights.HALF, at + 2L * k));
        }
    }

    /** {@code dst[d0 + k]} = the half at byte {@code at + 2k}, widened exactly, for {@code k < n}. */
    private static void halves(MemorySegment w, long at, int n, float[] dst, int d0) {
        for (int k = 0; k < n; k++) {
            dst[d0 + k] = Float.float16ToFloat(w.get(Weights.HALF, at + 2L * k));
        }
    }

    /**
     * {@code acc[a + j * L + lane] += w[i] * x[x0 + i]} over the whole vectors of {@code i < n}, vector
     * {@code v} of the chunk going to accumulator {@code j = v % 4}: four independent chains of fused
     * multiply-adds. {@code n} is a multiple of 4L but in the last chunk of a row.
     */
    private static void dotChunk(float[] w, int n, float[] x, int x0, float[] acc, int a) {
        FloatVector a0 = FloatVector.fromArray(SPECIES, acc, a), a1 = FloatVector.fromArray(SPECIES, acc, a + L),
                a2 = FloatVector.fromArray(SPECIES, acc, a + 2 * L), a3 = FloatVector.fromArray(SPECIES, acc, a + 3 * L);
        int i = 0;
        for (; i <= n - 4 * L; i += 4 * L) {
            a0 = FloatVector.fromArray(SPECIES, w, i).fma(FloatVector.fromArray(SPECIES, x, x0 + i), a0);
            a1 = FloatVector.fromArray(SPECIES, w, i + L).fma(FloatVector.fromArray(SPECIES, x, x0 + i + L), a1);
            a2 = FloatVector.fromArray(SPECIES, w, i + 2 * L).fma(FloatVector.fromArray(SPECIES, x, x0 + i + 2 * L), a2);
            a3 = FloatVector.fromArray(SPECIES, w, i + 3 * L).fma(FloatVector.fromArray(SPECIES, x, x0 + i + 3 * L), a3);
        }
        if (i <= n - L) {
            a0 = FloatVector.fromArray(SPECIES, w, i).fma(FloatVector.fromArray(SPECIES, x, x0 + i), a0);
            i += L;
        }
        if (i <= n - L) {
            a1 = FloatVector.fromArray(SPECIES, w, i).fma(FloatVector.fromArray(SPECIES, x, x0 + i), a1);
            i += L;
        }
        if (i <= n - L) {
            a2 = FloatVector.fromArray(SPECIES, w, i).fma(FloatVector.fromArray(SPECIES, x, x0 + i), a2);
        }
        a0.intoArray(acc, a);
        a1.intoArray(acc, a + L);
        a2.intoArray(acc, a + 2 * L);
        a3.intoArray(acc, a + 3 * L);
    }

    /** The four accumulators at {@code acc[at]} added lane-wise, {@code (a0 + a1) + (a2 + a3)}, then {@link #sum}. */
    private static float sum4(float[] acc, int at) {
        FloatVector v = FloatVector.fromArray(SPECIES, acc, at).add(FloatVector.fromArray(SPECIES, acc, at + L))
                .add(FloatVector.fromArray(SPECIES, acc, at + 2 * L).add(FloatVector.fromArray(SPECIES, acc, at + 3 * L)));
        return sum(v);
    }

    /*
     * The dot kernels: acc[j * L + lane] = sum over the whole vectors of row j (of four, or of one)
     * of w[i] * x[x0 + i], lane by lane with fused multiply-adds, in order of i. Small methods, one per
     * type, whose vectors never cross a call: C2 compiles Vector API code well only where it inlines all
     * of it, which it stops doing in methods that grow large.
     */

    private static void dot4F32(MemorySegment w, long base, long stride, float[] x, int x0, int in, float[] acc) {
        FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0;
        for (int i = 0; i <= in - L; i += L) {
            FloatVector xv = FloatVector.fromArray(SPECIES, x, x0 + i);
            long at = base + 4L * i;
            a0 = FloatVector.fromMemorySegment(SPECIES, w, at, LE).fma(xv, a0);
            a1 = FloatVector.fromMemorySegment(SPECIES, w, at + stride, LE).fma(xv, a1);
            a2 = FloatVector.fromMemorySegment(SPECIES, w, at + 2 * stride, LE).fma(xv, a2);
            a3 = FloatVector.fromMemorySegment(SPECIES, w, at + 3 * stride, LE).fma(xv, a3);
        }
        store(a0, a1, a2, a3, acc);
    }

    private static void dot4BF16(MemorySegment w, long base, long stride, float[] x, int x0, int in, float[] acc) {
        FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0;
        for (int i = 0; i <= in - L; i += L) {
            FloatVector xv = FloatVector.fromArray(SPECIES, x, x0 + i);
            long at = base + 2L * i;
            a0 = bf16(w, at).fma(xv, a0);
            a1 = bf16(w, at + stride).fma(xv, a1);
            a2 = bf16(w, at + 2 * stride).fma(xv, a2);
            a3 = bf16(w, at + 3 * stride).fma(xv, a3);
        }
        store(a0, a1, a2, a3, acc);
    }

    private static void store(FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3, float[] acc) {
        a0.intoArray(acc, 0);
        a1.intoArray(acc, L);
        a2.intoArray(acc, 2 * L);
        a3.intoArray(acc, 3 * L);
    }

    private static void dot1F32(MemorySegment w, long base, float[] x, int x0, int in, float[] acc) {
        FloatVector a0 = FloatVector.zero(SPECIES);
        for (int i = 0; i <= in - L; i += L) {
            a0 = FloatVector.fromMemorySegment(SPECIES, w, base + 4L * i, LE).fma(FloatVector.fromArray(SPECIES, x, x0 + i), a0);
        }
        a0.intoArray(acc, 0);
    }

    private static void dot1BF16(MemorySegment w, long base, float[] x, int x0, int in, float[] acc) {
        FloatVector a0 = FloatVector.zero(SPECIES);
        for (int i = 0; i <= in - L; i += L) {
            a0 = bf16(w, base + 2L * i).fma(FloatVector.fromArray(SPECIES, x, x0 + i), a0);
        }
        a0.intoArray(acc, 0);
    }

    /**
     * {@code dst[d0 + k] = W[o][k0 + k]} widened, for {@code k < n}. One small method per type: C2
     * compiles Vector API code well only where it inlines all of it, which it stops doing in methods
     * that grow large.
     */
    private static void widen(Weights w, int o, int k0, int n, float[] dst, int d0) {
        long at = w.offset(o, k0);
        switch (w.dtype()) {
            case F32 -> MemorySegment.copy(w.data(), Weights.F32, at, dst, d0, n);
            case F16 -> panelHalves(w.data(), at, n, dst, d0);
            case BF16 -> widenBF16(w.data(), at, n, dst, d0);
        }
    }

    private static void widenBF16(MemorySegment w, long at, int n, float[] dst, int d0) {
        int k = 0;
        for (; k <= n - L; k += L) {
            bf16(w, at + 2L * k).intoArray(dst, d0 + k);
        }
        for (; k < n; k++) {
            dst[d0 + k] = Float.intBitsToFloat(w.get(Weights.HALF, at + 2L * k) << 16);
        }
    }

    /** {@code L} bfloat16 values at {@code at}, widened: each the upper half of a float. */
    static FloatVector bf16(MemorySegment w, long at) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(SHORTS, w, at, LE).convertShape(VectorOperators.S2I, INTS, 0);
        return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** The lanes {@code acc[at, at + L)} added in a fixed order (pairs of halves), whether compiled or interpreted. */
    static float sum(float[] acc, int at) {
        return sum(FloatVector.fromArray(SPECIES, acc, at));
    }

    /** The lanes of {@code v} added in a fixed order (pairs of halves). */
    private static float sum(FloatVector v) {
        for (VectorShuffle<Float> half : HALVING) {
            v = v.add(v.rearrange(half));
        }
        return v.lane(0);
    }

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] halvingShuffles() {
        int steps = Integer.numberOfTrailingZeros(L);
        VectorShuffle<Float>[] shuffles = new VectorShuffle[steps];
        for (int step = 0; step < steps; step++) {
            int width = L >> (step + 1);
            shuffles[step] = VectorShuffle.fromOp(SPECIES, n -> (n + width) % L);
        }
        return shuffles;
    }

    // ---------------------------------------------------------------- prefill: a blocked matrix-matrix product

    /**
     * Columns {@code [from, to)} of {@code y}, in chunks of {@value #KC} inputs: for each chunk the input
     * rows are packed ({@link #packInputs}), then for each panel of {@link #NB} columns the weights are
     * widened and transposed ({@link #packWeights}) and every block of {@value #MR} input rows runs the
     * micro-kernel, which adds the chunk's products to {@code y} (the first chunk starts from the bias).
     * Blocks at the edges (fewer rows or columns) run through a tile of their own.
     */
    private static void gemm(Weights w, float[] bias, float[] x, int rows, float[] y, int from, int to) {
        int in = w.in();
        int out = w.out();
        int blocks = Math.ceilDiv(rows, MR);
        float[] xp = new float[blocks * MR * KC];
        float[] panel = new float[KC * NB];
        float[] row = new float[KC];
        float[] tile = new float[MR * NB];
        float[] start = new float[NB];
        for (int k0 = 0; k0 < in; k0 += KC) {
            int kc = Math.min(KC, in - k0);
            boolean first = k0 == 0;
            packInputs(x, rows, in, k0, kc, xp);
            for (int c0 = from; c0 < to; c0 += NB) {
                int width = Math.min(NB, to - c0);
                packWeights(w, c0, width, k0, kc, row, panel);
                if (first) {
                    java.util.Arrays.fill(start, 0);
                    if (bias != null) {
                        System.arraycopy(bias, c0, start, 0, width);
                    }
                }
                for (int b = 0; b < blocks; b++) {
                    int r0 = b * MR;
                    int height = Math.min(MR, rows - r0);
                    if (height == MR && width == NB) {
                        microKernel(xp, b * MR * KC, panel, kc, y, r0 * out + c0, out, first, start);
                    } else {
                        for (int m = 0; m < height && !first; m++) {
                            System.arraycopy(y, (r0 + m) * out + c0, tile, m * NB, width);
                        }
                        microKernel(xp, b * MR * KC, panel, kc, tile, 0, NB, first, start);
                        for (int m = 0; m < height; m++) {
                            System.arraycopy(tile, m * NB, y, (r0 + m) * out + c0, width);
                        }
                    }
                }
            }
        }
    }

    /**
     * {@code xp[b * MR * KC + k * MR + m] = x[(b * MR + m) * in + k0 + k]} for {@code k < kc}: each block
     * of {@value #MR} rows interleaved, so that the micro-kernel reads its broadcasts in one stream; rows
     * past the last are zero.
     */
    private static void packInputs(float[] x, int rows, int in, int k0, int kc, float[] xp) {
        int blocks = Math.ceilDiv(rows, MR);
        for (int b = 0; b < blocks; b++) {
            int base = b * MR * KC;
            for (int m = 0; m < MR; m++) {
                int r = b * MR + m;
                if (r < rows) {
                    int x0 = r * in + k0;
                    for (int k = 0; k < kc; k++) {
                        xp[base + k * MR + m] = x[x0 + k];
                    }
                } else {
                    for (int k = 0; k < kc; k++) {
                        xp[base + k * MR + m] = 0;
                    }
                }
            }
        }
    }

    /**
     * {@code panel[k * NB + c] = W[c0 + c][k0 + k]} widened, for {@code k < kc}, {@code c < width}; zero
     * for {@code c >= width}. Each weight row's chunk is widened with vectors into {@code row}, then
     * stored down a column of the panel.
     */
    private static void packWeights(Weights w, int c0, int width, int k0, int kc, float[] row, float[] panel) {
        for (int c = 0; c < NB; c++) {
            if (c < width) {
                widen(w, c0 + c, k0, kc, row, 0);
                for (int k = 0; k < kc; k++) {
                    panel[k * NB + c] = row[k];
                }
            } else {
                for (int k = 0; k < kc; k++) {
                    panel[k * NB + c] = 0;
                }
            }
        }
    }

    /**
     * {@code c[c0 + m * ldc + n] = start(m, n) + sum_k xp[xb + k * MR + m] * panel[k * NB + n]} for
     * {@code m < MR}, {@code n < NB}, {@code k < kc}, in order of {@code k}, with fused multiply-adds;
     * {@code start} is {@code bias[n]} for the first chunk, else the value in {@code c}.
     */
    private static void microKernel(float[] xp, int xb, float[] panel, int kc, float[] c, int c0, int ldc, boolean first, float[] bias) {
        if (WIDE) {
            kernel6x4(xp, xb, panel, kc, c, c0, ldc, first, bias);
        } else {
            kernel6x2(xp, xb, panel, kc, c, c0, ldc, first, bias);
        }
    }

    private static FloatVector start(float[] c, int at, boolean first, float[] bias, int n) {
        return first ? FloatVector.fromArray(SPECIES, bias, n) : FloatVector.fromArray(SPECIES, c, at);
    }

    /** 6 input rows by 4 vectors of columns: 24 accumulators, 4 loads and 6 broadcasts per step. */
    private static void kernel6x4(float[] xp, int xb, float[] panel, int kc, float[] c, int c0, int ldc, boolean first, float[] bias) {
        final int nb = NB; // constants: C2 drops the range checks of the panel and packed-input loads only then
        final int mr = MR;
        int r1 = c0 + ldc, r2 = r1 + ldc, r3 = r2 + ldc, r4 = r3 + ldc, r5 = r4 + ldc;
        FloatVector a00 = start(c, c0, first, bias, 0), a01 = start(c, c0 + L, first, bias, L),
                a02 = start(c, c0 + 2 * L, first, bias, 2 * L), a03 = start(c, c0 + 3 * L, first, bias, 3 * L);
        FloatVector a10 = start(c, r1, first, bias, 0), a11 = start(c, r1 + L, first, bias, L),
                a12 = start(c, r1 + 2 * L, first, bias, 2 * L), a13 = start(c, r1 + 3 * L, first, bias, 3 * L);
        FloatVector a20 = start(c, r2, first, bias, 0), a21 = start(c, r2 + L, first, bias, L),
                a22 = start(c, r2 + 2 * L, first, bias, 2 * L), a23 = start(c, r2 + 3 * L, first, bias, 3 * L);
        FloatVector a30 = start(c, r3, first, bias, 0), a31 = start(c, r3 + L, first, bias, L),
                a32 = start(c, r3 + 2 * L, first, bias, 2 * L), a33 = start(c, r3 + 3 * L, first, bias, 3 * L);
        FloatVector a40 = start(c, r4, first, bias, 0), a41 = start(c, r4 + L, first, bias, L),
                a42 = start(c, r4 + 2 * L, first, bias, 2 * L), a43 = start(c, r4 + 3 * L, first, bias, 3 * L);
        FloatVector a50 = start(c, r5, first, bias, 0), a51 = start(c, r5 + L, first, bias, L),
                a52 = start(c, r5 + 2 * L, first, bias, 2 * L), a53 = start(c, r5 + 3 * L, first, bias, 3 * L);
        for (int k = 0; k < kc; k++) {
            int p = k * nb;
            int q = xb + k * mr;
            FloatVector w0 = FloatVector.fromArray(SPECIES, panel, p);
            FloatVector w1 = FloatVector.fromArray(SPECIES, panel, p + L);
            FloatVector w2 = FloatVector.fromArray(SPECIES, panel, p + 2 * L);
            FloatVector w3 = FloatVector.fromArray(SPECIES, panel, p + 3 * L);
            FloatVector b = FloatVector.broadcast(SPECIES, xp[q]);
            a00 = w0.fma(b, a00);
            a01 = w1.fma(b, a01);
            a02 = w2.fma(b, a02);
            a03 = w3.fma(b, a03);
            b = FloatVector.broadcast(SPECIES, xp[q + 1]);
            a10 = w0.fma(b, a10);
            a11 = w1.fma(b, a11);
            a12 = w2.fma(b, a12);
            a13 = w3.fma(b, a13);
            b = FloatVector.broadcast(SPECIES, xp[q + 2]);
            a20 = w0.fma(b, a20);
            a21 = w1.fma(b, a21);
            a22 = w2.fma(b, a22);
            a23 = w3.fma(b, a23);
            b = FloatVector.broadcast(SPECIES, xp[q + 3]);
            a30 = w0.fma(b, a30);
            a31 = w1.fma(b, a31);
            a32 = w2.fma(b, a32);
            a33 = w3.fma(b, a33);
            b = FloatVector.broadcast(SPECIES, xp[q + 4]);
            a40 = w0.fma(b, a40);
            a41 = w1.fma(b, a41);
            a42 = w2.fma(b, a42);
            a43 = w3.fma(b, a43);
            b = FloatVector.broadcast(SPECIES, xp[q + 5]);
            a50 = w0.fma(b, a50);
            a51 = w1.fma(b, a51);
            a52 = w2.fma(b, a52);
            a53 = w3.fma(b, a53);
        }
        a00.intoArray(c, c0);
        a01.intoArray(c, c0 + L);
        a02.intoArray(c, c0 + 2 * L);
        a03.intoArray(c, c0 + 3 * L);
        a10.intoArray(c, r1);
        a11.intoArray(c, r1 + L);
        a12.intoArray(c, r1 + 2 * L);
        a13.intoArray(c, r1 + 3 * L);
        a20.intoArray(c, r2);
        a21.intoArray(c, r2 + L);
        a22.intoArray(c, r2 + 2 * L);
        a23.intoArray(c, r2 + 3 * L);
        a30.intoArray(c, r3);
        a31.intoArray(c, r3 + L);
        a32.intoArray(c, r3 + 2 * L);
        a33.intoArray(c, r3 + 3 * L);
        a40.intoArray(c, r4);
        a41.intoArray(c, r4 + L);
        a42.intoArray(c, r4 + 2 * L);
        a43.intoArray(c, r4 + 3 * L);
        a50.intoArray(c, r5);
        a51.intoArray(c, r5 + L);
        a52.intoArray(c, r5 + 2 * L);
        a53.intoArray(c, r5 + 3 * L);
    }

    /** 6 input rows by 2 vectors of columns: 12 accumulators, 2 loads and 6 broadcasts per step. */
    private static void kernel6x2(float[] xp, int xb, float[] panel, int kc, float[] c, int c0, int ldc, boolean first, float[] bias) {
        final int nb = NB; // constants: C2 drops the range checks of the panel and packed-input loads only then
        final int mr = MR;
        int r1 = c0 + ldc, r2 = r1 + ldc, r3 = r2 + ldc, r4 = r3 + ldc, r5 = r4 + ldc;
        FloatVector a00 = start(c, c0, first, bias, 0), a01 = start(c, c0 + L, first, bias, L);
        FloatVector a10 = start(c, r1, first, bias, 0), a11 = start(c, r1 + L, first, bias, L);
        FloatVector a20 = start(c, r2, first, bias, 0), a21 = start(c, r2 + L, first, bias, L);
        FloatVector a30 = start(c, r3, first, bias, 0), a31 = start(c, r3 + L, first, bias, L);
        FloatVector a40 = start(c, r4, first, bias, 0), a41 = start(c, r4 + L, first, bias, L);
        FloatVector a50 = start(c, r5, first, bias, 0), a51 = start(c, r5 + L, first, bias, L);
        for (int k = 0; k < kc; k++) {
            int p = k * nb;
            int q = xb + k * mr;
            FloatVector w0 = FloatVector.fromArray(SPECIES, panel, p);
            FloatVector w1 = FloatVector.fromArray(SPECIES, panel, p + L);
            FloatVector b = FloatVector.broadcast(SPECIES, xp[q]);
            a00 = w0.fma(b, a00);
            a01 = w1.fma(b, a01);
            b = FloatVector.broadcast(SPECIES, xp[q + 1]);
            a10 = w0.fma(b, a10);
            a11 = w1.fma(b, a11);
            b = FloatVector.broadcast(SPECIES, xp[q + 2]);
            a20 = w0.fma(b, a20);
            a21 = w1.fma(b, a21);
            b = FloatVector.broadcast(SPECIES, xp[q + 3]);
            a30 = w0.fma(b, a30);
            a31 = w1.fma(b, a31);
            b = FloatVector.broadcast(SPECIES, xp[q + 4]);
            a40 = w0.fma(b, a40);
            a41 = w1.fma(b, a41);
            b = FloatVector.broadcast(SPECIES, xp[q + 5]);
            a50 = w0.fma(b, a50);
            a51 = w1.fma(b, a51);
        }
        a00.intoArray(c, c0);
        a01.intoArray(c, c0 + L);
        a10.intoArray(c, r1);
        a11.intoArray(c, r1 + L);
        a20.intoArray(c, r2);
        a21.intoArray(c, r2 + L);
        a30.intoArray(c, r3);
        a31.intoArray(c, r3 + L);
        a40.intoArray(c, r4);
        a41.intoArray(c, r4 + L);
        a50.intoArray(c, r5);
        a51.intoArray(c, r5 + L);
    }
}
