package org.alibi4j.tornado;

import org.alibi4j.AlibiBackend;
import org.alibi4j.BackendStatus;

/**
 * The TornadoVM backend, rank 100: preferred wherever TornadoVM runs. Nothing here touches a TornadoVM
 * type until {@link #status()} has found the runtime, so the provider loads in any JVM.
 */
public final class TornadoBackendProvider extends TornadoProviderSupport {

    @Override
    public String name() {
        return TornadoBackend.NAME;
    }

    @Override
    public int rank() {
        return 100;
    }

    @Override
    protected BackendStatus deviceStatus() {
        return available(Probe.defaultDevice());
    }

    @Override
    protected AlibiBackend newBackend() {
        return new TornadoBackend();
    }

    /** Touches TornadoVM's runtime; loaded only once the classes are known to be there. */
    private static final class Probe {
        static String defaultDevice() {
            return TornadoBackend.describe(uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider.getTornadoRuntime().getDefaultDevice());
        }
    }
}
