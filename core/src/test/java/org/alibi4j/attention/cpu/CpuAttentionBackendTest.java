package org.alibi4j.attention.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.alibi4j.attention.AttentionBackend;
import org.alibi4j.attention.AttentionContract;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class CpuAttentionBackendTest {

    /** The default: the best kernels (the Vector API's: the tests run with the module), a thread per processor. */
    @Nested
    class Default extends AttentionContract {
        @Override
        protected AttentionBackend openBackend() {
            return new CpuAttentionBackend(Math.max(2, Runtime.getRuntime().availableProcessors()));
        }

        @Test
        void runsTheVectorKernels() {
            assertTrue(((CpuAttentionBackend) backend).kernels().startsWith("Vector API"), ((CpuAttentionBackend) backend).kernels());
        }
    }

    @Nested
    class PlainJava extends AttentionContract {
        @Override
        protected AttentionBackend openBackend() {
            return CpuAttentionBackend.plainJava(2);
        }
    }

    /** Three threads, for work that splits unevenly. */
    @Nested
    class ThreeThreads extends AttentionContract {
        @Override
        protected AttentionBackend openBackend() {
            return new CpuAttentionBackend(3);
        }
    }

    @Nested
    class SingleThread extends AttentionContract {
        @Override
        protected AttentionBackend openBackend() {
            return new CpuAttentionBackend(1);
        }
    }
}
