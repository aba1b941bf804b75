package org.alibi4j.tornado;

import java.util.Optional;

import org.alibi4j.AlibiBackend;
import org.alibi4j.AlibiBackendProvider;
import org.alibi4j.BackendStatus;

/**
 * The TornadoVM backend, rank 100: preferred wherever TornadoVM runs. Nothing here touches a TornadoVM
 * type until {@link #status()} has found the runtime, so the provider loads in any JVM.
 */
public final class TornadoBackendProvider implements AlibiBackendProvider {
    static final String BAILOUT_PROPERTY = "tornado.recover.bailout";

    @Override
    public String name() {
        return TornadoBackend.NAME;
    }

    @Override
    public int rank() {
        return 100;
    }

    @Override
    public BackendStatus status() {
        Optional<String> missing = runtimeMissing();
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
    public AlibiBackend open() {
        BackendStatus status = status();
        if (!status.available()) {
            throw new IllegalStateException("backend '" + name() + "' is unavailable: " + status.detail());
        }
        return new TornadoBackend();
    }

    /**
     * Why TornadoVM cannot run kernels in this JVM, if it cannot: its classes are absent, or its
     * sequential fallback is on (a kernel that fails to compile would then quietly run as plain Java).
     */
    static Optional<String> runtimeMissing() {
        try {
            Class.forName("uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider");
        } catch (ClassNotFoundException | LinkageError e) {
            return Optional.of("TornadoVM is not on the module path (run with the SDK's JVM flags: scripts/alibi4j-tornado)");
        }
        if (!"false".equalsIgnoreCase(System.getProperty(BAILOUT_PROPERTY))) {
            return Optional.of("TornadoVM's sequential fallback is on: run with -D" + BAILOUT_PROPERTY + "=False");
        }
        return Optional.empty();
    }

    /** Touches TornadoVM's runtime; loaded only once the classes are known to be there. */
    private static final class Probe {
        static String defaultDevice() {
            return TornadoBackend.describe(uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider.getTornadoRuntime().getDefaultDevice());
        }
    }
}
