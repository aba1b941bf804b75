package org.alibi4j.tornado;

import static org.alibi4j.TensorAssertions.assertMatchesReference;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.alibi4j.AlibiBackends;
import org.alibi4j.AlibiPositionalBias;
import org.alibi4j.BiasForm;
import org.alibi4j.BiasSpec;
import org.alibi4j.BiasTensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The cache over a device backend: hits launch nothing and copy nothing; the host copy comes on demand. */
class DeviceResidencyTest {

    @BeforeAll
    static void needsTornadoVM() {
        assumeTrue(System.getenv("TORNADOVM_HOME") != null, "TORNADOVM_HOME is not set: no TornadoVM to test");
    }

    @Test
    void repeatedAndSmallerForwardsLaunchNoKernelAndTransferNothing() {
        try (TornadoBackend tornado = (TornadoBackend) new TornadoBackendProvider().open();
             AlibiPositionalBias alibi = AlibiPositionalBias.builder(12).totalHeads(16).backend(tornado).build()) {
            BiasTensor prefill = alibi.forward(64, 96);
            assertEquals(1, tornado.kernelLaunches());
            assertEquals(0, tornado.hostTransfers(), "nothing comes back until the host reads");

            BiasTensor again = alibi.forward(64, 96);
            BiasTensor decode = alibi.forward(1, 80);
            assertEquals(1, tornado.kernelLaunches(), "cache hits launch no kernel");
            assertEquals(0, tornado.hostTransfers(), "cache hits transfer nothing");

            assertMatchesReference(new BiasSpec(alibi.slopes(), 16, 1, 80, BiasForm.SYMMETRIC), decode.toArray());
            assertMatchesReference(new BiasSpec(alibi.slopes(), 16, 64, 96, BiasForm.SYMMETRIC), again.toArray());
            prefill.get(3, 2, 1);
            assertEquals(1, tornado.hostTransfers(), "one host copy serves every view of the tensor");

            BiasTensor grown = alibi.forward(100, 130);
            assertEquals(2, tornado.kernelLaunches());
            assertMatchesReference(new BiasSpec(alibi.slopes(), 16, 100, 130, BiasForm.SYMMETRIC), grown.toArray());
            assertMatchesReference(new BiasSpec(alibi.slopes(), 16, 64, 96, BiasForm.SYMMETRIC), prefill.toArray());
        }
    }

    @Test
    void closeFreesTheDeviceTensorsAndKeepsHostCopiesForViews() {
        TornadoBackend tornado = (TornadoBackend) new TornadoBackendProvider().open();
        BiasTensor unread;
        try (AlibiPositionalBias alibi = AlibiPositionalBias.builder(4).backend(tornado).build()) {
            unread = alibi.forward(8, 8);
            alibi.forward(20, 20); // growth: the first tensor's device memory goes
            assertEquals(1, tornado.residentTensors());
            BiasSpec spec = new BiasSpec(alibi.slopes(), 4, 8, 8, BiasForm.SYMMETRIC);
            tornado.close();
            assertEquals(0, tornado.residentTensors());
            assertMatchesReference(spec, unread.toArray()); // copied to the host before its buffer went
        }
    }

    @Test
    void discoveryPrefersTornadoWhereItRuns() {
        try (var backend = AlibiBackends.open()) {
            assertEquals("tornado", backend.name());
            assertTrue(backend.device().contains("OPENCL") || backend.device().contains("PTX"), backend.device());
        }
    }
}
