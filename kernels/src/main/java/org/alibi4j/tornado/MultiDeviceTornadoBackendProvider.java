package org.alibi4j.tornado;

import java.util.Optional;

import org.alibi4j.AlibiBackend;
import org.alibi4j.AlibiBackendProvider;
import org.alibi4j.BackendStatus;

/**
 * The heads split over every TornadoVM device ({@link MultiDeviceTornadoBackend}), by name
 * {@code tornado-multi}. Rank 90, below the single-device backend: a split pays a host-side join on
 * every host read, so it is chosen by name ({@code --backend tornado-multi}) rather than by default.
 * Available only where TornadoVM sees two devices or more.
 */
public final class MultiDeviceTornadoBackendProvider implements AlibiBackendProvider {

    @Override
    public String name() {
        return MultiDeviceTornadoBackend.NAME;
    }

    @Override
    public int rank() {
        return 90;
    }

    @Override
    public BackendStatus status() {
        Optional<String> missing = TornadoBackendProvider.runtimeMissing();
        if (missing.isPresent()) {
            return BackendStatus.unavailable(name(), rank(), missing.get());
        }
        try {
            var devices = MultiDeviceTornadoBackend.allDeviceHandles();
            if (devices.size() < 2) {
                return BackendStatus.unavailable(name(), rank(), "TornadoVM sees " + devices.size()
                        + " device; a split needs two or more");
            }
            return BackendStatus.available(name(), rank(), MultiDeviceTornadoBackend.describe(devices));
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
        return MultiDeviceTornadoBackend.allDevices();
    }
}
