package org.alibi4j.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.alibi4j.AlibiBackend;
import org.alibi4j.AlibiBackends;
import org.alibi4j.BackendContract;
import org.alibi4j.BackendStatus;
import org.junit.jupiter.api.Test;

/**
 * The core's backend contract with the heads split over every device TornadoVM sees. The module's
 * tests ask PoCL for two CPU devices (POCL_DEVICES in kernels/pom.xml), so this runs on a CPU too.
 */
class MultiDeviceTornadoBackendTest extends BackendContract {
    @Override
    protected AlibiBackend openBackend() {
        assumeTrue(System.getenv("TORNADOVM_HOME") != null, "TORNADOVM_HOME is not set: no TornadoVM to test");
        MultiDeviceTornadoBackend backend = MultiDeviceTornadoBackend.allDevices();
        assumeTrue(backend.deviceCount() >= 2, "TornadoVM sees one device: nothing to split over");
        return backend;
    }

    @Test
    void discoveryOffersTheSplitByNameButPrefersOneDevice() {
        assumeTrue(System.getenv("TORNADOVM_HOME") != null, "TORNADOVM_HOME is not set: no TornadoVM to test");
        BackendStatus multi = AlibiBackends.statuses().stream()
                .filter(s -> s.name().equals(MultiDeviceTornadoBackend.NAME)).findFirst().orElseThrow();
        int devices = MultiDeviceTornadoBackend.allDeviceHandles().size();
        if (devices < 2) { // e.g. one GPU: the split is offered with the reason it cannot run
            assertFalse(multi.available());
            assertTrue(multi.detail().contains("a split needs two or more"), multi.detail());
            return;
        }
        assertTrue(multi.available(), multi.detail());
        assertTrue(multi.detail().startsWith(devices + " devices: "), multi.detail());
        try (AlibiBackend byName = AlibiBackends.open(MultiDeviceTornadoBackend.NAME);
                AlibiBackend byDefault = AlibiBackends.open()) {
            assertEquals(MultiDeviceTornadoBackend.NAME, byName.name());
            assertEquals(TornadoBackend.NAME, byDefault.name());
        }
    }
}
