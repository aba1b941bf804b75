package org.alibi4j.cpu;

import java.util.Arrays;

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
        int symmetricEnd = symmetricEnd(spec, t0, length);
        if (h >= spec.heads()) {
            Arrays.fill(dst, dstOffset, dstOffset + symmetricEnd, 0.0f);
        } else if (floatFormIsExact(spec)) {
            writeFloatForm(spec.slopes().get(h), spec.j() - 1 - t0, dst, dstOffset, symmetricEnd);
        } else {
            writeIntegerForm(spec.slopes().get(h), t0, spec.j() - 1, dst, dstOffset, symmetricEnd);
        }
        Arrays.fill(dst, dstOffset + symmetricEnd, dstOffset + length, Float.NEGATIVE_INFINITY);
    }

    /**
     * Adds {@code line[t0 .. t0 + length)} of head {@code h} to {@code dst[dstOffset ..]}, computing each
     * value where it is added: a loop over one array, which C2 vectorises, where adding from a second
     * {@code float[]} at another offset it does not (the two might be one array).
     */
    static void add(BiasSpec spec, int h, int t0, float[] dst, int dstOffset, int length) {
        int symmetricEnd = symmetricEnd(spec, t0, length);
        if (h >= spec.heads()) {
            addConstant(0.0f, dst, dstOffset, symmetricEnd); // turns -0.0 scores into +0.0, as score + bias does
        } else if (floatFormIsExact(spec)) {
            addFloatForm(spec.slopes().get(h), spec.j() - 1 - t0, dst, dstOffset, symmetricEnd);
        } else {
            float slope = spec.slopes().get(h);
            long diagonal = spec.j() - 1;
            for (int u = 0; u < symmetricEnd; u++) {
                dst[dstOffset + u] += (float) -Math.abs((long) t0 + u - diagonal) * slope;
            }
        }
        addConstant(Float.NEGATIVE_INFINITY, dst, dstOffset + symmetricEnd, length - symmetricEnd);
    }

    /**
     * The float form {@code 0 - slope * |u - centre|}, {@code centre = diagonal - t0}, equals
     * {@code (float) -d * slope} while every integer involved is below 2^24 and so an exact float:
     * negation is exact, and {@code 0 - (+0)} keeps the zero on the diagonal +0.0. C2 vectorises it; it
     * does not vectorise the integer form, nor {@code (float) (t0 + u)} with {@code t0} not a constant
     * (MaterializeBenchmark shows the difference), hence the offset folded into {@code centre}.
     */
    private static boolean floatFormIsExact(BiasSpec spec) {
        return (long) spec.i() + spec.j() < EXACT_FLOAT_INTEGERS;
    }

    // The loops below are small methods of their own on purpose: inlined into write() and add() with
    // their branches, C2 left the store loop scalar (DecodeRowBenchmark shows it).

    /** {@code dst[dstOffset + u] = 0 - slope * |u - centre|}; {@code centre} is the window index of the diagonal. */
    private static void writeFloatForm(float slope, float centre, float[] dst, int dstOffset, int length) {
        for (int u = 0; u < length; u++) {
            dst[dstOffset + u] = 0.0f - slope * Math.abs((float) u - centre);
        }
    }

    /** {@code dst[dstOffset + u] += 0 - slope * |u - centre|}. */
    private static void addFloatForm(float slope, float centre, float[] dst, int dstOffset, int length) {
        for (int u = 0; u < length; u++) {
            dst[dstOffset + u] += 0.0f - slope * Math.abs((float) u - centre);
        }
    }

    /** How many of the window's values are not masked: all, unless causal and past the diagonal. */
    private static int symmetricEnd(BiasSpec spec, int t0, int length) {
        int diagonal = spec.j() - 1; // t of the key at the query's own position
        return spec.form() == BiasForm.CAUSAL ? Math.min(length, Math.max(0, diagonal + 1 - t0)) : length;
    }

    private static void addConstant(float value, float[] dst, int from, int length) {
        for (int u = 0; u < length; u++) {
            dst[from + u] += value;
        }
    }

    /** The reference formula itself, for lines too long for the float form. */
    private static void writeIntegerForm(float slope, int t0, int diagonal, float[] dst, int dstOffset, int length) {
        for (int u = 0; u < length; u++) {
            dst[dstOffset + u] = (float) -Math.abs((long) t0 + u - diagonal) * slope;
        }
    }
}
