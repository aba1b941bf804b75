package org.alibi4j.models.arch;

/**
 * The plain-Java row kernels, the definition the Vector API's are tested against: the activation one
 * element at a time ({@link Activation#apply}); the layer norm's moments summed in order in double.
 */
final class ScalarRowKernels implements RowKernels {
    static final ScalarRowKernels INSTANCE = new ScalarRowKernels();

    private ScalarRowKernels() {
    }

    @Override
    public String describe() {
        return "plain Java";
    }

    @Override
    public void activate(Activation activation, float[] x, int n) {
        for (int i = 0; i < n; i++) {
            x[i] = activation.apply(x[i]);
        }
    }

    @Override
    public void layerNorm(Norm norm, float[] x, float[] out, int from, int to) {
        int width = norm.width();
        float[] weight = norm.weight();
        float[] bias = norm.bias();
        for (int r = from; r < to; r++) {
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
            float inverse = norm.inverseDeviation(squares / width);
            float m = (float) mean;
            for (int i = 0; i < width; i++) {
                float normalised = (x[base + i] - m) * inverse * weight[i];
                out[base + i] = bias == null ? normalised : normalised + bias[i];
            }
        }
    }
}
