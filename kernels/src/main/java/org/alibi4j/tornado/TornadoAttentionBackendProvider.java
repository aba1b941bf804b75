package org.alibi4j.tornado;

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
        return TornadoProviderSupport.status(name(), rank(), () -> BackendStatus.available(name(), rank(), Probe.defaultDevice()));
    }

    @Override
    public AttentionBackend open() {
        TornadoProviderSupport.requireAvailable(status(), "attention backend");
        return new TornadoAttentionBackend();
    }

    /** Touches TornadoVM's runtime; loaded only once the classes are known to be there. */
    private static final class Probe {
        static String defaultDevice() {
            return TornadoBackend.describe(uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider.getTornadoRuntime().getDefaultDevice());
        }
    }
}
