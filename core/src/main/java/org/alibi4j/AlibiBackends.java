package org.alibi4j;

import java.util.List;

import org.alibi4j.internal.BackendRegistry;

/**
 * Finds backends. Without a name, the system property {@value #PROPERTY} chooses; without that, the
 * highest-ranked backend that can run here, and every one passed over is logged with its reason.
 */
public final class AlibiBackends {

    /** The system property that names the backend to use, e.g. {@code -Dalibi4j.backend=cpu}. */
    public static final String PROPERTY = "alibi4j.backend";

    private static final BackendRegistry<AlibiBackendProvider, AlibiBackend> REGISTRY = new BackendRegistry<>(
            AlibiBackendProvider.class, PROPERTY, "backend", AlibiBackendProvider::name, AlibiBackendProvider::rank,
            AlibiBackendProvider::status, AlibiBackendProvider::open);

    private AlibiBackends() {
    }

    /** The providers found on the class path or the module path, highest rank first; loaded once. */
    public static List<AlibiBackendProvider> providers() {
        return REGISTRY.providers();
    }

    /** Every known backend with whether it can run here and why. */
    public static List<BackendStatus> statuses() {
        return REGISTRY.statuses();
    }

    /** The names of the known backends, highest rank first. */
    public static List<String> names() {
        return REGISTRY.names();
    }

    /** The backend named by {@value #PROPERTY}, or else the best one available. */
    public static AlibiBackend open() {
        return REGISTRY.open();
    }

    /**
     * The backend called {@code name}.
     *
     * @throws IllegalArgumentException if no backend has that name (the message lists the known ones)
     * @throws IllegalStateException    if it cannot run here (the message says why)
     */
    public static AlibiBackend open(String name) {
        return REGISTRY.open(name);
    }
}
