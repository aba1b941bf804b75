package org.alibi4j.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.alibi4j.AlibiSlopes;
import org.alibi4j.attention.AlibiAttention;
import org.alibi4j.attention.HeadTensor;
import org.alibi4j.attention.cpu.CpuAttentionBackend;
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
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * One fused decode step ({@link AlibiAttention#decode}) at the last position of a full KV cache, on the
 * issue's shapes (D1, D2), K and V in floats or halves, against the read bandwidth of the same threads
 * measured in the same run: {@link ReadBandwidth} summing as many bytes as the step reads (K and V,
 * each key/value head once). For floats it sums the cache arrays themselves; for halves, a float array
 * of the same bytes. {@code plainJava} is the same split on the plain-Java kernels.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx6g"})
public class DecodeBenchmark {
    @Param({"D1", "D2"})
    String shape;

    @Param({"F32", "F16"})
    HeadTensor.Precision kv;

    @Param({"2"})
    int threads;

    /**
     * {@code ALIBI}: the shape's heads' own slopes ({@link AlibiSlopes#forHeads}), under which the steep heads'
     * far keys get weights that flush to zero and their value rows are not read. {@code FLAT}: every head
     * at 2^-16, so that no weight flushes and the step reads every K and V row: the kernels' streaming
     * speed, against the same baseline.
     */
    @Param({"ALIBI"})
    String slopes;

    private float[] out;
    private float[][] readBaseline;
    private HeadTensor qView;
    private HeadTensor kView;
    private HeadTensor vView;
    private HeadTensor outView;
    private int position;
    private CpuAttentionBackend vectorBackend;
    private CpuAttentionBackend plainBackend;
    private AlibiAttention fused;
    private AlibiAttention plain;
    private ReadBandwidth bandwidth;

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) {
        AttentionShape s = AttentionShape.decode(shape);
        SplittableRandom random = new SplittableRandom(42);
        float[] q = AttentionBenchmark.random(random, (long) s.heads() * s.d());
        float[] k = AttentionBenchmark.random(random, (long) s.kvHeads() * s.j() * s.d());
        float[] v = AttentionBenchmark.random(random, (long) s.kvHeads() * s.j() * s.d());
        out = new float[q.length];
        qView = HeadTensor.of(q, s.heads(), 1, s.d());
        outView = HeadTensor.of(out, s.heads(), 1, s.d());
        position = s.j() - 1;
        if (kv == HeadTensor.Precision.F16) {
            kView = HeadTensor.ofHalves(AttentionBenchmark.halves(k), s.kvHeads(), s.j(), s.d());
            vView = HeadTensor.ofHalves(AttentionBenchmark.halves(v), s.kvHeads(), s.j(), s.d());
            // as many bytes as the two arrays of halves: half as many floats
            readBaseline = new float[][] {AttentionBenchmark.random(random, (long) s.kvHeads() * s.j() * s.d())};
        } else {
            kView = HeadTensor.of(k, s.kvHeads(), s.j(), s.d());
            vView = HeadTensor.of(v, s.kvHeads(), s.j(), s.d());
            readBaseline = new float[][] {k, v};
        }
        AlibiSlopes slopes = switch (this.slopes) {
            case "ALIBI" -> AlibiSlopes.forHeads(s.heads());
            case "FLAT" -> AlibiSlopes.of(flat(s.heads()));
            default -> throw new IllegalArgumentException("slopes must be ALIBI or FLAT (was '" + this.slopes + "')");
        };
        vectorBackend = new CpuAttentionBackend(threads);
        plainBackend = CpuAttentionBackend.plainJava(threads);
        fused = AlibiAttention.builder(s.heads()).slopes(slopes).kvHeads(s.kvHeads()).headDim(s.d()).causal().backend(vectorBackend).build();
        plain = AlibiAttention.builder(s.heads()).slopes(slopes).kvHeads(s.kvHeads()).headDim(s.d()).causal().backend(plainBackend).build();
        bandwidth = new ReadBandwidth(threads);
        String what = "DecodeBenchmark shape=" + shape + " kv=" + kv + " slopes=" + this.slopes + " threads=" + threads;
        KernelLog.record(what + " fused", vectorBackend.kernels());
        KernelLog.record(what + " plainJava", plainBackend.kernels());
        warmUp(params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1), s);
    }

    /**
     * Runs this fork's method on a small cache until C2 has had time to compile it (Vector API code
     * runs boxed until then), as {@link AttentionBenchmark} does: a step of a headline shape takes tens
     * of milliseconds, so JMH's first warm-up iteration would otherwise be spent in the interpreter.
     */
    private void warmUp(String method, AttentionShape s) {
        int group = s.heads() / s.kvHeads();
        int keys = 2048;
        SplittableRandom random = new SplittableRandom(1);
        float[] q = AttentionBenchmark.random(random, (long) 2 * group * s.d());
        float[] k = AttentionBenchmark.random(random, (long) 2 * keys * s.d());
        float[] v = AttentionBenchmark.random(random, (long) 2 * keys * s.d());
        float[] o = new float[q.length];
        HeadTensor qs = HeadTensor.of(q, 2 * group, 1, s.d());
        HeadTensor os = HeadTensor.of(o, 2 * group, 1, s.d());
        HeadTensor ks = kv == HeadTensor.Precision.F16 ? HeadTensor.ofHalves(AttentionBenchmark.halves(k), 2, keys, s.d())
                : HeadTensor.of(k, 2, keys, s.d());
        HeadTensor vs = kv == HeadTensor.Precision.F16 ? HeadTensor.ofHalves(AttentionBenchmark.halves(v), 2, keys, s.d())
                : HeadTensor.of(v, 2, keys, s.d());
        Runnable call = switch (method) {
            case "fused", "plainJava" -> {
                AlibiAttention a = AlibiAttention.builder(2 * group).kvHeads(2).headDim(s.d()).causal()
                        .backend(method.equals("fused") ? vectorBackend : plainBackend).build();
                yield () -> a.decode(keys - 1, qs, ks, vs, os);
            }
            default -> () -> bandwidth.sum(k, v);
        };
        long end = System.nanoTime() + 2_000_000_000L;
        for (int n = 0; n < 2000 && System.nanoTime() < end; n++) {
            call.run();
        }
    }

    private static float[] flat(int heads) {
        float[] slopes = new float[heads];
        java.util.Arrays.fill(slopes, 0x1p-16f);
        return slopes;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        fused.close();
        plain.close();
        vectorBackend.close();
        plainBackend.close();
        bandwidth.close();
    }

    @Benchmark
    public float[] fused() {
        fused.decode(position, qView, kView, vView, outView);
        return out;
    }

    @Benchmark
    public float[] plainJava() {
        plain.decode(position, qView, kView, vView, outView);
        return out;
    }

    /** Baseline: a multi-threaded sum over as many bytes as the step reads. */
    @Benchmark
    public float readBandwidthBaseline() {
        return bandwidth.sum(readBaseline);
    }
}
