package org.alibi4j.models.arch;

/**
 * A layer norm over rows of {@code width} floats: {@code (x - mean) / sqrt(var + eps) * weight + bias}, the
 * moments in double. {@code bias} is null for the norms MPT keeps without one.
 */
record Norm(float[] weight, float[] bias, float epsilon) {

    /** Normalises rows {@code 0 .. rows - 1} of {@code x} into {@code out} (which may be {@code x}). */
    void apply(float[] x, float[] out, int rows) {
        int width = weight.length;
        for (int r = 0; r < rows; r++) {
            int base = r * width;
            double sum = 0;
            for (int i = 0; i < width; i++) {
                sum += x[base + i];
            }
            double mean = sum / width;
            double squares = 0;
            for (int i = 0; i < width; i++) {
                double d = x[base + i] - mean;
                squares += d * d;
            }
            float inverse = (float) (1.0 / Math.sqrt(squares / width + epsilon));
            float m = (float) mean;
            for (int i = 0; i < width; i++) {
                float normalised = (x[base + i] - m) * inverse * weight[i];
                out[base + i] = bias == null ? normalised : normalised + bias[i];
            }
        }
    }
}
