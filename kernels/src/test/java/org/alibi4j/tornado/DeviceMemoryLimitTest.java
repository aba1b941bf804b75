package org.alibi4j.tornado;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.alibi4j.AlibiSlopes;
import org.alibi4j.BiasForm;
import org.alibi4j.BiasSpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider;
import uk.ac.manchester.tornado.api.types.arrays.TornadoNativeArray;

/** A tensor the device cannot hold in one buffer is refused before anything is allocated, naming both sizes. */
class DeviceMemoryLimitTest {
    private static TornadoBackend tornado;
    private static long limit;

    @BeforeAll
    static void open() {
        assumeTrue(System.getenv("TORNADOVM_HOME") != null, "TORNADOVM_HOME is not set: no TornadoVM to test");
        tornado = (TornadoBackend) new TornadoBackendProvider().open();
        limit = TornadoRuntimeProvider.getTornadoRuntime().getDefaultDevice().getMaxAllocMemory();
    }

    @AfterAll
    static void close() {
        if (tornado != null) {
            tornado.close();
        }
    }

    @Test
    void aTensorLargerThanTheDeviceAllowsNamesBoth() {
        BiasSpec spec = new BiasSpec(AlibiSlopes.forHeads(1), 1, 46_000, 46_000, BiasForm.SYMMETRIC); // 8.5 GB of floats
        assumeTrue(8_464_000_000L > limit, "the device allocates " + limit + " bytes at once: an 8.5 GB tensor fits");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tornado.materialize(spec));
        assertTrue(e.getMessage().matches("a \\[1, 46000, 46000\\] tensor needs 8464000000 bytes and TornadoVM's \\d+-byte "
                + "array header; the largest buffer .+ allocates is " + limit + " bytes"), e.getMessage());
    }

    /** Found by the benchmark: 8 x 8192 x 8192 floats are exactly PoCL's 2 GiB, and the header did not fit. */
    @Test
    void aTensorOfExactlyTheLimitLeavesNoRoomForTheArrayHeader() {
        long floats = limit / Float.BYTES;
        assumeTrue(floats <= BiasSpec.MAX_ELEMENTS, "the device allocates " + limit + " bytes at once, more than the largest tensor");
        BiasSpec spec = new BiasSpec(AlibiSlopes.forHeads(1), 1, 1, (int) floats, BiasForm.SYMMETRIC);
        assertTrue(spec.elementCount() * Float.BYTES <= limit
                && spec.elementCount() * Float.BYTES + TornadoNativeArray.ARRAY_HEADER > limit, "the floats fit, the header does not");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tornado.materialize(spec));
        assertTrue(e.getMessage().startsWith("a [1, 1, " + floats + "] tensor needs " + floats * Float.BYTES + " bytes and TornadoVM's"),
                e.getMessage());
    }
}
