package org.alibi4j.bench;

import java.util.SplittableRandom;

import org.alibi4j.attention.AttentionSpec;
import org.alibi4j.attention.HeadTensor;
import org.alibi4j.attention.cpu.CpuAttentionBackend;
import org.alibi4j.tornado.AlibiTasks;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.BenchmarkParams;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Fused ALiBi prefill as an engine runs it on TornadoVM, on the prefill shapes
 * ({@link AttentionShape}: P1, P2, P3): Q, K and V already on the device (sent once in set-up), the tiled
 * prefill task of {@link AlibiTasks} executed, the output left on the device. Beside it, in the same run:
 * the CPU attention backend on the same shape and values, and the baseline, the device's FMA loop
 * ({@link DeviceBaselineKernels#fmaChains}), so that the prefill's FLOP/s read as a fraction of what the
 * device's multiply-add units do (the report does that, as it does for the CPU's {@link FmaPeak}).
 *
 * <p>JMH forks a JVM per method; set-up builds only what the fork's method runs.
 */
public class TornadoAttentionBenchmark extends TornadoPlanState {

    @Param({"P1", "P2", "P3"})
    String shape;

    private TornadoExecutionPlan attention;
    private TornadoExecutionPlan fmaLoop;
    private AttentionSpec spec;
    private CpuAttentionBackend cpu;
    private HeadTensor q;
    private HeadTensor k;
    private HeadTensor v;
    private float[] out;
    private HeadTensor cpuOut;

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) {
        String method = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
        AttentionShape s = AttentionShape.prefill(shape);
        spec = s.spec();
        SplittableRandom random = new SplittableRandom(42);
        FloatArray dq = gaussian(random, s.heads() * s.i() * s.d());
        FloatArray dk = gaussian(random, s.kvHeads() * s.j() * s.d());
        FloatArray dv = gaussian(random, s.kvHeads() * s.j() * s.d());
        switch (method) {
            case "tornadoAttention" -> {
                FloatArray dout = new FloatArray(s.heads() * s.i() * s.d());
                TaskGraph graph = new TaskGraph("engine").transferToDevice(DataTransferMode.FIRST_EXECUTION, dq, dk, dv);
                GridScheduler grid = new GridScheduler();
                // the tiled prefill, as the backend runs it for d <= 128 (every shape here)
                AlibiTasks.prefillAttentionTiled(graph, "attention", spec, dq, dk, dv, AlibiTasks.KvLayout.headMajor(s.j(), s.d()), dout,
                        s.i(), s.j(), grid);
                attention = plan(graph.transferToHost(DataTransferMode.UNDER_DEMAND, dout), grid);
            }
            case "cpuAttention" -> { // the CPU backend on heap copies of the same values (its fast path: a float[] per tensor)
                cpu = new CpuAttentionBackend();
                KernelLog.record("TornadoAttentionBenchmark shape=" + shape + " cpuAttention", cpu.kernels());
                q = HeadTensor.of(dq.toHeapArray(), s.heads(), s.i(), s.d());
                k = HeadTensor.of(dk.toHeapArray(), s.kvHeads(), s.j(), s.d());
                v = HeadTensor.of(dv.toHeapArray(), s.kvHeads(), s.j(), s.d());
                out = new float[s.heads() * s.i() * s.d()];
                cpuOut = HeadTensor.of(out, s.heads(), s.i(), s.d());
            }
            case "deviceFmaBaseline" -> fmaLoop = fmaLoop(this);
            default -> throw new IllegalStateException("no set-up for " + method);
        }
    }

    /** The FMA loop's plan, run once and checked: its sums must be finite, or the chains left the normal range. */
    static TornadoExecutionPlan fmaLoop(TornadoPlanState state) {
        FloatArray sums = new FloatArray(DeviceBaselines.FMA_WORK_ITEMS);
        TornadoExecutionPlan plan = state.plan(new TaskGraph("device_fma")
                .task("fma_chains", DeviceBaselineKernels::fmaChains, sums, DeviceBaselines.FMA_STEPS)
                .transferToHost(DataTransferMode.UNDER_DEMAND, sums));
        plan.execute().transferToHost(sums);
        for (int n : new int[] {0, sums.getSize() - 1}) {
            if (!Float.isFinite(sums.get(n)) || sums.get(n) <= 0) {
                throw new IllegalStateException("the FMA loop's sum " + n + " is " + sums.get(n));
            }
        }
        return plan;
    }

    @Benchmark
    public void tornadoAttention() {
        attention.execute();
    }

    @Benchmark
    public float[] cpuAttention() {
        cpu.prefill(spec, q, k, v, cpuOut);
        return out;
    }

    /** Baseline: {@link DeviceBaselines#FMA_FLOPS} of independent multiply-adds on the device. */
    @Benchmark
    public void deviceFmaBaseline() {
        fmaLoop.execute();
    }

    @TearDown(Level.Trial)
    public void closeCpu() {
        if (cpu != null) {
            cpu.close();
        }
    }

    static FloatArray gaussian(SplittableRandom random, int n) {
        FloatArray a = new FloatArray(n);
        for (int x = 0; x < n; x++) {
            a.set(x, (float) random.nextGaussian());
        }
        return a;
    }
}
