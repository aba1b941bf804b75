package org.alibi4j.tornado;

import org.alibi4j.AlibiBackend;
import org.alibi4j.BackendStatus;

/**
 * The heads split over every TornadoVM device ({@link MultiDeviceTornadoBackend}), by name
 * {@code tornado-multi}. Rank 90, below the single-device backend: a split pays a host-side join on
 * every host read, so it is chosen by name ({@code --backend tornado-multi}) rather than by default.
 * Available only where TornadoVM sees two devices or more.
 */
public final class MultiDeviceTornadoBackendProvider extends TornadoProviderSupport {

    @Override
    public String name() {
        return MultiDeviceTornadoBackend.NAME;
    }

    @Override
    public int rank() {
        return 90;
    }

    @Override
    protected BackendStatus deviceStatus() {
        var devices = MultiDeviceTornadoBackend.allDeviceHandles();
        if (devices.size() < 2) {
            return unavailable("TornadoVM sees " + devices.size() + " device; a split needs two or more");
        }
        return available(MultiDeviceTornadoBackend.describe(devices));
    }

    @Override
    protected AlibiBackend newBackend() {
        return MultiDeviceTornadoBackend.allDevices();
    }
}
