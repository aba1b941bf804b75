package org.alibi4j.bench;

import java.util.SplittableRandom;

import org.alibi4j.AlibiSlopes;
import org.alibi4j.attention.AlibiAttention;
import org.alibi4j.attention.HeadTensor;
import org.alibi4j.attention.KvCache;
import org.alibi4j.attention.cpu.CpuAttentionBackend;
import org.alibi4j.tornado.AlibiTasks;
import org.alibi4j.tornado.TornadoAttentionBackend;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.BenchmarkParams;

import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * One fused ALiBi decode step on TornadoVM at the last position of a full cache, on the decode
 * shapes ({@link AttentionShape}: D1, D2), three ways:
 *
 * <ul>
 *   <li>{@code tornadoAttention}: as an engine runs it, the decode split and merge of {@link AlibiTasks} in
 *       its own graph over caches already on the device, the output left there;</li>
 *   <li>{@code kvCache}: through the host API with the cache resident ({@link KvCache} on the
 *       {@code tornado} backend, appended once in set-up): the query in, the output back;</li>
 *   <li>{@code statelessDecode}: through the host API without a cache ({@link AlibiAttention#decode}):
 *       K and V copied to the device at every step.</li>
 * </ul>
 *
 * Beside them, in the same run: the CPU attention backend, and the baseline, a device copy of as many
 * floats as K and V hold ({@link DeviceBaselineKernels#copy}), so that a step's GB/s read as a fraction of
 * the device's memory bandwidth (the report does that, as it does for the CPU's {@link ReadBandwidth}).
 *
 * <p>JMH forks a JVM per method; set-up builds only what the fork's method runs.
 */
public class TornadoDecodeBenchmark extends TornadoPlanState {

    @Param({"D1", "D2"})
    String shape;

    private int position;
    private TornadoExecutionPlan engine;
    private TornadoExecutionPlan copy;
    private TornadoAttentionBackend tornado;
    private CpuAttentionBackend cpu;
    private AlibiAttention attention;
    private KvCache cache;
    private HeadTensor q;
    private HeadTensor k;
    private HeadTensor v;
    private float[] out;
    private HeadTensor outView;

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) {
        String method = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
        AttentionShape s = AttentionShape.decode(shape);
        position = s.j() - 1;
        SplittableRandom random = new SplittableRandom(42);
        FloatArray dq = TornadoAttentionBenchmark.gaussian(random, s.heads() * s.d());
        FloatArray dk = TornadoAttentionBenchmark.gaussian(random, s.kvHeads() * s.j() * s.d());
        FloatArray dv = TornadoAttentionBenchmark.gaussian(random, s.kvHeads() * s.j() * s.d());
        out = new float[s.heads() * s.d()];
        outView = HeadTensor.of(out, s.heads(), 1, s.d());
        switch (method) {
            case "tornadoAttention" -> {
                FloatArray dout = new FloatArray(s.heads() * s.d());
                IntArray at = IntArray.fromElements(position);
                TaskGraph graph = new TaskGraph("engine").transferToDevice(DataTransferMode.FIRST_EXECUTION, dq, dk, dv, at);
                AlibiTasks.decodeAttention(graph, "attention", s.spec(), dq, dk, dv, AlibiTasks.KvLayout.headMajor(s.j(), s.d()),
                        at, dout, s.j());
                engine = plan(graph.transferToHost(DataTransferMode.UNDER_DEMAND, dout));
            }
            case "kvCache", "statelessDecode" -> {
                heapViews(s, dq, dk, dv);
                tornado = new TornadoAttentionBackend();
                attention = AlibiAttention.builder(s.heads()).slopes(AlibiSlopes.forHeads(s.heads())).kvHeads(s.kvHeads()).headDim(s.d())
                        .causal().backend(tornado).build();
                if (method.equals("kvCache")) {
                    cache = attention.openKvCache(s.j());
                    cache.append(0, k, v); // the whole cache, once
                    cache.decode(position, q, outView);
                } else {
                    attention.decode(position, q, k, v, outView); // compiles the plan
                }
            }
            case "cpuAttention" -> {
                heapViews(s, dq, dk, dv);
                cpu = new CpuAttentionBackend();
                KernelLog.record("TornadoDecodeBenchmark shape=" + shape + " cpuAttention", cpu.kernels());
                attention = AlibiAttention.builder(s.heads()).slopes(AlibiSlopes.forHeads(s.heads())).kvHeads(s.kvHeads()).headDim(s.d())
                        .causal().backend(cpu).build();
            }
            case "deviceCopyBaseline" -> {
                FloatArray from = TornadoAttentionBenchmark.gaussian(random, Math.toIntExact(DeviceBaselines.copyFloats(s)));
                FloatArray to = new FloatArray(from.getSize());
                copy = plan(new TaskGraph("device_copy")
                        .transferToDevice(DataTransferMode.FIRST_EXECUTION, from)
                        .task("copy", DeviceBaselineKernels::copy, from, to)
                        .transferToHost(DataTransferMode.UNDER_DEMAND, to));
            }
            default -> throw new IllegalStateException("no set-up for " + method);
        }
    }

    /** The CPU's and the host API's views: heap copies of the device's values (the fast path, a float[] per tensor). */
    private void heapViews(AttentionShape s, FloatArray dq, FloatArray dk, FloatArray dv) {
        q = HeadTensor.of(dq.toHeapArray(), s.heads(), 1, s.d());
        k = HeadTensor.of(dk.toHeapArray(), s.kvHeads(), s.j(), s.d());
        v = HeadTensor.of(dv.toHeapArray(), s.kvHeads(), s.j(), s.d());
    }

    @Benchmark
    public void tornadoAttention() {
        engine.execute();
    }

    @Benchmark
    public float[] kvCache() {
        cache.decode(position, q, outView);
        return out;
    }

    @Benchmark
    public float[] statelessDecode() {
        attention.decode(position, q, k, v, outView);
        return out;
    }

    @Benchmark
    public float[] cpuAttention() {
        attention.decode(position, q, k, v, outView);
        return out;
    }

    /** Baseline: the shape's K and V copied from one device buffer to another. */
    @Benchmark
    public void deviceCopyBaseline() {
        copy.execute();
    }

    @TearDown(Level.Trial)
    public void closeBackends() {
        if (cache != null) {
            cache.close();
        }
        if (tornado != null) {
            tornado.close();
        }
        if (cpu != null) {
            cpu.close();
        }
    }
}
