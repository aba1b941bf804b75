package org.alibi4j.attention;

import org.alibi4j.BackendStatus;

/**
 * Makes one kind of {@link AttentionBackend}; found with {@link java.util.ServiceLoader}. A provider must
 * be cheap to construct and must not touch optional libraries until {@link #status()} is called.
 */
public interface AttentionBackendProvider {

    /** The backend's name, e.g. {@code cpu}. */
    String name();

    /** Higher wins when no backend is named; the CPU backend is 0. */
    int rank();

    /** Whether the backend can run here: with its device if so, and why not otherwise. */
    BackendStatus status();

    /**
     * A new backend; the caller closes it.
     *
     * @throws IllegalStateException if it cannot run here, saying why
     */
    AttentionBackend open();
}
