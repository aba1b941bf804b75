package org.alibi4j.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.alibi4j.AlibiBackend;
import org.alibi4j.BackendContract;

/** The core's backend contract, on TornadoVM's default device. */
class TornadoBackendTest extends BackendContract {
    @Override
    protected AlibiBackend openBackend() {
        assumeTrue(System.getenv("TORNADOVM_HOME") != null, "TORNADOVM_HOME is not set: no TornadoVM to test");
        // a bailout must fail the test, never run the kernel as plain Java
        assertEquals("False", System.getProperty(TornadoProviderSupport.BAILOUT_PROPERTY));
        return new TornadoBackendProvider().open();
    }
}
