package org.alibi4j.attention;

/**
 * Runs ALiBi attention on one kind of hardware, the scores never materialised. Every backend agrees
 * with {@link AttentionReference} within {@link AttentionReference#bound}.
 *
 * <p>Callers ({@link AlibiAttention}) have checked the shapes against the spec before a call.
 * Implementations are safe for use by many threads at once; {@link #close()} releases what the backend
 * holds (threads, scratch, device memory).
 */
public interface AttentionBackend extends AutoCloseable {

    /** The name {@link AttentionBackends#open(String)} knows it by, e.g. {@code cpu}. */
    String name();

    /** What it runs on, e.g. {@code "Java 25, 2 threads, Vector API 512-bit"}. */
    String device();

    /**
     * Prefill: {@code out[h, q] = softmax(scale * q[h, q] K[g]^T + bias[h, q]) V[g]}, {@code g} the
     * key/value head of {@code h}, for {@code q} of {@code [T, i, d]}, {@code k} and {@code v} of
     * {@code [G, j, d]} and {@code out} of {@code [T, i, d]}; the {@code i} queries are the last
     * {@code i} of the {@code j} keys.
     */
    void prefill(AttentionSpec spec, HeadTensor q, HeadTensor k, HeadTensor v, HeadTensor out);

    /**
     * One decode step: the query {@code q} ({@code [T, 1, d]}) at position {@code position} attends
     * over keys {@code 0 .. position} of the caches {@code k} and {@code v} ({@code [G, capacity, d]},
     * {@code capacity > position}); the result goes to {@code out} ({@code [T, 1, d]}).
     */
    void decode(AttentionSpec spec, int position, HeadTensor q, HeadTensor k, HeadTensor v, HeadTensor out);

    /**
     * A KV cache of {@code capacity} positions of {@code spec}'s key/value heads, keeping K and V at
     * {@code precision}, for {@link KvCache}. The default keeps two arrays on the Java heap and runs
     * {@link #decode} over them; a backend with memory of its own (a device) overrides it so that the
     * rows stay there between steps.
     *
     * @throws IllegalArgumentException if the cache cannot be that large here (the message says why)
     */
    default BackendKvCache openKvCache(AttentionSpec spec, int capacity, HeadTensor.Precision precision) {
        return new HostKvCache(this, spec, capacity, precision);
    }

    @Override
    void close();
}
