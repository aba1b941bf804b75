package org.alibi4j.attention;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;

/** Comparisons of attention outputs with the float64 reference, naming the first element out of bound. */
public final class AttentionAssertions {
    private AttentionAssertions() {
    }

    /**
     * Fails unless every element of {@code actual} ({@code [T, rows, d]}, dense) is within its row's
     * {@code bound} of {@code expected}; returns the largest |error| / bound seen, for reports.
     */
    public static double assertWithinBound(String what, double[] expected, double[] bound, float[] actual, int rows, int d) {
        if (expected.length != actual.length) {
            fail(what + ": length " + actual.length + " != expected " + expected.length);
        }
        double worst = 0;
        for (int n = 0; n < expected.length; n++) {
            double error = Math.abs(actual[n] - expected[n]);
            double allowed = bound[n / d];
            if (!(error <= allowed)) { // also catches NaN
                int c = n % d;
                int row = n / d % rows;
                int h = n / d / rows;
                fail(what + ": (head " + h + ", row " + row + ", c " + c + ") was " + actual[n] + ", expected " + expected[n]
                        + " within " + allowed + " (error " + error + ")");
            }
            worst = Math.max(worst, allowed == 0 ? 0 : error / allowed);
        }
        return worst;
    }

    /** Seeded Gaussian values times {@code magnitude}. */
    public static float[] gaussian(int n, double magnitude, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] values = new float[n];
        for (int x = 0; x < n; x++) {
            values[x] = (float) (random.nextGaussian() * magnitude);
        }
        return values;
    }

    /** {@code values} rounded to halves, as a cache of halves would hold them. */
    public static short[] halves(float[] values) {
        short[] halves = new short[values.length];
        for (int x = 0; x < values.length; x++) {
            halves[x] = Float.floatToFloat16(values[x]);
        }
        return halves;
    }
}
