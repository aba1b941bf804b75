package org.alibi4j.bench;

import org.alibi4j.AlibiSlopes;
import org.alibi4j.BiasForm;
import org.alibi4j.BiasSpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Param;

/**
 * Writing a square {@code [heads, size, size]} bias into an existing array with the CPU backend,
 * against a multi-threaded {@code Arrays.fill} of the same array in the same run.
 */
@Fork(value = 1, jvmArgsAppend = "-Xmx10g")
public class MaterializeBenchmark extends CpuBenchmarkState {
    @Param({"8", "32"})
    int heads;

    @Param({"128", "512", "1024", "2048", "4096"})
    int size;


    @Override
    protected BiasSpec spec() {
        return new BiasSpec(AlibiSlopes.forHeads(heads), heads, size, size, BiasForm.SYMMETRIC);
    }

    @Benchmark
    public float[] cpuFill() {
        cpu.fill(spec, out, 0);
        return out;
    }
}
