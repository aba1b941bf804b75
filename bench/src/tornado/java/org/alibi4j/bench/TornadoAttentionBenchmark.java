package org.alibi4j.bench;

import java.util.SplittableRandom;

import org.alibi4j.AlibiSlopes;
import org.alibi4j.BiasForm;
import org.alibi4j.attention.AttentionSpec;
import org.alibi4j.attention.HeadTensor;
import org.alibi4j.attention.cpu.CpuAttentionBackend;
import org.alibi4j.tornado.AlibiTasks;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.TearDown;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Fused ALiBi attention as an engine runs it on TornadoVM: Q, K and V already on the device (sent once in
 * set-up), the tiled prefill task or the decode split and merge of {@link AlibiTasks} executed, the output left
 * on the device. Beside it, in the same fork: the CPU attention backend on the same shape and values,
 * and the baseline, a device fill of as many floats as K and V hold (the bytes an attention
 * step cannot avoid reading: the bound of a decode step, which is memory-bound).
 *
 * <p>The shapes are the issue's: P1 prefill causal 32 heads, i = j = 2048, d = 128; P2 the same over 8
 * key/value heads; P3 symmetric 16 heads 512 x 512, d = 64; D1 decode of 32 heads over 32768 keys, d = 128;
 * D2 D1 over 8 key/value heads.
 */
public class TornadoAttentionBenchmark extends TornadoBenchmarkState {

    /** One benchmarked shape: {@code i == 1} is a decode step at position {@code j - 1}. */
    public enum Shape {
        P1(32, 32, 2048, 2048, 128, BiasForm.CAUSAL),
        P2(32, 8, 2048, 2048, 128, BiasForm.CAUSAL),
        P3(16, 16, 512, 512, 64, BiasForm.SYMMETRIC),
        D1(32, 32, 1, 32768, 128, BiasForm.CAUSAL),
        D2(32, 8, 1, 32768, 128, BiasForm.CAUSAL);

        final int heads;
        final int kvHeads;
        final int i;
        final int j;
        final int d;
        final BiasForm form;

        Shape(int heads, int kvHeads, int i, int j, int d, BiasForm form) {
            this.heads = heads;
            this.kvHeads = kvHeads;
            this.i = i;
            this.j = j;
            this.d = d;
            this.form = form;
        }

        boolean decode() {
            return i == 1;
        }
    }

    @Param({"P1", "P2", "P3", "D1", "D2"})
    Shape shape;

    private AttentionSpec spec;
    private TornadoExecutionPlan attention;
    private CpuAttentionBackend cpu;
    private HeadTensor q;
    private HeadTensor k;
    private HeadTensor v;
    private float[] out;
    private HeadTensor cpuOut;

    @Override
    protected int floatsWritten() {
        return Math.multiplyExact(2 * shape.kvHeads, shape.j * shape.d);
    }

    @Override
    protected void setUpPlans() {
        spec = new AttentionSpec(AlibiSlopes.forHeads(shape.heads), shape.heads, shape.kvHeads, shape.d,
                AttentionSpec.defaultScale(shape.d), shape.form);
        SplittableRandom random = new SplittableRandom(42);
        FloatArray dq = gaussian(random, shape.heads * shape.i * shape.d);
        FloatArray dk = gaussian(random, shape.kvHeads * shape.j * shape.d);
        FloatArray dv = gaussian(random, shape.kvHeads * shape.j * shape.d);
        FloatArray dout = new FloatArray(shape.heads * shape.i * shape.d);
        TaskGraph graph = new TaskGraph("engine").transferToDevice(DataTransferMode.FIRST_EXECUTION, dq, dk, dv);
        GridScheduler grid = new GridScheduler();
        AlibiTasks.KvLayout layout = AlibiTasks.KvLayout.headMajor(shape.j, shape.d);
        if (shape.decode()) {
            IntArray position = IntArray.fromElements(shape.j - 1);
            graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, position);
            AlibiTasks.decodeAttention(graph, "attention", spec, dq, dk, dv, layout, position, dout, shape.j);
        } else { // the tiled prefill, as the backend runs it for d <= 128 (every shape here)
            AlibiTasks.prefillAttentionTiled(graph, "attention", spec, dq, dk, dv, layout, dout, shape.i, shape.j, grid);
        }
        attention = plan(graph.transferToHost(DataTransferMode.UNDER_DEMAND, dout), grid);

        // the CPU backend on heap copies of the same values (its fast path: a float[] per tensor)
        cpu = new CpuAttentionBackend();
        q = HeadTensor.of(dq.toHeapArray(), shape.heads, shape.i, shape.d);
        k = HeadTensor.of(dk.toHeapArray(), shape.kvHeads, shape.j, shape.d);
        v = HeadTensor.of(dv.toHeapArray(), shape.kvHeads, shape.j, shape.d);
        out = new float[shape.heads * shape.i * shape.d];
        cpuOut = HeadTensor.of(out, shape.heads, shape.i, shape.d);
    }

    @Benchmark
    public void tornadoAttention() {
        attention.execute();
    }

    @Benchmark
    public float[] cpuAttention() {
        if (shape.decode()) {
            cpu.decode(spec, shape.j - 1, q, k, v, cpuOut);
        } else {
            cpu.prefill(spec, q, k, v, cpuOut);
        }
        return out;
    }

    @TearDown(Level.Trial)
    public void closeCpu() {
        cpu.close();
    }

    private static FloatArray gaussian(SplittableRandom random, int n) {
        FloatArray a = new FloatArray(n);
        for (int x = 0; x < n; x++) {
            a.set(x, (float) random.nextGaussian());
        }
        return a;
    }
}
