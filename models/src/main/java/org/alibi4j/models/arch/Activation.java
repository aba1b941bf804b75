package org.alibi4j.models.arch;

/** The MLP nonlinearities of the ALiBi families, in float32 as PyTorch computes them. */
public enum Activation {
    /** BLOOM's {@code bloom_gelu_forward}: {@code x * 0.5 * (1 + tanh(0.79788456 * x * (1 + 0.044715 * x * x)))}. */
    GELU_TANH {
        @Override
        float apply(float x) {
            return x * 0.5f * (1.0f + (float) Math.tanh(0.79788456f * x * (1.0f + 0.044715f * x * x)));
        }
    },
    /** {@code nn.GELU()} (MPT, Falcon): {@code x * 0.5 * (1 + erf(x / sqrt(2)))}. */
    GELU_ERF {
        @Override
        float apply(float x) {
            return x * 0.5f * (1.0f + Erf.erf(x * (float) (1 / Math.sqrt(2))));
        }
    };

    abstract float apply(float x);

    /**
     * Applies the function to {@code x[0 .. n)} in place, on the {@link RowKernels} this JVM runs best (within
     * the bound {@code RowKernelsTest} states of {@link #apply}'s formula).
     */
    void applyInPlace(float[] x, int n) {
        RowKernels.best().activate(this, x, n);
    }
}
