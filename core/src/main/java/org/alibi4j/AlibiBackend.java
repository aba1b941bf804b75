package org.alibi4j;

/**
 * Computes ALiBi biases on one kind of hardware. Every backend is bit-identical to
 * {@link AlibiReference}, {@code +0.0} zeros included.
 *
 * <p>Implementations are safe for use by many threads at once. {@link #close()} releases what the
 * backend holds (threads, device memory); tensors it produced stay readable only as far as their
 * {@link BiasStorage} says.
 */
public interface AlibiBackend extends AutoCloseable {

    /** The name {@link AlibiBackends#open(String)} knows it by, e.g. {@code cpu}. */
    String name();

    /** What it runs on, e.g. {@code "2 threads"} or an accelerator's name. */
    String device();

    /** Computes the dense {@code [totalHeads, i, j]} tensor of {@code spec} into storage of its own. */
    BiasStorage materialize(BiasSpec spec);

    /**
     * Adds the bias of {@code spec} in place to the dense {@code [totalHeads, i, j]} score array that
     * starts at {@code scores[offset]}: afterwards each score equals {@code score + bias} as two floats
     * added, so a causal spec masks future keys with {@code -inf}.
     */
    void addBias(BiasSpec spec, float[] scores, int offset);

    @Override
    void close();
}
