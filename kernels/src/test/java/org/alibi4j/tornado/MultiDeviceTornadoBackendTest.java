package org.alibi4j.tornado;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.alibi4j.AlibiBackend;
import org.alibi4j.BackendContract;

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
}
