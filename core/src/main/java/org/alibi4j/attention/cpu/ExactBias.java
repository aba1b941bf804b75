package org.alibi4j.attention.cpu;

/**
 * The bias as the kernels compute it, {@code 0 - slope * |key - qpos|} in float, equals {@code forward}'s
 * {@code (float) -|k - qpos| * slope} while every position is below 2^24 and so an exact float. Beyond
 * that (a context of 16M keys) the drivers add the bias themselves with the integer formula.
 */
final class ExactBias {
    private static final long EXACT_FLOAT_INTEGERS = 1L << 24;

    private ExactBias() {
    }

    /** Whether float positions are exact for {@code i} queries over {@code j} keys (|key - qpos| < i + j). */
    static boolean floatFormIsExact(int i, int j) {
        return (long) i + j < EXACT_FLOAT_INTEGERS;
    }

    /** {@code forward}'s value for a key {@code key} and a query at {@code queryPosition}. */
    static float of(float slope, long key, long queryPosition) {
        return (float) -Math.abs(key - queryPosition) * slope;
    }
}
