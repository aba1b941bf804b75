package org.alibi4j.bench;

import java.util.concurrent.TimeUnit;

import org.alibi4j.AlibiSlopes;
import org.alibi4j.BiasForm;
import org.alibi4j.BiasSpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Warmup;

/** One decode step, {@code [heads, 1, keys]}, against {@code Arrays.fill} of as many floats. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
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

    @Benchmark
    public float[] arraysFillBaseline() {
        baseline.fill(out, -1f);
        return out;
    }
}
