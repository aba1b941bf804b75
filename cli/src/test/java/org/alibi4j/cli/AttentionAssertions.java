package org.alibi4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.alibi4j.attention.AttentionReference;
import org.alibi4j.attention.AttentionSpec;
import org.alibi4j.attention.HeadTensor;

/** Checks an attention output against the float64 reference, element by element, within its bound. */
final class AttentionAssertions {
    private AttentionAssertions() {
    }

    /** {@code actual} is the {@code [T, i, d]} prefill output of {@code q}, {@code k} and {@code v} under {@code spec}. */
    static void assertWithinBound(AttentionSpec spec, HeadTensor q, HeadTensor k, HeadTensor v, float[] actual) {
        double[] expected = AttentionReference.prefill(spec, q, k, v);
        double[] bound = AttentionReference.bound(spec, q, k, v);
        assertEquals(expected.length, actual.length, "elements");
        int d = spec.headDim();
        int i = q.rows();
        for (int n = 0; n < expected.length; n++) {
            double error = Math.abs(actual[n] - expected[n]);
            int row = n / d;
            assertTrue(error <= bound[row], "(h, q, c) = (" + row / i + ", " + row % i + ", " + n % d + "): expected " + expected[n]
                    + ", was " + actual[n] + ", error " + error + " over the bound " + bound[row]);
        }
    }

    /** Seeded values in {@code [-amplitude, amplitude)}. */
    static float[] values(SplittableRandom random, int n, double amplitude) {
        float[] a = new float[n];
        for (int x = 0; x < n; x++) {
            a[x] = (float) random.nextDouble(-amplitude, amplitude);
        }
        return a;
    }

    /** Each float rounded to the nearest half. */
    static short[] halves(float[] data) {
        short[] h = new short[data.length];
        for (int n = 0; n < data.length; n++) {
            h[n] = Float.floatToFloat16(data[n]);
        }
        return h;
    }
}
