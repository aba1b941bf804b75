package org.alibi4j.tornado;

import java.util.Optional;

import org.alibi4j.BackendStatus;
import org.alibi4j.attention.AttentionBackend;
import org.alibi4j.attention.AttentionBackendProvider;

/**
 * Fused ALiBi attention on TornadoVM's default device ({@link TornadoAttentionBackend}), by name
 * {@code tornado}, rank 100 as the bias backend: preferred wherever TornadoVM runs with its sequential
 * fallback off. Nothing here touches a TornadoVM type until {@link #status()} has found the runtime, so the
 * provider loads in any JVM.
 */
public final class TornadoAttentionBackendProvider implements AttentionBackendProvider {

    @Override
    public String name() {
        return TornadoAttentionBackend.NAME;
    }

    @Override
    public int rank() {
        return 100;
    }

    @Override
    public BackendStatus status() {
        Optional<String> missing = TornadoProviderSupport.runtimeMissing();
        if (missing.isPresent()) {
            return BackendStatus.unavailable(name(), rank(), missing.get());
        }
        try {
            return BackendStatus.available(name(), rank(), Probe.defaultDevice());
        } catch (RuntimeException | LinkageError e) {
            return BackendStatus.unavailable(name(), rank(), "TornadoVM found no usable device: " + e);
        }
    }

    @Override
    public AttentionBackend open() {
        BackendStatus status = status();
        if (!status.available()) {
            throw new IllegalStateException("attention backend '" + name() + "' is unavailable: " + status.detail());
        }
        return new TornadoAttentionBackend();
    }

    /** Touches TornadoVM's runtime; loaded only once the classes are known to be there. */
    private static final class Probe {
        static String defaultDevice() {
            return TornadoBackend.describe(uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider.getTornadoRuntime().getDefaultDevice());
        }
    }
}
