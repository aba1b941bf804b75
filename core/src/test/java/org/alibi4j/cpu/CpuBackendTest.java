package org.alibi4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.alibi4j.AlibiBackend;
import org.alibi4j.AlibiSlopes;
import org.alibi4j.BackendContract;
import org.alibi4j.BiasForm;
import org.alibi4j.BiasSpec;
import org.alibi4j.TensorAssertions;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class CpuBackendTest {

    /** The default: one thread per processor, so shapes over the threshold run in the pool. */
    @Nested
    class Parallel extends BackendContract {
        @Override
        protected AlibiBackend openBackend() {
            return new CpuBackend(Math.max(2, Runtime.getRuntime().availableProcessors()));
        }
    }

    /** Three threads for work that splits unevenly over heads and rows. */
    @Nested
    class ThreeThreads extends BackendContract {
        @Override
        protected AlibiBackend openBackend() {
            return new CpuBackend(3);
        }
    }

    @Nested
    class SingleThread extends BackendContract {
        @Override
        protected AlibiBackend openBackend() {
            return new CpuBackend(1);
        }
    }

    @Test
    void fillOverwritesEveryElementIncludingUnbiasedHeads() {
        BiasSpec spec = new BiasSpec(AlibiSlopes.forHeads(5), 8, 40, 70, BiasForm.SYMMETRIC);
        try (CpuBackend cpu = new CpuBackend(2)) {
            float[] out = new float[(int) spec.elementCount() + 2];
            java.util.Arrays.fill(out, Float.NaN);
            cpu.fill(spec, out, 1);
            assertTrue(Float.isNaN(out[0]) && Float.isNaN(out[out.length - 1]), "outside the range untouched");
            TensorAssertions.assertMatchesReference(spec, java.util.Arrays.copyOfRange(out, 1, out.length - 1));
        }
    }

    @Test
    void materializeBeyondTheHeapNamesTheSize() {
        long maxHeap = Runtime.getRuntime().maxMemory();
        int heads = (int) Math.min(Integer.MAX_VALUE, maxHeap / 4 / 8 / 8 + 1);
        BiasSpec spec = new BiasSpec(AlibiSlopes.forHeads(1), Math.max(heads, 1), 8, 8, BiasForm.SYMMETRIC);
        assertTrue(spec.elementCount() * 4 > maxHeap, "the test JVM's -Xmx (core/pom.xml) is small enough");
        try (CpuBackend cpu = new CpuBackend(1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cpu.materialize(spec));
            assertTrue(e.getMessage().contains("more than the JVM's maximum heap"), e.getMessage());
        }
    }

    @Test
    void rejectsNoThreads() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new CpuBackend(0));
        assertEquals("threads must be >= 1 (was 0)", e.getMessage());
    }

    @Test
    void closeStopsThePool() {
        CpuBackend cpu = new CpuBackend(2);
        BiasSpec spec = new BiasSpec(AlibiSlopes.forHeads(4), 4, 256, 256, BiasForm.SYMMETRIC);
        cpu.materialize(spec);
        cpu.close();
        assertThrows(java.util.concurrent.RejectedExecutionException.class, () -> cpu.materialize(spec));
    }
}
