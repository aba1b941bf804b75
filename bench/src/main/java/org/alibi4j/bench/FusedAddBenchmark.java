package org.alibi4j.bench;

import org.alibi4j.AlibiSlopes;
import org.alibi4j.BiasForm;
import org.alibi4j.BiasSpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * Adding the bias into {@code [heads, size, size]} scores: the fused add, against materialising the
 * bias and then adding it, and against {@code Arrays.fill} of the scores as the memory baseline.
 */
@Fork(value = 1, jvmArgsAppend = "-Xmx8g")
public class FusedAddBenchmark extends CpuBenchmarkState {
    @Param({"8", "32"})
    int heads;

    @Param({"512", "2048"})
    int size;

    @Param({"SYMMETRIC", "CAUSAL"})
    BiasForm form;

    private float[] bias;

    @Override
    protected BiasSpec spec() {
        return new BiasSpec(AlibiSlopes.forHeads(heads), heads, size, size, form);
    }

    /** The materialised bias of {@link #materializeThenAdd()}; the scores are {@code out}. */
    @Setup(Level.Trial)
    public void setUpBias() {
        bias = new float[out.length];
    }

    @Benchmark
    public float[] fusedAdd() {
        cpu.addBias(spec, out, 0);
        return out;
    }

    @Benchmark
    public float[] materializeThenAdd() {
        cpu.fill(spec, bias, 0);
        baseline.add(out, bias);
        return out;
    }
}
