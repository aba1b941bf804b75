package org.alibi4j.bench;

import java.util.concurrent.TimeUnit;

import org.alibi4j.BiasSpec;
import org.alibi4j.cpu.CpuBackend;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the CPU benchmarks share: the backend, the {@code Arrays.fill} baseline with as many threads,
 * and an output array the size of the benchmark's tensor, all made once per trial; the JMH settings
 * (a subclass names its own {@code @Fork} heap and may change the time unit); and the baseline itself,
 * {@link #arraysFillBaseline()}, which JMH runs for each subclass in the same fork as its benchmarks.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public abstract class CpuBenchmarkState {
    protected BiasSpec spec;
    protected float[] out;
    protected CpuBackend cpu;
    protected ParallelFill baseline;

    /** The tensor this benchmark writes, from its {@code @Param}s. */
    protected abstract BiasSpec spec();

    @Setup(Level.Trial)
    public void setUpCpu() {
        spec = spec();
        out = new float[(int) spec.elementCount()];
        cpu = new CpuBackend();
        baseline = new ParallelFill();
    }

    @TearDown(Level.Trial)
    public void tearDownCpu() {
        cpu.close();
        baseline.close();
    }

    /** The baseline: every float of {@code out} written by as many threads with {@code Arrays.fill}. */
    @Benchmark
    public float[] arraysFillBaseline() {
        baseline.fill(out, -1f);
        return out;
    }
}
