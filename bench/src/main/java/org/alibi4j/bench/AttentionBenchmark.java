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
 * Fused ALiBi prefill ({@link AlibiAttention#prefill}) on the shapes ({@link AttentionShape}:
 * P1, P2, P3), K and V in floats or halves, against two baselines measured in the same run (JMH forks
 * a JVM per method) with the same threads: the machine's FMA peak ({@link FmaPeak}, so {@code fused} can be quoted as a fraction of
 * it) and materialise-bias-then-attend ({@link MaterializedAttention}). {@code plainJava} is the same
 * fused algorithm on the backend's plain-Java kernels: what the Vector API buys.
 *
 * <p>The fork needs the Vector API module, or the backend falls back to its plain-Java kernels (set-up
 * records which kernels ran, {@link KernelLog}). FLOPs are {@link AttentionShape#prefillFlops()}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx6g"})
public class AttentionBenchmark {
    @Param({"P1", "P2", "P3"})
    String shape;

    /** Precision of K and V; Q and the output are floats. */
    @Param({"F32", "F16"})
    HeadTensor.Precision kv;

    /** Threads of the backend and of every baseline (the PyTorch peer uses as many). */
    @Param({"2"})
    int threads;

    private AttentionShape s;
    private float[] q;
    private float[] k;
    private float[] v;
    private short[] kHalves;
    private short[] vHalves;
    private float[] out;
    private HeadTensor qView;
    private HeadTensor kView;
    private HeadTensor vView;
    private HeadTensor outView;
    private CpuAttentionBackend vectorBackend;
    private CpuAttentionBackend plainBackend;
    private AlibiAttention fused;
    private AlibiAttention plain;
    private MaterializedAttention materialized;
    private FmaPeak peak;

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) {
        setUp(params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1));
    }

    /** The set-up of a fork that runs {@code method} (outside JMH: a probe, a test). */
    void setUp(String method) {
        s = AttentionShape.prefill(shape);
        SplittableRandom random = new SplittableRandom(42);
        q = random(random, (long) s.heads() * s.i() * s.d());
        k = random(random, (long) s.kvHeads() * s.j() * s.d());
        v = random(random, (long) s.kvHeads() * s.j() * s.d());
        out = new float[q.length];
        qView = HeadTensor.of(q, s.heads(), s.i(), s.d());
        outView = HeadTensor.of(out, s.heads(), s.i(), s.d());
        if (kv == HeadTensor.Precision.F16) {
            kHalves = halves(k);
            vHalves = halves(v);
            kView = HeadTensor.ofHalves(kHalves, s.kvHeads(), s.j(), s.d());
            vView = HeadTensor.ofHalves(vHalves, s.kvHeads(), s.j(), s.d());
        } else {
            kView = HeadTensor.of(k, s.kvHeads(), s.j(), s.d());
            vView = HeadTensor.of(v, s.kvHeads(), s.j(), s.d());
        }
        AlibiSlopes slopes = AlibiSlopes.forHeads(s.heads());
        vectorBackend = new CpuAttentionBackend(threads);
        plainBackend = CpuAttentionBackend.plainJava(threads);
        fused = attention(slopes, vectorBackend);
        plain = attention(slopes, plainBackend);
        materialized = new MaterializedAttention(s, slopes, fused.spec().scale(), threads);
        peak = new FmaPeak(threads);
        String what = "AttentionBenchmark shape=" + shape + " kv=" + kv + " threads=" + threads;
        KernelLog.record(what + " fused", vectorBackend.kernels());
        KernelLog.record(what + " plainJava", plainBackend.kernels());
        warmUp(method, slopes);
    }

    /**
     * Runs this fork's method on a small problem of the same kind until C2 has had time to compile its
     * loops. One call of a headline shape takes seconds, so JMH's warm-up iterations hold a call or two;
     * until C2 is done, Vector API code runs boxed, many times slower, and a first call of a headline
     * shape would dominate its iteration.
     */
    private void warmUp(String method, AlibiSlopes slopes) {
        AttentionShape small = new AttentionShape(s.name() + "-warm-up", s.heads() / s.kvHeads() * 2, 2, 256, 256, s.d(), s.causal());
        SplittableRandom random = new SplittableRandom(1);
        float[] sq = random(random, (long) small.heads() * small.i() * small.d());
        float[] sk = random(random, (long) small.kvHeads() * small.j() * small.d());
        float[] sv = random(random, (long) small.kvHeads() * small.j() * small.d());
        float[] so = new float[sq.length];
        HeadTensor qs = HeadTensor.of(sq, small.heads(), small.i(), small.d());
        HeadTensor os = HeadTensor.of(so, small.heads(), small.i(), small.d());
        HeadTensor ks = kv == HeadTensor.Precision.F16 ? HeadTensor.ofHalves(halves(sk), 2, small.j(), small.d())
                : HeadTensor.of(sk, 2, small.j(), small.d());
        HeadTensor vs = kv == HeadTensor.Precision.F16 ? HeadTensor.ofHalves(halves(sv), 2, small.j(), small.d())
                : HeadTensor.of(sv, 2, small.j(), small.d());
        Runnable call = switch (method) {
            case "fused", "plainJava" -> {
                AlibiAttention.Builder b = AlibiAttention.builder(small.heads()).kvHeads(2).headDim(small.d())
                        .backend(method.equals("fused") ? vectorBackend : plainBackend);
                AlibiAttention a = (small.causal() ? b.causal() : b).build();
                yield () -> a.prefill(qs, ks, vs, os);
            }
            case "materializeThenAttendBaseline" -> {
                MaterializedAttention m = new MaterializedAttention(small, AlibiSlopes.forHeads(small.heads()), fused.spec().scale(), threads);
                yield () -> m.attend(sq, sk, sv, so); // closed with the JVM: a fork runs one trial
            }
            default -> null; // the FMA probe runs its short loop thousands of times per call
        };
        long end = System.nanoTime() + WARM_UP_NANOS;
        for (int n = 0; call != null && n < 1000 && System.nanoTime() < end; n++) {
            call.run();
        }
    }

    private static final long WARM_UP_NANOS = 3_000_000_000L;

    private AlibiAttention attention(AlibiSlopes slopes, CpuAttentionBackend backend) {
        AlibiAttention.Builder b = AlibiAttention.builder(s.heads()).slopes(slopes).totalHeads(s.heads()).kvHeads(s.kvHeads())
                .headDim(s.d()).backend(backend);
        return (s.causal() ? b.causal() : b).build();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        fused.close();
        plain.close();
        vectorBackend.close();
        plainBackend.close();
        materialized.close();
        peak.close();
    }

    /** The fused kernels at their best (the Vector API's where the fork has the module). */
    @Benchmark
    public float[] fused() {
        fused.prefill(qView, kView, vView, outView);
        return out;
    }

    /** The same fused algorithm on the plain-Java kernels. */
    @Benchmark
    public float[] plainJava() {
        plain.prefill(qView, kView, vView, outView);
        return out;
    }

    /**
     * Baseline: the bias materialised (cached), {@code [T, i, j]} scores, softmax, times V; halves are
     * widened to floats first, inside the timing, as an engine without half kernels must.
     */
    @Benchmark
    public float[] materializeThenAttendBaseline() {
        if (kv == HeadTensor.Precision.F16) {
            widen(kHalves, k);
            widen(vHalves, v);
        }
        return materialized.attend(q, k, v, out);
    }

    /** Baseline: the FMA peak of {@code threads} threads, {@link FmaPeak#flopsPerCall(int)} FLOPs a call. */
    @Benchmark
    public float fmaPeakBaseline() {
        return peak.run();
    }

    static float[] random(SplittableRandom random, long n) {
        float[] a = new float[Math.toIntExact(n)];
        for (int x = 0; x < a.length; x++) {
            a[x] = (float) (random.nextDouble() * 2 - 1);
        }
        return a;
    }

    /** The halves nearest to {@code a}; the float arrays then hold exactly the halves' values. */
    static short[] halves(float[] a) {
        short[] h = new short[a.length];
        for (int x = 0; x < a.length; x++) {
            h[x] = Float.floatToFloat16(a[x]);
            a[x] = Float.float16ToFloat(h[x]);
        }
        return h;
    }

    static void widen(short[] halves, float[] floats) {
        for (int x = 0; x < halves.length; x++) { // C2 turns this into vector conversions
            floats[x] = Float.float16ToFloat(halves[x]);
        }
    }
}
