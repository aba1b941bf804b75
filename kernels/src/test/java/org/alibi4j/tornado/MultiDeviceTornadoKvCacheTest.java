package org.alibi4j.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;

import org.alibi4j.AlibiSlopes;
import org.alibi4j.BiasForm;
import org.alibi4j.attention.AttentionBackend;
import org.alibi4j.attention.AttentionBackends;
import org.alibi4j.attention.AttentionSpec;
import org.alibi4j.attention.HeadTensor;
import org.alibi4j.attention.KvCacheContract;
import org.junit.jupiter.api.Test;

/**
 * The KV cache contract with the key/value heads split over every device TornadoVM sees (two PoCL CPU
 * devices under the module's tests), each device keeping its own heads' keys and values.
 */
class MultiDeviceTornadoKvCacheTest extends KvCacheContract {
    @Override
    protected AttentionBackend openBackend() {
        assumeTrue(System.getenv("TORNADOVM_HOME") != null, "TORNADOVM_HOME is not set: no TornadoVM to test");
        assumeTrue(MultiDeviceTornadoBackend.allDeviceHandles().size() >= 2, "TornadoVM sees one device: nothing to split over");
        return AttentionBackends.open(MultiDeviceTornadoAttentionBackend.NAME);
    }

    @Test
    void eachDeviceKeepsItsKeyValueHeads() {
        AttentionSpec spec = new AttentionSpec(AlibiSlopes.forHeads(6), 6, 3, 8, 0.5f, BiasForm.CAUSAL);
        try (MultiDeviceKvCache cache = (MultiDeviceKvCache) backend.openKvCache(spec, 4, HeadTensor.Precision.F32)) {
            List<TornadoKvCache> parts = cache.parts();
            assertEquals(Math.min(3, ((MultiDeviceTornadoAttentionBackend) backend).deviceCount()), parts.size());
            assertTrue(parts.get(0).toString().startsWith("TornadoKvCache[key/value heads 0 .. 0, 4 positions of floats on "), parts.get(0).toString());
            assertTrue(parts.get(1).toString().startsWith("TornadoKvCache[key/value heads 1 .. " + (parts.size() == 2 ? 2 : 1)), parts.get(1).toString());
        }
    }
}
