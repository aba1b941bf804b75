package org.alibi4j.models.arch;

/**
 * What a block computes between its matrix products, over whole rows: the layer norms and the MLP's
 * activation. Two implementations: {@link ScalarRowKernels} (plain Java, the definition) and
 * {@code VectorRowKernels} (the Vector API), chosen once by {@link RowVectorization}.
 */
interface RowKernels {

    /** What runs, e.g. {@code "Vector API 512-bit (16 floats)"} or {@code "plain Java"}. */
    String describe();

    /** {@code activation} applied to {@code x[0 .. n)} in place. */
    void activate(Activation activation, float[] x, int n);

    /**
     * {@code norm} applied to rows {@code from .. to - 1} of {@code x} ({@code norm.width()} floats each) into
     * the same rows of {@code out} (which may be {@code x}).
     */
    void layerNorm(Norm norm, float[] x, float[] out, int from, int to);

    /** The kernels this JVM runs best. */
    static RowKernels best() {
        return RowVectorization.kernels();
    }
}
