package org.alibi4j.attention.cpu;

import org.alibi4j.BackendStatus;
import org.alibi4j.attention.AttentionBackend;
import org.alibi4j.attention.AttentionBackendProvider;

/** The CPU attention backend: rank 0, always available. */
public final class CpuAttentionBackendProvider implements AttentionBackendProvider {
    @Override
    public String name() {
        return CpuAttentionBackend.NAME;
    }

    @Override
    public int rank() {
        return 0;
    }

    @Override
    public BackendStatus status() {
        String device = CpuAttentionBackend.describe(Runtime.getRuntime().availableProcessors(), Vectorization.kernels());
        return BackendStatus.available(name(), rank(), Vectorization.fallbackReason().map(why -> device + " (" + why + ")").orElse(device));
    }

    @Override
    public AttentionBackend open() {
        return new CpuAttentionBackend();
    }
}
