package org.alibi4j.attention;

import java.util.List;

import org.alibi4j.BackendStatus;
import org.alibi4j.internal.BackendRegistry;

/**
 * Finds attention backends, as {@link org.alibi4j.AlibiBackends} finds bias backends: the system property
 * {@value #PROPERTY} names one; otherwise the highest-ranked that can run here.
 */
public final class AttentionBackends {

    /** The system property that names the attention backend, e.g. {@code -Dalibi4j.attention.backend=cpu}. */
    public static final String PROPERTY = "alibi4j.attention.backend";

    private static final BackendRegistry<AttentionBackendProvider, AttentionBackend> REGISTRY = new BackendRegistry<>(
            AttentionBackendProvider.class, PROPERTY, "attention backend", AttentionBackendProvider::name,
            AttentionBackendProvider::rank, AttentionBackendProvider::status, AttentionBackendProvider::open);

    private AttentionBackends() {
    }

    /** The providers found on the class path or the module path, highest rank first; loaded once. */
    public static List<AttentionBackendProvider> providers() {
        return REGISTRY.providers();
    }

    /** Every known attention backend with whether it can run here and why. */
    public static List<BackendStatus> statuses() {
        return REGISTRY.statuses();
    }

    /** The names of the known attention backends, highest rank first. */
    public static List<String> names() {
        return REGISTRY.names();
    }

    /** The backend named by {@value #PROPERTY}, or else the best one available. */
    public static AttentionBackend open() {
        return REGISTRY.open();
    }

    /**
     * The backend called {@code name}.
     *
     * @throws IllegalArgumentException if none has that name (the message lists the known ones)
     * @throws IllegalStateException    if it cannot run here (the message says why)
     */
    public static AttentionBackend open(String name) {
        return REGISTRY.open(name);
    }
}
