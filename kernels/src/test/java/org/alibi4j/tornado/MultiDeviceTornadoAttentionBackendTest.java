package org.alibi4j.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.alibi4j.attention.AttentionBackend;
import org.alibi4j.attention.AttentionBackends;
import org.alibi4j.attention.AttentionContract;
import org.junit.jupiter.api.Test;

/**
 * The core's attention contract with the heads split over every device TornadoVM sees (two PoCL CPU
 * devices under the module's tests: POCL_DEVICES in kernels/pom.xml).
 */
class MultiDeviceTornadoAttentionBackendTest extends AttentionContract {
    @Override
    protected AttentionBackend openBackend() {
        assumeTrue(System.getenv("TORNADOVM_HOME") != null, "TORNADOVM_HOME is not set: no TornadoVM to test");
        assumeTrue(MultiDeviceTornadoBackend.allDeviceHandles().size() >= 2, "TornadoVM sees one device: nothing to split over");
        return AttentionBackends.open(MultiDeviceTornadoAttentionBackend.NAME);
    }

    @Test
    void splitsOverEveryDeviceButIsNotTheDefault() {
        assertEquals(MultiDeviceTornadoBackend.allDeviceHandles().size(), ((MultiDeviceTornadoAttentionBackend) backend).deviceCount());
        try (AttentionBackend byDefault = AttentionBackends.open()) {
            assertEquals(TornadoAttentionBackend.NAME, byDefault.name());
        }
    }
}
