package org.alibi4j.attention;

/**
 * A backend's side of a {@link KvCache}: where the cached keys and values live and how a decode step
 * runs over them. {@link AttentionBackend#openKvCache} makes one; the default keeps the rows in host
 * memory and runs the backend's {@link AttentionBackend#decode} over them ({@link HostKvCache}), a backend
 * with memory of its own (a device) keeps them there.
 *
 * <p>{@link KvCache} has checked every argument against the spec, the capacity and what the cache holds
 * before a call, and makes one call at a time.
 */
public interface BackendKvCache extends AutoCloseable {

    /**
     * Stores rows {@code 0 .. n - 1} of {@code k} and {@code v} ({@code [kvHeads, n, headDim]}, any layout
     * and precision {@link HeadTensor} describes) at positions {@code position .. position + n - 1}, at the
     * cache's precision (halves rounded to nearest, even on ties). Positions past {@code position + n - 1}
     * are no longer read before they are stored again.
     */
    void append(int position, HeadTensor k, HeadTensor v);

    /**
     * One decode step: the query {@code q} ({@code [totalHeads, 1, headDim]}) at {@code position} over the
     * stored keys {@code 0 .. position}; the result goes to {@code out} ({@code [totalHeads, 1, headDim]}
     * of floats).
     */
    void decode(int position, HeadTensor q, HeadTensor out);

    /** Frees the cache's memory. Called once; no call follows. */
    @Override
    void close();
}
