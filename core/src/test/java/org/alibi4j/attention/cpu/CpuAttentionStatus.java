package org.alibi4j.attention.cpu;

import org.alibi4j.BackendStatus;
import org.alibi4j.attention.AttentionBackends;

/**
 * Run in a JVM of its own by {@link VectorizationFallbackTest}: prints the module the library runs in and
 * the CPU attention backend's status.
 */
public final class CpuAttentionStatus {
    private CpuAttentionStatus() {
    }

    public static void main(String[] args) {
        Module module = AttentionBackends.class.getModule();
        System.out.println("module: " + (module.isNamed() ? module.getName() : "unnamed"));
        BackendStatus cpu = AttentionBackends.statuses().stream().filter(s -> s.name().equals("cpu")).findFirst().orElseThrow();
        System.out.println("cpu: " + cpu.detail());
    }
}
