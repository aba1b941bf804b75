package org.alibi4j.models.linalg;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The kernels on the Vector API, at the JVM's preferred width (chosen at run time: 512-bit on AVX-512,
 * 256-bit on AVX2). Loaded only by {@link Vectorization}, and only where the module is present.
 */
final class VectorKernels implements LinearKernels {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int L = SPECIES.length();

    VectorKernels() {
        if (L < 8) {
            throw new IllegalStateException("the Vector API's preferred species holds " + L + " floats; the plain-Java kernels are as fast");
        }
    }

    @Override
    public String describe() {
        return "Vector API " + SPECIES.vectorBitSize() + "-bit (" + L + " floats)";
    }

    @Override
    public int columnBlock() {
        return 1;
    }

    @Override
    public void linear(Weights w, float[] bias, float[] x, int rows, float[] y, int from, int to) {
        int in = w.in();
        int out = w.out();
        float[] row = new float[in];
        for (int o = from; o < to; o++) {
            ScalarKernels.widen(w, o, row);
            float b = bias == null ? 0 : bias[o];
            for (int r = 0; r < rows; r++) {
                y[r * out + o] = dot(row, x, r * in, in) + b;
            }
        }
    }

    private static float dot(float[] row, float[] x, int x0, int n) {
        FloatVector s0 = FloatVector.zero(SPECIES), s1 = s0;
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            s0 = FloatVector.fromArray(SPECIES, row, i).fma(FloatVector.fromArray(SPECIES, x, x0 + i), s0);
            s1 = FloatVector.fromArray(SPECIES, row, i + L).fma(FloatVector.fromArray(SPECIES, x, x0 + i + L), s1);
        }
        float sum = s0.add(s1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += row[i] * x[x0 + i];
        }
        return sum;
    }
}
