package org.alibi4j.tornado;

import java.util.Optional;

import org.alibi4j.BackendStatus;
import org.alibi4j.attention.AttentionBackend;
import org.alibi4j.attention.AttentionBackendProvider;

/**
 * Attention split over every TornadoVM device ({@link MultiDeviceTornadoAttentionBackend}), by name
 * {@code tornado-multi}, rank 90 as the bias backend's split: chosen by name, available where TornadoVM sees
 * two devices or more.
 */
public final class MultiDeviceTornadoAttentionBackendProvider implements AttentionBackendProvider {

    @Override
    public String name() {
        return MultiDeviceTornadoAttentionBackend.NAME;
    }

    @Override
    public int rank() {
        return 90;
    }

    @Override
    public BackendStatus status() {
        Optional<String> missing = TornadoProviderSupport.runtimeMissing();
        if (missing.isPresent()) {
            return BackendStatus.unavailable(name(), rank(), missing.get());
        }
        try {
            return Probe.status(name(), rank());
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
        return MultiDeviceTornadoAttentionBackend.allDevices();
    }

    /** Touches TornadoVM's runtime; loaded only once the classes are known to be there. */
    private static final class Probe {
        static BackendStatus status(String name, int rank) {
            var devices = MultiDeviceTornadoBackend.allDeviceHandles();
            return devices.size() < 2
                    ? BackendStatus.unavailable(name, rank, "TornadoVM sees " + devices.size() + " device; a split needs two or more")
                    : BackendStatus.available(name, rank, MultiDeviceTornadoBackend.describe(devices));
        }
    }
}
