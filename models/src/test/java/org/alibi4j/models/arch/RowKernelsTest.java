package org.alibi4j.models.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The row kernels (plain Java and, where the module is present, the Vector API's) against float64
 * references of the formulas, over sweeps and random values, special values and lengths that leave a
 * partial vector.
 *
 * <p>Bounds, {@code u = 2^-24}:
 * <ul>
 *   <li>GELU with erf: within {@value #ERF_ULPS} ulps of {@code x/2 (1 + erf(z))} evaluated in double at the
 *       float {@code z = x * (float) (1/sqrt 2)} every implementation computes first (the rounding of {@code z}
 *       itself, which moves {@code erfc(z)} by up to {@code 2 z^2 u} relatively, is not the kernel's). For the
 *       Vector API's: the fit's relative 1.2e-7 and the roundings of {@code t} (which the fit amplifies), of
 *       the polynomial, the two exponentials and the products. For the plain-Java kernel, which adds
 *       {@code 1.0f} to a float {@code erf} as PyTorch does, also {@code |x| u} absolute (that sum cancels for
 *       large negative {@code x}).</li>
 *   <li>GELU with tanh: the same float steps on both kernels, so within 1 ulp of the plain-Java value plus
 *       {@code |x| u / 2} absolute (the tanh of each rounds differently; {@code 1 + tanh} cancels for large
 *       negative {@code x}); and both within {@value #TANH_ULPS} ulps of {@code x/2 (1 + tanh(u))} in double
 *       at the float {@code u} plus {@code |x| u} absolute.</li>
 *   <li>Layer norm: within {@code 4u} of a double reference, relative to {@code |(x - mean)/dev * w| + |b|}, plus
 *       the rounding of the mean to float, {@code u |mean| / dev * |w|} (both kernels subtract a float mean, as
 *       PyTorch does; on rows far off centre that term is the larger).</li>
 * </ul>
 */
class RowKernelsTest {
    private static final double U = 0x1p-24;
    private static final int ERF_ULPS = 8;
    private static final int TANH_ULPS = 3;

    static List<RowKernels> kernels() {
        List<RowKernels> all = new ArrayList<>();
        all.add(ScalarRowKernels.INSTANCE);
        if (ModuleLayer.boot().findModule(RowVectorization.MODULE).isPresent()) {
            all.add(new VectorRowKernels());
        }
        return all;
    }

    /** A sweep of [-16, 16] every 2^-12, random values of several scales, special values; an odd count. */
    private static float[] inputs() {
        List<Float> values = new ArrayList<>();
        for (int i = -16 * 4096; i <= 16 * 4096; i++) {
            values.add(i / 4096f);
        }
        SplittableRandom random = new SplittableRandom(11);
        for (int i = 0; i < 20001; i++) {
            double scale = Math.pow(10, random.nextInt(-6, 3));
            values.add((float) (random.nextGaussian() * scale));
        }
        for (float f : new float[] {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, -Float.MIN_NORMAL, 1e-30f, -1e-30f,
                14.8f, -14.8f, 15f, -15f, 30f, -30f, 1e6f, -1e6f, Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN}) {
            values.add(f);
        }
        float[] x = new float[values.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = values.get(i);
        }
        return x;
    }

    /** erf in double: its Taylor series up to 2.5, 1 - erfc by the continued fraction past it. */
    static double erf(double z) {
        double a = Math.abs(z);
        if (a < 2.5) {
            double term = z;
            double sum = z;
            for (int n = 1; n < 200; n++) {
                term *= -z * z / n;
                sum += term / (2 * n + 1);
            }
            return 2 / Math.sqrt(Math.PI) * sum;
        }
        return Math.copySign(1 - erfc(a), z);
    }

    /** erfc in double for {@code a >= 2.5}: {@code exp(-a^2)/sqrt(pi) / (a + (1/2)/(a + 1/(a + (3/2)/(a + ...))))}. */
    static double erfc(double a) {
        double fraction = a;
        for (int k = 400; k >= 1; k--) {
            fraction = a + (k / 2.0) / fraction;
        }
        return Math.exp(-a * a) / Math.sqrt(Math.PI) / fraction;
    }

    /** {@code 1 + erf(z)} in double with its relative accuracy: {@code erfc(-z)} for large negative {@code z}. */
    static double onePlusErf(double z) {
        return z <= -2.5 ? erfc(-z) : 1 + erf(z);
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void geluErfWithinItsBound(RowKernels kernels) {
        float[] x = inputs();
        float[] y = x.clone();
        kernels.activate(Activation.GELU_ERF, y, y.length);
        boolean scalar = kernels instanceof ScalarRowKernels;
        for (int i = 0; i < x.length; i++) {
            float z = x[i] * (float) (1 / Math.sqrt(2));
            double exact = 0.5 * x[i] * onePlusErf(z);
            double bound = ERF_ULPS * Math.ulp((float) exact) + (scalar ? Math.abs(x[i]) * U : 0);
            check("GELU_ERF", kernels, x[i], y[i], exact, bound);
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void geluTanhWithinItsBound(RowKernels kernels) {
        float[] x = inputs();
        float[] y = x.clone();
        kernels.activate(Activation.GELU_TANH, y, y.length);
        for (int i = 0; i < x.length; i++) {
            float u = 0.79788456f * x[i] * (1.0f + 0.044715f * x[i] * x[i]);
            double exact = 0.5 * x[i] * (1 + Math.tanh(u));
            check("GELU_TANH", kernels, x[i], y[i], exact, TANH_ULPS * Math.ulp((float) exact) + Math.abs(x[i]) * U);
            float plain = Activation.GELU_TANH.apply(x[i]);
            check("GELU_TANH against plain Java", kernels, x[i], y[i], plain, Math.ulp(plain) + Math.abs(x[i]) * U / 2);
        }
    }

    private static void check(String what, RowKernels kernels, float x, float actual, double expected, double bound) {
        if (Double.isNaN(expected) || Double.isInfinite(expected)) {
            if (Float.compare(actual, (float) expected) != 0) {
                fail(what + " on " + kernels.describe() + " at x = " + x + ": " + actual + ", expected " + expected);
            }
            return;
        }
        if (!(Math.abs(actual - expected) <= bound)) {
            fail(what + " on " + kernels.describe() + " at x = " + x + ": " + actual + ", expected " + expected + " within " + bound
                    + " (off by " + Math.abs(actual - expected) / Math.ulp((float) expected) + " ulps)");
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void geluKeepsTheSignOfZeroAndSaturates(RowKernels kernels) {
        for (Activation a : Activation.values()) {
            float[] x = {0f, -0f, 40f, -40f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
            kernels.activate(a, x, x.length);
            assertEquals(Float.floatToRawIntBits(0f), Float.floatToRawIntBits(x[0]), a + " of 0");
            assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(x[1]), a + " of -0");
            assertEquals(40f, x[2], a + " of 40");
            assertEquals(0f, x[3], 0f, a + " of -40");
            assertEquals(Float.POSITIVE_INFINITY, x[4], a + " of +inf");
            assertTrue(Float.isNaN(x[5]), a + " of -inf is -inf * 0, NaN, as in PyTorch");
            assertTrue(Float.isNaN(x[6]), a + " of NaN");
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void activationLeavesWhatFollowsTheLength(RowKernels kernels) {
        for (int n : new int[] {0, 1, 7, 16, 17, 33}) {
            float[] x = new float[n + 5];
            java.util.Arrays.fill(x, 1f);
            kernels.activate(Activation.GELU_ERF, x, n);
            for (int i = 0; i < x.length; i++) {
                assertEquals(i < n ? Activation.GELU_ERF.apply(1f) : 1f, x[i], 2e-7f, "element " + i + " of length " + n);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void layerNormWithinItsBound(RowKernels kernels) {
        SplittableRandom random = new SplittableRandom(5);
        for (int width : new int[] {1, 3, 17, 60, 1000, 1031}) {
            for (boolean withBias : new boolean[] {true, false}) {
                int rows = 7;
                float[] weight = new float[width];
                float[] bias = withBias ? new float[width] : null;
                for (int i = 0; i < width; i++) {
                    weight[i] = (float) (1 + random.nextGaussian() * 0.3);
                    if (bias != null) {
                        bias[i] = (float) (random.nextGaussian() * 0.1);
                    }
                }
                float[] x = new float[(rows + 2) * width];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) (3 + random.nextGaussian() * Math.pow(10, random.nextInt(-2, 2))); // off-centre rows
                }
                Norm norm = new Norm(weight, bias, 1e-5f);
                float[] out = new float[x.length];
                java.util.Arrays.fill(out, -7f);
                kernels.layerNorm(norm, x, out, 1, rows + 1); // rows 1 .. rows; row 0 and the last untouched
                for (int r = 0; r < rows + 2; r++) {
                    double mean = 0;
                    for (int i = 0; i < width; i++) {
                        mean += x[r * width + i];
                    }
                    mean /= width;
                    double variance = 0;
                    for (int i = 0; i < width; i++) {
                        variance += (x[r * width + i] - mean) * (x[r * width + i] - mean);
                    }
                    double deviation = Math.sqrt(variance / width + 1e-5f);
                    for (int i = 0; i < width; i++) {
                        float actual = out[r * width + i];
                        if (r == 0 || r == rows + 1) {
                            assertEquals(-7f, actual, "row " + r + " is outside the rows asked for");
                            continue;
                        }
                        double scaled = (x[r * width + i] - mean) / deviation * weight[i];
                        double expected = scaled + (bias == null ? 0 : bias[i]);
                        double bound = 4 * U * (Math.abs(scaled) + (bias == null ? 0 : Math.abs(bias[i])))
                                + U * Math.abs(mean) / deviation * Math.abs(weight[i]);
                        if (!(Math.abs(actual - expected) <= bound)) {
                            fail("layer norm on " + kernels.describe() + ", width " + width + ", row " + r + ", element " + i + ": " + actual
                                    + ", expected " + expected + " within " + bound);
                        }
                    }
                }
            }
        }
    }
}
