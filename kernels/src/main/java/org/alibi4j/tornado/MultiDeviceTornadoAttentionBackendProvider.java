package org.alibi4j.tornado;

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
        return TornadoProviderSupport.status(name(), rank(), () -> Probe.status(name(), rank()));
    }

    @Override
    public AttentionBackend open() {
        TornadoProviderSupport.requireAvailable(status(), "attention backend");
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
