package org.alibi4j.models.linalg;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import org.alibi4j.models.checkpoint.DType;
import org.alibi4j.models.checkpoint.WeightTensor;

/** Weight matrices for the tests, in segments of an arena, and the float64 reference product. */
final class TestMatrices {
    private TestMatrices() {
    }

    /**
     * A weight tensor {@code [out, in]} of {@code dtype} whose element {@code [o][i]} is
     * {@code values[o * in + i]} rounded to the type (to nearest for F16, by truncation for BF16); the
     * exactly widened values are written back into {@code values}.
     */
    static WeightTensor tensor(Arena arena, DType dtype, int out, int in, float[] values) {
        MemorySegment data = arena.allocate((long) out * in * dtype.bytes(), 64);
        for (int n = 0; n < values.length; n++) {
            long at = (long) n * dtype.bytes();
            switch (dtype) {
                case F32 -> data.set(Weights.F32, at, values[n]);
                case F16 -> {
                    short half = Float.floatToFloat16(values[n]);
                    data.set(Weights.HALF, at, half);
                    values[n] = Float.float16ToFloat(half);
                }
                case BF16 -> {
                    short upper = (short) (Float.floatToRawIntBits(values[n]) >>> 16);
                    data.set(Weights.HALF, at, upper);
                    values[n] = Float.intBitsToFloat(upper << 16);
                }
            }
        }
        return new WeightTensor("w" + out + "x" + in, dtype, new long[] {out, in}, data.asReadOnly());
    }

    /** A weight tensor from raw 16-bit patterns (F16 or BF16), row-major {@code [out, in]}. */
    static WeightTensor halves(Arena arena, DType dtype, int out, int in, short[] bits) {
        MemorySegment data = arena.allocate((long) out * in * 2, 64);
        for (int n = 0; n < bits.length; n++) {
            data.set(Weights.HALF, 2L * n, bits[n]);
        }
        return new WeightTensor("bits", dtype, new long[] {out, in}, data.asReadOnly());
    }

    /**
     * Normally distributed values, with one in 16 scaled down by 2^-20 so that F16 weights include
     * subnormals and the sums mix magnitudes.
     */
    static float[] gaussian(SplittableRandom random, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            double g = random.nextGaussian();
            a[i] = (float) (random.nextInt(16) == 0 ? g * 0x1p-20 : g);
        }
        return a;
    }

    /** Small integers in {@code [-bound, bound]}. */
    static float[] integers(SplittableRandom random, int n, int bound) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = random.nextInt(-bound, bound + 1);
        }
        return a;
    }

    /**
     * {@code ref[r * out + o] = sum_i x[r * in + i] * w[o * in + i] + bias[o]} in double, and in
     * {@code scale} the same with absolute values (the condition of each sum).
     */
    static double[] reference(float[] w, float[] bias, float[] x, int rows, int out, int in, double[] scale) {
        double[] ref = new double[rows * out];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < out; o++) {
                double sum = 0;
                double abs = 0;
                for (int i = 0; i < in; i++) {
                    double p = (double) x[r * in + i] * w[o * in + i];
                    sum += p;
                    abs += Math.abs(p);
                }
                double b = bias == null ? 0 : bias[o];
                ref[r * out + o] = sum + b;
                scale[r * out + o] = abs + Math.abs(b);
            }
        }
        return ref;
    }
}
