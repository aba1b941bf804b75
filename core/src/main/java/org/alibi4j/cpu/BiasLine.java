package org.alibi4j.cpu;

import org.alibi4j.BiasForm;
import org.alibi4j.BiasSpec;

/**
 * The values of one head along its anti-diagonal coordinate.
 *
 * <p>{@code bias[h][q][k]} depends only on {@code t = k - q + (i - 1)}, which runs over
 * {@code [0, i + j - 2]}: row {@code q} of a head is the run {@code line[i - 1 - q .. i - 2 - q + j]}
 * of one line of {@code i + j - 1} values, and each row is the one above it shifted right by one.
 * Computing a line costs {@code O(i + j)}; the {@code O(i * j)} rest is copying, which runs at the
 * speed of memory.
 */
final class BiasLine {
    /** Below this, floats hold every integer exactly, so the float form of the distance is exact. */
    private static final int EXACT_FLOAT_INTEGERS = 1 << 24;

    private BiasLine() {
    }

    /**
     * Writes {@code line[t0 .. t0 + length)} of head {@code h} to {@code dst[dstOffset ..]}.
     */
    static void write(BiasSpec spec, int h, int t0, float[] dst, int dstOffset, int length) {
        int diagonal = spec.j() - 1; // t of the key at the query's own position
        int symmetricEnd = spec.form() == BiasForm.CAUSAL ? Math.min(length, Math.max(0, diagonal + 1 - t0)) : length;
        if (h >= spec.heads()) {
            java.util.Arrays.fill(dst, dstOffset, dstOffset + symmetricEnd, 0.0f);
        } else if ((long) spec.i() + spec.j() < EXACT_FLOAT_INTEGERS) {
            writeFloatForm(spec.slopes().get(h), t0, diagonal, dst, dstOffset, symmetricEnd);
        } else {
            writeIntegerForm(spec.slopes().get(h), t0, diagonal, dst, dstOffset, symmetricEnd);
        }
        // causal: keys after the query position are masked
        java.util.Arrays.fill(dst, dstOffset + symmetricEnd, dstOffset + length, Float.NEGATIVE_INFINITY);
    }

    /**
     * {@code 0 - slope * |u - (diagonal - t0)|} in floats. It equals {@code (float) -d * slope} while every
     * integer involved is below 2^24 and so an exact float: negation is exact, and {@code 0 - (+0)} keeps
     * the zero on the diagonal +0.0.
     *
     * <p>C2 vectorises this loop; it does not vectorise the integer form, nor {@code (float) (t0 + u)}
     * with {@code t0} not a constant (measured: 0.09 against 0.9 ns per float), hence the offset is
     * folded into the loop-invariant {@code centre}.
     */
    private static void writeFloatForm(float slope, int t0, int diagonal, float[] dst, int dstOffset, int length) {
        float centre = diagonal - t0; // the window index of the diagonal
        for (int u = 0; u < length; u++) {
            dst[dstOffset + u] = 0.0f - slope * Math.abs((float) u - centre);
        }
    }

    /** The reference formula itself, for lines too long for the float form. */
    private static void writeIntegerForm(float slope, int t0, int diagonal, float[] dst, int dstOffset, int length) {
        for (int u = 0; u < length; u++) {
            dst[dstOffset + u] = (float) -Math.abs((long) t0 + u - diagonal) * slope;
        }
    }
}
