package org.alibi4j.models.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.alibi4j.models.checkpoint.DType;
import org.alibi4j.models.checkpoint.WeightTensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kernel against a float64 reference, over odd shapes, the three weight types, with and without
 * a bias, on one thread and on three.
 *
 * <p>Error bound: a float dot product of {@code n} terms (products and sums each rounded once, in any
 * order of summation) plus a bias is within {@code (n + 2) u (sum_i |x_i w_i| + |b|)} of the exact value,
 * {@code u = 2^-24} (Higham, Accuracy and Stability of Numerical Algorithms, 3.1; the second-order term
 * is covered by a factor 1.01 for {@code n <= 2^16}); the reference, summed in double of the exactly
 * widened weights, is exact to far better than that. A tiny absolute term covers underflow.
 * Where every product and partial sum is a small integer the result must be exact, and is compared by bits.
 */
class LinearKernelsTest {
    private static final int[] OUTS = {1, 3, 17, 100, 257};
    /** 2500: more than one chunk of the F16 decode kernel and of the prefill panels, and no multiple of a vector. */
    private static final int[] INS = {1, 5, 33, 130, 1000, 2500};
    private static final int[] ROWS = {1, 2, 7, 64};

    private static Arena arena;

    @BeforeAll
    static void openArena() {
        arena = Arena.ofShared();
    }

    @AfterAll
    static void closeArena() {
        arena.close();
    }

    /** The kernels under test: plain Java always, the Vector API's (this JVM's width) where the module is present. */
    static List<LinearKernels> kernels() {
        List<LinearKernels> all = new ArrayList<>();
        all.add(new ScalarKernels());
        if (ModuleLayer.boot().findModule(Vectorization.MODULE).isPresent()) {
            all.add(new VectorKernels());
        }
        return all;
    }

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (LinearKernels k : kernels()) {
            for (DType dtype : DType.values()) {
                for (int out : OUTS) {
                    for (int in : INS) {
                        for (int rows : ROWS) {
                            // bias on alternate shapes, so that both occur with every dtype and size
                            boolean bias = ((out + in + rows) & 1) == 0;
                            cases.add(Arguments.of(k, dtype, out, in, rows, bias));
                        }
                    }
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1} out={2} in={3} rows={4} bias={5}")
    @MethodSource("cases")
    void matchesTheFloat64ReferenceWithinTheBound(LinearKernels kernels, DType dtype, int out, int in, int rows, boolean withBias) {
        SplittableRandom random = new SplittableRandom(31L * out + 7L * in + rows + dtype.ordinal());
        float[] w = TestMatrices.gaussian(random, out * in);
        WeightTensor weight = TestMatrices.tensor(arena, dtype, out, in, w);
        float[] bias = withBias ? TestMatrices.gaussian(random, out) : null;
        float[] x = TestMatrices.gaussian(random, rows * in);
        double[] scale = new double[rows * out];
        double[] ref = TestMatrices.reference(w, bias, x, rows, out, in, scale);
        for (int threads : new int[] {1, 3}) {
            float[] y = new float[rows * out];
            try (MatMul matMul = new MatMul(threads, kernels, null)) {
                matMul.linear(weight, bias, x, rows, y);
            }
            double u = 0x1p-24;
            for (int r = 0; r < rows; r++) {
                for (int o = 0; o < out; o++) {
                    int at = r * out + o;
                    double bound = 1.01 * (in + 2) * u * scale[at] + Float.MIN_NORMAL;
                    if (!(Math.abs(y[at] - ref[at]) <= bound)) {
                        fail("threads=" + threads + ": first mismatch at row " + r + ", column " + o + ": expected " + ref[at]
                                + " +- " + bound + ", was " + y[at]);
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} {1} out={2} in={3} rows={4} bias={5}")
    @MethodSource("cases")
    void isExactWhereEverySumIsASmallInteger(LinearKernels kernels, DType dtype, int out, int in, int rows, boolean withBias) {
        SplittableRandom random = new SplittableRandom(17L * out + 5L * in + rows);
        // |x w| <= 64 and in <= 2500: every partial sum is an integer below 2^24, exact in float in any order
        float[] w = TestMatrices.integers(random, out * in, 8);
        WeightTensor weight = TestMatrices.tensor(arena, dtype, out, in, w);
        float[] bias = withBias ? TestMatrices.integers(random, out, 100) : null;
        float[] x = TestMatrices.integers(random, rows * in, 8);
        double[] ref = TestMatrices.reference(w, bias, x, rows, out, in, new double[rows * out]);
        float[] y = new float[rows * out];
        try (MatMul matMul = new MatMul(2, kernels, null)) {
            matMul.linear(weight, bias, x, rows, y);
        }
        for (int at = 0; at < y.length; at++) {
            if (Float.floatToIntBits(y[at]) != Float.floatToIntBits((float) ref[at] + 0f)) {
                fail("first mismatch at row " + at / out + ", column " + at % out + ": expected " + ref[at] + ", was " + y[at]);
            }
        }
    }

    static Stream<Arguments> halfTypes() {
        List<Arguments> cases = new ArrayList<>();
        for (LinearKernels k : kernels()) {
            for (DType dtype : new DType[] {DType.F16, DType.BF16}) {
                for (int rows : new int[] {1, 256}) {
                    cases.add(Arguments.of(k, dtype, rows));
                }
            }
        }
        return cases.stream();
    }

    /**
     * Every finite 16-bit pattern (subnormals, both zeros, the largest values) widens exactly: with
     * {@code W [256, 256]} holding them all and {@code x} the rows of the identity, {@code y[r][o] = W[o][r]}.
     * Rows 1 (one identity row per call: the decode path) and 256 (all at once: the prefill path).
     */
    @ParameterizedTest(name = "{0} {1} rows={2}")
    @MethodSource("halfTypes")
    void widensEveryFiniteHalfExactly(LinearKernels kernels, DType dtype, int rows) {
        int n = 256;
        short[] bits = new short[n * n];
        for (int b = 0; b < bits.length; b++) {
            float widened = dtype == DType.F16 ? Float.float16ToFloat((short) b) : Float.intBitsToFloat(b << 16);
            // infinities and NaN would make 0 * w a NaN: replaced by 1
            bits[b] = Float.isFinite(widened) ? (short) b : (dtype == DType.F16 ? Float.floatToFloat16(1) : (short) 0x3f80);
        }
        WeightTensor weight = TestMatrices.halves(arena, dtype, n, n, bits);
        try (MatMul matMul = new MatMul(2, kernels, null)) {
            for (int r0 = 0; r0 < n; r0 += rows) {
                float[] x = new float[rows * n];
                for (int r = 0; r < rows; r++) {
                    x[r * n + r0 + r] = 1;
                }
                float[] y = new float[rows * n];
                matMul.linear(weight, null, x, rows, y);
                for (int r = 0; r < rows; r++) {
                    for (int o = 0; o < n; o++) {
                        short half = bits[o * n + r0 + r];
                        float expected = dtype == DType.F16 ? Float.float16ToFloat(half) : Float.intBitsToFloat(half << 16);
                        // a zero weight may come out as either zero
                        String where = "W[" + o + "][" + (r0 + r) + "] bits " + Integer.toHexString(half & 0xffff);
                        assertEquals(expected + 0f, y[r * n + o] + 0f, where);
                    }
                }
            }
        }
    }

    static Stream<Arguments> kernelsAndTypes() {
        List<Arguments> cases = new ArrayList<>();
        for (LinearKernels k : kernels()) {
            for (DType dtype : DType.values()) {
                for (int rows : new int[] {1, 9, 30}) { // the decode path; prefill's for F16 (9) and for all (30)
                    cases.add(Arguments.of(k, dtype, rows));
                }
            }
        }
        return cases.stream();
    }

    /**
     * Infinite and NaN weights pass through as IEEE arithmetic has them: with {@code x} all ones, a row
     * holding an infinity sums to it, one holding NaN (or both infinities) to NaN. The special values sit
     * both where the kernels read whole vectors and in the last, odd elements of a row.
     */
    @ParameterizedTest(name = "{0} {1} rows={2}")
    @MethodSource("kernelsAndTypes")
    void infinitiesAndNaNsPassThrough(LinearKernels kernels, DType dtype, int rows) {
        int out = 70;
        int in = 37;
        float[] w = new float[out * in];
        java.util.Arrays.fill(w, 0.5f);
        float[] expected = new float[out];
        java.util.Arrays.fill(expected, 0.5f * in);
        for (int o = 0; o < out; o += 5) {
            int i = (o * 7) % in;
            float special = switch ((o / 5) % 4) {
                case 0 -> Float.POSITIVE_INFINITY;
                case 1 -> Float.NEGATIVE_INFINITY;
                case 2 -> Float.NaN;
                default -> -0.0f;
            };
            w[o * in + i] = special;
            expected[o] = Float.isNaN(special) ? Float.NaN : Float.isInfinite(special) ? special : 0.5f * (in - 1);
        }
        WeightTensor weight = TestMatrices.tensor(arena, dtype, out, in, w);
        float[] x = new float[rows * in];
        java.util.Arrays.fill(x, 1);
        float[] y = new float[rows * out];
        try (MatMul matMul = new MatMul(2, kernels, null)) {
            matMul.linear(weight, null, x, rows, y);
        }
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < out; o++) {
                assertEquals(expected[o], y[r * out + o], "row " + r + ", column " + o);
            }
        }
    }
}
