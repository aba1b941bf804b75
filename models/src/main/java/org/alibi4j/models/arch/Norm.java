package org.alibi4j.models.arch;

/**
 * A layer norm over rows of {@code width} floats: {@code (x - mean) / sqrt(var + eps) * weight + bias}, the
 * moments in double. {@code bias} is null for the norms MPT keeps without one.
 */
record Norm(float[] weight, float[] bias, float epsilon) {

    /** Normalises rows {@code 0 .. rows - 1} of {@code x} into {@code out} (which may be {@code x}). */
    void apply(float[] x, float[] out, int rows) {
        apply(x, out, 0, rows);
    }

    /** Normalises rows {@code from .. to - 1} of {@code x} into the same rows of {@code out} (which may be {@code x}). */
    void apply(float[] x, float[] out, int from, int to) {
        RowKernels.best().layerNorm(this, x, out, from, to);
    }

    /** Floats per row. */
    int width() {
        return weight.length;
    }

    /** {@code 1 / sqrt(variance + eps)} in float, from the variance in double. */
    float inverseDeviation(double variance) {
        return (float) (1.0 / Math.sqrt(variance + epsilon));
    }
}
