package org.alibi4j.bench;

import java.util.concurrent.TimeUnit;

import org.alibi4j.AlibiSlopes;
import org.alibi4j.BiasForm;
import org.alibi4j.BiasSpec;
import org.alibi4j.cpu.CpuBackend;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Adding the bias into {@code [heads, size, size]} scores: the fused add, against materialising the
 * bias and then adding it, and against {@code Arrays.fill} of the scores as the memory baseline.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "-Xmx8g")
public class FusedAddBenchmark {
    @Param({"8", "32"})
    int heads;

    @Param({"512", "2048"})
    int size;

    @Param({"SYMMETRIC", "CAUSAL"})
    BiasForm form;

    private BiasSpec spec;
    private float[] scores;
    private float[] bias;
    private CpuBackend cpu;
    private ParallelFill baseline;

    @Setup(Level.Trial)
    public void setUp() {
        spec = new BiasSpec(AlibiSlopes.forHeads(heads), heads, size, size, form);
        scores = new float[(int) spec.elementCount()];
        bias = new float[scores.length];
        cpu = new CpuBackend();
        baseline = new ParallelFill();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        cpu.close();
        baseline.close();
    }

    @Benchmark
    public float[] fusedAdd() {
        cpu.addBias(spec, scores, 0);
        return scores;
    }

    @Benchmark
    public float[] materializeThenAdd() {
        cpu.fill(spec, bias, 0);
        baseline.add(scores, bias);
        return scores;
    }

    @Benchmark
    public float[] arraysFillBaseline() {
        baseline.fill(scores, -1f);
        return scores;
    }
}
