package org.alibi4j;

/**
 * The formula of ALIBI.md, one element at a time, in double: slow and obvious on purpose. Tests and
 * the {@code smoke} command compare every backend with it.
 *
 * <p>x-transformers turns the integer distance into a float (rounding it only beyond 2^24) and does
 * one float multiply by the slope. Here the product of the two floats is taken in double, where it is
 * exact (24 + 24 significant bits), and rounded once to float: the same float, by another road.
 */
public final class AlibiReference {
    private AlibiReference() {
    }

    /** {@code bias[h][q][k]} of {@code spec}. */
    public static float bias(BiasSpec spec, int h, int q, int k) {
        long queryPosition = (long) spec.j() - spec.i() + q;
        if (spec.form() == BiasForm.CAUSAL && k > queryPosition) {
            return Float.NEGATIVE_INFINITY;
        }
        if (h >= spec.heads()) {
            return 0.0f;
        }
        // x-transformers multiplies the non-positive distance by the slope, so -0 never arises
        float negativeDistance = (float) -Math.abs(k - queryPosition);
        return (float) ((double) negativeDistance * spec.slopes().get(h));
    }

    /** The whole tensor, dense and row-major. */
    public static float[] tensor(BiasSpec spec) {
        float[] out = new float[Math.toIntExact(spec.elementCount())];
        int n = 0;
        for (int h = 0; h < spec.totalHeads(); h++) {
            for (int q = 0; q < spec.i(); q++) {
                for (int k = 0; k < spec.j(); k++) {
                    out[n++] = bias(spec, h, q, k);
                }
            }
        }
        return out;
    }
}
