package org.alibi4j;

import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/**
 * Finds backends. Without a name, the system property {@value #PROPERTY} chooses; without that, the
 * highest-ranked backend that can run here, and every one passed over is logged with its reason.
 */
public final class AlibiBackends {

    /** The system property that names the backend to use, e.g. {@code -Dalibi4j.backend=cpu}. */
    public static final String PROPERTY = "alibi4j.backend";

    private static final System.Logger LOG = System.getLogger("org.alibi4j");

    private AlibiBackends() {
    }

    /** The providers on the class path, highest rank first; loaded once. */
    public static List<AlibiBackendProvider> providers() {
        return Providers.ALL;
    }

    /** Every known backend with whether it can run here and why. */
    public static List<BackendStatus> statuses() {
        return providers().stream().map(AlibiBackends::statusOf).toList();
    }

    /** The names of the known backends, highest rank first. */
    public static List<String> names() {
        return providers().stream().map(AlibiBackendProvider::name).toList();
    }

    /** The backend named by {@value #PROPERTY}, or else the best one available. */
    public static AlibiBackend open() {
        String named = System.getProperty(PROPERTY);
        if (named != null && !named.isBlank()) {
            return open(named.strip());
        }
        for (AlibiBackendProvider provider : providers()) {
            BackendStatus status = statusOf(provider);
            if (status.available()) {
                return provider.open();
            }
            LOG.log(System.Logger.Level.INFO, "alibi4j: backend ''{0}'' passed over: {1}", provider.name(), status.detail());
        }
        throw new IllegalStateException("no alibi4j backend can run here: " + statuses());
    }

    /**
     * The backend called {@code name}.
     *
     * @throws IllegalArgumentException if no backend has that name (the message lists the known ones)
     * @throws IllegalStateException    if it cannot run here (the message says why)
     */
    public static AlibiBackend open(String name) {
        AlibiBackendProvider provider = providers().stream()
                .filter(p -> p.name().equals(name))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown backend '" + name + "'; known: "
                        + String.join(", ", names())));
        BackendStatus status = statusOf(provider);
        if (!status.available()) {
            throw new IllegalStateException("backend '" + name + "' is unavailable: " + status.detail());
        }
        return provider.open();
    }

    private static BackendStatus statusOf(AlibiBackendProvider provider) {
        try {
            return provider.status();
        } catch (RuntimeException | LinkageError e) { // a broken optional backend must not break discovery
            return BackendStatus.unavailable(provider.name(), provider.rank(), "its probe failed: " + e);
        }
    }

    /** Loads the providers on first use, not when this class is loaded. */
    private static final class Providers {
        static final List<AlibiBackendProvider> ALL = ServiceLoader.load(AlibiBackendProvider.class).stream()
                .map(ServiceLoader.Provider::get)
                .sorted(Comparator.comparingInt(AlibiBackendProvider::rank).reversed()
                        .thenComparing(AlibiBackendProvider::name))
                .collect(Collectors.toUnmodifiableList());
    }
}
