package org.alibi4j.cpu;

import org.alibi4j.AlibiBackend;
import org.alibi4j.AlibiBackendProvider;
import org.alibi4j.BackendStatus;

/** The CPU backend: rank 0, always available. */
public final class CpuBackendProvider implements AlibiBackendProvider {
    @Override
    public String name() {
        return CpuBackend.NAME;
    }

    @Override
    public int rank() {
        return 0;
    }

    @Override
    public BackendStatus status() {
        return BackendStatus.available(name(), rank(), CpuBackend.describe(Runtime.getRuntime().availableProcessors()));
    }

    @Override
    public AlibiBackend open() {
        return new CpuBackend();
    }
}
