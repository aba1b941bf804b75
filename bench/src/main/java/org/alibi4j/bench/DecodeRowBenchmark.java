package org.alibi4j.bench;

import java.util.concurrent.TimeUnit;

import org.alibi4j.AlibiSlopes;
import org.alibi4j.BiasForm;
import org.alibi4j.BiasSpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;

/** One decode step, {@code [heads, 1, keys]}, against {@code Arrays.fill} of as many floats. */
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = "-Xmx2g")
public class DecodeRowBenchmark extends CpuBenchmarkState {
    @Param({"8", "32"})
    int heads;

    @Param({"1024", "8192", "32768"})
    int keys;


    @Override
    protected BiasSpec spec() {
        return new BiasSpec(AlibiSlopes.forHeads(heads), heads, 1, keys, BiasForm.SYMMETRIC);
    }

    @Benchmark
    public float[] cpuFill() {
        cpu.fill(spec, out, 0);
        return out;
    }
}
