package org.alibi4j.models.linalg;

/**
 * The inner loops of {@link MatMul}: {@code y[r][o] = sum_i x[r][i] * W[o][i] + bias[o]} for a range of
 * output columns {@code o}. {@link MatMul} checks every argument and splits the columns across threads;
 * an implementation may assume a valid {@link Weights}, arrays long enough, and {@code y} not aliasing
 * {@code x}. Two implementations: {@link ScalarKernels} (plain Java) and {@code VectorKernels} (the
 * Vector API), chosen once by {@link Vectorization}.
 */
interface LinearKernels {

    /** What runs, e.g. {@code "Vector API 512-bit (16 floats)"} or {@code "plain Java"}. */
    String describe();

    /**
     * The column granularity the kernels prefer: {@link MatMul} splits the output columns at multiples of
     * it (the last part takes the rest), so that each part but the last is made of whole blocks.
     */
    int columnBlock();

    /**
     * Computes the columns {@code [from, to)} of {@code y} for every row {@code r < rows}; the other
     * columns are left as they are.
     *
     * @param bias null for none, else {@code w.out()} floats
     * @param x    {@code [rows, w.in()]}, row-major
     * @param y    {@code [rows, w.out()]}, row-major
     */
    void linear(Weights w, float[] bias, float[] x, int rows, float[] y, int from, int to);
}
