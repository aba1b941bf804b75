package org.alibi4j;

import static org.junit.jupiter.api.Assertions.fail;

/** Bit-exact comparisons of whole tensors that name the first mismatch as (head, q, k). */
public final class TensorAssertions {
    private TensorAssertions() {
    }

    /** Fails unless every element of {@code actual} has the bits of the reference tensor of {@code spec}. */
    public static void assertMatchesReference(BiasSpec spec, float[] actual) {
        assertBitsEqual(spec, AlibiReference.tensor(spec), actual);
    }

    /** Fails unless {@code actual} and {@code expected}, both {@code [T, i, j]} of {@code spec}, agree bit for bit. */
    public static void assertBitsEqual(BiasSpec spec, float[] expected, float[] actual) {
        if (expected.length != actual.length) {
            fail("length " + actual.length + " != expected " + expected.length + " for " + spec);
        }
        for (int n = 0; n < expected.length; n++) {
            if (Float.floatToRawIntBits(expected[n]) != Float.floatToRawIntBits(actual[n])) {
                int k = n % spec.j();
                int q = n / spec.j() % spec.i();
                int h = n / spec.j() / spec.i();
                fail("first mismatch at (head " + h + ", q " + q + ", k " + k + ") of " + spec + ": expected "
                        + expected[n] + " (0x" + Integer.toHexString(Float.floatToRawIntBits(expected[n])) + "), was "
                        + actual[n] + " (0x" + Integer.toHexString(Float.floatToRawIntBits(actual[n])) + ")");
            }
        }
    }
}
