package org.alibi4j.bench;

import org.alibi4j.BiasSpec;
import org.alibi4j.cpu.CpuBackend;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What the CPU benchmarks share: the backend, the {@code Arrays.fill} baseline with as many threads,
 * and an output array the size of the benchmark's tensor, all made once per trial.
 */
@State(Scope.Benchmark)
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
}
