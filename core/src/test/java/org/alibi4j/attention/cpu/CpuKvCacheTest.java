package org.alibi4j.attention.cpu;

import org.alibi4j.attention.AttentionBackend;
import org.alibi4j.attention.KvCacheContract;
import org.junit.jupiter.api.Nested;

/**
 * The KV cache contract on the CPU backend, which keeps the default cache (two arrays on the heap) and
 * runs its own decode over them: bit for bit the stateless decode.
 */
class CpuKvCacheTest {

    @Nested
    class Default extends KvCacheContract {
        @Override
        protected AttentionBackend openBackend() {
            return new CpuAttentionBackend(Math.max(2, Runtime.getRuntime().availableProcessors()));
        }

        @Override
        protected boolean decodesBitForBitAsStateless() {
            return true;
        }
    }

    @Nested
    class PlainJava extends KvCacheContract {
        @Override
        protected AttentionBackend openBackend() {
            return CpuAttentionBackend.plainJava(2);
        }

        @Override
        protected boolean decodesBitForBitAsStateless() {
            return true;
        }
    }

    @Nested
    class SingleThread extends KvCacheContract {
        @Override
        protected AttentionBackend openBackend() {
            return new CpuAttentionBackend(1);
        }

        @Override
        protected boolean decodesBitForBitAsStateless() {
            return true;
        }
    }
}
