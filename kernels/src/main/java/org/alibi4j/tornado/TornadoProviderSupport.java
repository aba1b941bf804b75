package org.alibi4j.tornado;

import java.util.Optional;
import java.util.function.Supplier;

import org.alibi4j.AlibiBackend;
import org.alibi4j.AlibiBackendProvider;
import org.alibi4j.BackendStatus;

/**
 * What the TornadoVM providers share: a backend is available only where TornadoVM's runtime is loaded
 * with its sequential fallback off, and where its devices answer. Nothing here touches a TornadoVM type
 * before {@link #runtimeMissing()} has found the runtime, so a provider loads in any JVM.
 */
abstract class TornadoProviderSupport implements AlibiBackendProvider {
    static final String BAILOUT_PROPERTY = "tornado.recover.bailout";

    /**
     * {@link #available} with the device(s) the backend would run on, or {@link #unavailable} saying why
     * they cannot serve. Called only once the runtime is known to be there.
     */
    protected abstract BackendStatus deviceStatus();

    /** A new backend; called only once {@link #status()} says available. */
    protected abstract AlibiBackend newBackend();

    @Override
    public final BackendStatus status() {
        return status(name(), rank(), this::deviceStatus);
    }

    /**
     * The status of backend {@code name}: unavailable while {@link #runtimeMissing()} says why, else what
     * {@code deviceStatus} finds (called only once the runtime is there). The attention providers share it.
     */
    static BackendStatus status(String name, int rank, Supplier<BackendStatus> deviceStatus) {
        Optional<String> missing = runtimeMissing();
        if (missing.isPresent()) {
            return BackendStatus.unavailable(name, rank, missing.get());
        }
        try {
            return deviceStatus.get();
        } catch (RuntimeException | LinkageError e) {
            return BackendStatus.unavailable(name, rank, "TornadoVM found no usable device: " + e);
        }
    }

    /** Throws, saying why, unless {@code status} is available; {@code what} names the kind of backend. */
    static void requireAvailable(BackendStatus status, String what) {
        if (!status.available()) {
            throw new IllegalStateException(what + " '" + status.name() + "' is unavailable: " + status.detail());
        }
    }

    protected final BackendStatus available(String device) {
        return BackendStatus.available(name(), rank(), device);
    }

    protected final BackendStatus unavailable(String why) {
        return BackendStatus.unavailable(name(), rank(), why);
    }

    @Override
    public final AlibiBackend open() {
        requireAvailable(status(), "backend");
        return newBackend();
    }

    /**
     * Why TornadoVM cannot run kernels in this JVM, if it cannot: its classes are absent, or its
     * sequential fallback is on (a kernel that fails to compile would then quietly run as plain Java).
     * The attention providers ask the same.
     */
    static Optional<String> runtimeMissing() {
        try {
            Class.forName("uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider");
        } catch (ClassNotFoundException e) {
            return Optional.of("TornadoVM is not on the module path (run with the SDK's JVM flags: scripts/alibi4j-tornado)");
        } catch (LinkageError e) {
            // the classes are there but the runtime did not start: a backend's native library or driver
            // is missing (PTX without libcuda.so.1, say), and TornadoVM stops at its first backend that fails
            return Optional.of("TornadoVM did not start: " + rootCause(e));
        }
        if (!"false".equalsIgnoreCase(System.getProperty(BAILOUT_PROPERTY))) {
            return Optional.of("TornadoVM's sequential fallback is on: run with -D" + BAILOUT_PROPERTY + "=False");
        }
        return Optional.empty();
    }

    private static String rootCause(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause.toString();
    }
}
