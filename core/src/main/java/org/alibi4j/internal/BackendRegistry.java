package org.alibi4j.internal;

import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import java.util.stream.Collectors;

import org.alibi4j.BackendStatus;

/**
 * Finds one kind of backend with {@link ServiceLoader}: the providers ranked, the one a system property
 * names, or the best available with every one passed over logged. The bias backends and the attention
 * backends both discover theirs through one of these.
 *
 * @param <P> the provider type
 * @param <B> the backend type
 */
public final class BackendRegistry<P, B> {

    private static final System.Logger LOG = System.getLogger("org.alibi4j");

    private final Class<P> type;
    private final String property;
    private final String what;
    private final Function<P, String> name;
    private final ToIntFunction<P> rank;
    private final Function<P, BackendStatus> status;
    private final Function<P, B> open;
    private volatile List<P> providers;

    /**
     * @param type     the provider interface, as named in {@code META-INF/services}
     * @param property the system property that names the backend to use
     * @param what     what messages call one, e.g. {@code "backend"} or {@code "attention backend"}
     */
    public BackendRegistry(Class<P> type, String property, String what, Function<P, String> name, ToIntFunction<P> rank,
                           Function<P, BackendStatus> status, Function<P, B> open) {
        this.type = type;
        this.property = property;
        this.what = what;
        this.name = name;
        this.rank = rank;
        this.status = status;
        this.open = open;
    }

    /** The providers on the class path, highest rank first; loaded on first use. */
    public List<P> providers() {
        List<P> loaded = providers;
        if (loaded == null) {
            loaded = ServiceLoader.load(type).stream()
                    .map(ServiceLoader.Provider::get)
                    .sorted(Comparator.comparingInt(rank).reversed().thenComparing(name))
                    .collect(Collectors.toUnmodifiableList());
            providers = loaded;
        }
        return loaded;
    }

    public List<BackendStatus> statuses() {
        return providers().stream().map(this::statusOf).toList();
    }

    public List<String> names() {
        return providers().stream().map(name).toList();
    }

    /** The backend named by the property, or else the best one available. */
    public B open() {
        String named = System.getProperty(property);
        if (named != null && !named.isBlank()) {
            return open(named.strip());
        }
        for (P provider : providers()) {
            BackendStatus s = statusOf(provider);
            if (s.available()) {
                return open.apply(provider);
            }
            LOG.log(System.Logger.Level.INFO, "alibi4j: {0} ''{1}'' passed over: {2}", what, s.name(), s.detail());
        }
        throw new IllegalStateException("no alibi4j " + what + " can run here: " + statuses());
    }

    /**
     * The backend called {@code backendName}.
     *
     * @throws IllegalArgumentException if none has that name (the message lists the known ones)
     * @throws IllegalStateException    if it cannot run here (the message says why)
     */
    public B open(String backendName) {
        P provider = providers().stream()
                .filter(p -> name.apply(p).equals(backendName))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown " + what + " '" + backendName + "'; known: "
                        + String.join(", ", names())));
        BackendStatus s = statusOf(provider);
        if (!s.available()) {
            throw new IllegalStateException(what + " '" + backendName + "' is unavailable: " + s.detail());
        }
        return open.apply(provider);
    }

    private BackendStatus statusOf(P provider) {
        try {
            return status.apply(provider);
        } catch (RuntimeException | LinkageError e) { // a broken optional backend must not break discovery
            return BackendStatus.unavailable(name.apply(provider), rank.applyAsInt(provider), "its probe failed: " + e);
        }
    }
}
