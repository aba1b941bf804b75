package org.alibi4j.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.alibi4j.models.checkpoint.DType;
import org.alibi4j.models.checkpoint.WeightTensor;
import org.alibi4j.models.linalg.MatMul;
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
 * A model's matrix products ({@link MatMul#linear}, {@code y = x W^T}) at the stored weight precisions,
 * on the shapes of bloom-560m's layers, against a baseline measured in the same run with the same threads:
 *
 * <ul>
 *   <li>decode ({@code rows = 1}): bound by reading the weights; the baseline {@code readBandwidthBaseline}
 *       sums the weight tensor's own bytes ({@link ReadBandwidth#sum(MemorySegment)}), so the ratio is
 *       {@code baseline time / linear time};</li>
 *   <li>prefill ({@code rows = 512}): bound by the multiply-adds; the baseline {@code fmaPeakBaseline} is
 *       {@link FmaPeak} ({@link FmaPeak#flopsPerCall} a call), so the ratio is the product's
 *       {@code 2 rows out in} FLOPs a second over the probe's.</li>
 * </ul>
 *
 * {@code shape} is {@code regime-OUTxIN}: the weight matrix is {@code [OUT, IN]} (250880 x 1024 is
 * bloom-560m's LM head, 514 MB in F16). Weights are random (normal, scale 0.02), in native memory as a
 * checkpoint's mapped tensors are. Each baseline runs for every shape (JMH has no per-parameter methods);
 * only the regime's own baseline is meaningful for it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
public class LinearBenchmark {
    @Param({"decode-1024x4096", "decode-4096x1024", "decode-250880x1024", "prefill-1024x4096", "prefill-4096x1024"})
    String shape;

    @Param({"F16", "BF16", "F32"})
    DType dtype;

    @Param({"2"})
    int threads;

    private Arena arena;
    private WeightTensor weight;
    private float[] x;
    private float[] y;
    private int rows;
    private MatMul matMul;
    private ReadBandwidth bandwidth;
    private FmaPeak peak;

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) {
        String method = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
        rows = shape.startsWith("decode-") ? 1 : 512;
        String[] dims = shape.substring(shape.indexOf('-') + 1).split("x");
        int out = Integer.parseInt(dims[0]);
        int in = Integer.parseInt(dims[1]);
        arena = Arena.ofShared();
        SplittableRandom random = new SplittableRandom(42);
        weight = randomWeight(arena, random, dtype, out, in);
        x = AttentionBenchmark.random(random, (long) rows * in);
        y = new float[rows * out];
        matMul = new MatMul(threads);
        bandwidth = new ReadBandwidth(threads);
        if (method.equals("fmaPeakBaseline")) {
            peak = new FmaPeak(threads);
        }
        KernelLog.record("LinearBenchmark shape=" + shape + " dtype=" + dtype + " threads=" + threads + " linear", matMul.describe());
        if (method.equals("linear")) {
            warmUp(random);
        }
    }

    /**
     * Runs the kernels on a small matrix of the same type and regime until C2 has had time to compile
     * them (Vector API code runs boxed, hundreds of times slower, until then): a call on the LM head
     * takes tens of milliseconds, so JMH's warm-up iterations would be spent mostly in slow code, and the
     * one long loop of a rarely called method gets compiled on stack replacement, where C2 may box vectors.
     */
    private void warmUp(SplittableRandom random) {
        int smallRows = Math.min(rows, 64);
        int out = 256;
        int in = 512;
        try (Arena scratch = Arena.ofShared()) {
            WeightTensor small = randomWeight(scratch, random, dtype, out, in);
            float[] xs = AttentionBenchmark.random(random, (long) smallRows * in);
            float[] ys = new float[smallRows * out];
            long end = System.nanoTime() + 3_000_000_000L;
            while (System.nanoTime() < end) {
                matMul.linear(small, null, xs, smallRows, ys);
            }
        }
    }

    /** A {@code [out, in]} tensor of normal values (scale 0.02, as initialised models have) at {@code dtype}. */
    static WeightTensor randomWeight(Arena arena, SplittableRandom random, DType dtype, int out, int in) {
        long n = (long) out * in;
        MemorySegment data = arena.allocate(n * dtype.bytes(), 64);
        ValueLayout.OfFloat f32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        ValueLayout.OfShort half = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (long e = 0; e < n; e++) {
            float v = (float) (random.nextGaussian() * 0.02);
            switch (dtype) {
                case F32 -> data.set(f32, e * 4, v);
                case F16 -> data.set(half, e * 2, Float.floatToFloat16(v));
                case BF16 -> data.set(half, e * 2, (short) (Float.floatToRawIntBits(v) >>> 16));
            }
        }
        return new WeightTensor("w", dtype, new long[] {out, in}, data.asReadOnly());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        matMul.close();
        bandwidth.close();
        if (peak != null) {
            peak.close();
        }
        arena.close();
    }

    @Benchmark
    public float[] linear() {
        matMul.linear(weight, null, x, rows, y);
        return y;
    }

    /** Decode's baseline: a multi-threaded sum over the weight tensor's bytes. */
    @Benchmark
    public float readBandwidthBaseline() {
        return bandwidth.sum(weight.data());
    }

    /** Prefill's baseline: the FMA probe, {@link FmaPeak#flopsPerCall} FLOPs a call. */
    @Benchmark
    public float fmaPeakBaseline() {
        return peak.run();
    }
}
