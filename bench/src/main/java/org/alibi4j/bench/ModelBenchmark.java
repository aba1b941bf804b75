package org.alibi4j.bench;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.alibi4j.attention.HeadTensor;
import org.alibi4j.attention.cpu.CpuAttentionBackend;
import org.alibi4j.models.AlibiModel;
import org.alibi4j.models.ModelSession;
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
 * A whole model, decode and prefill, on random weights the benchmark writes itself: a checkpoint of the
 * {@link ModelShape} ({@code bloom-560m}, {@code mpt-1b}) in F16 or BF16 is written to a temporary
 * directory, loaded with {@link AlibiModel#load}, and deleted at the end of the trial. Each figure has its
 * baseline, measured in the same run with as many threads:
 * <ul>
 *   <li>{@link #decode}: one {@link ModelSession#next} at position {@code context} (keys {@code 0 .. context}),
 *       KV caches at {@code kv}. Against {@link #decodeReadBaseline}: {@link SegmentReadBandwidth} over the
 *       bytes such a step must read, every weight once (the checkpoint's tensors, mapped from the same file)
 *       and the K and V of {@code context + 1} positions at the cache's precision (an off-heap buffer).</li>
 *   <li>{@link #prefill}: {@link ModelSession#prefill} of {@code context} tokens (the figure is at
 *       512). Against {@link #fmaPeakBaseline}: {@link FmaPeak}, the FMA rate of as many threads; the
 *       prefill's FLOPs are {@link ModelShape#prefillFlops}.</li>
 * </ul>
 * Run the two pairs apart, e.g.
 * <pre>
 * java -jar bench/target/benchmarks.jar 'ModelBenchmark\.decode' -p threads=2
 * java -jar bench/target/benchmarks.jar 'ModelBenchmark\.(prefill|fmaPeakBaseline)' -p context=512 -p kv=F32
 * </pre>
 * or {@link ModelSuite}, which runs both and writes the report.
 *
 * <p>The decode state: setup prefills {@code context} random tokens, then every call rewinds the session to
 * {@code context} ({@link ModelSession#rewind}) and runs one token there, so each call reads the same
 * {@code context + 1} keys, its own key and value rewritten at {@code context}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx6g"})
public class ModelBenchmark {
    @Param({"bloom-560m", "mpt-1b"})
    String model;

    @Param({"F16", "BF16"})
    String weights;

    @Param({"F32", "F16"})
    HeadTensor.Precision kv;

    @Param({"512", "4096"})
    int context;

    @Param({"2"})
    int threads;

    private Path directory;
    private AlibiModel alibi;
    private ModelSession session;
    private int[] prompt;
    private int token;
    private Arena arena;
    private MemorySegment weightBytes;
    private MemorySegment kvBytes;
    private SegmentReadBandwidth bandwidth;
    private FmaPeak peak;

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) throws IOException {
        String method = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
        if (method.equals("fmaPeakBaseline")) {
            peak = new FmaPeak(threads);
            return;
        }
        ModelShape shape = ModelShape.of(model);
        SplittableRandom random = new SplittableRandom(7);
        directory = Files.createTempDirectory("alibi4j-model-bench-");
        Path file = RandomCheckpoint.write(directory, shape, weights, Math.max(2048, context + 1), 42);
        prompt = random.ints(context, 0, shape.vocabulary()).toArray();
        token = random.nextInt(shape.vocabulary());
        switch (method) {
            case "decodeReadBaseline" -> {
                arena = Arena.ofShared();
                MemorySegment mapped;
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                    mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
                }
                long header = mapped.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
                weightBytes = mapped.asSlice(8 + header); // the tensors' data: every weight once
                if (weightBytes.byteSize() != 2 * shape.parameters()) {
                    throw new IllegalStateException("the checkpoint holds " + weightBytes.byteSize() + " bytes of tensors, not " + 2 * shape.parameters());
                }
                kvBytes = arena.allocate(shape.kvBytes(context, kv == HeadTensor.Precision.F32 ? 4 : 2), 64);
                kvBytes.fill((byte) 1);
                bandwidth = new SegmentReadBandwidth(threads);
            }
            case "decode", "prefill" -> {
                // the cpu backend opened by the model, on the model's threads (as an engine gets it)
                alibi = AlibiModel.load(directory, AlibiModel.Options.defaults().withThreads(threads).withBackend(CpuAttentionBackend.NAME));
                session = alibi.newSession(context + 1, kv);
                KernelLog.record("ModelBenchmark model=" + model + " weights=" + weights + " kv=" + kv + " context=" + context + " " + method,
                        alibi.describe());
                session.prefill(prompt); // the decode's context; for the prefill, a first run that gets it compiled
            }
            default -> throw new IllegalStateException("no set-up for benchmark method " + method);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (session != null) {
            session.close();
        }
        if (alibi != null) {
            alibi.close();
        }
        if (bandwidth != null) {
            bandwidth.close();
        }
        if (peak != null) {
            peak.close();
        }
        if (arena != null) {
            arena.close();
        }
        RandomCheckpoint.delete(directory);
    }

    /** One decode step at position {@code context}. */
    @Benchmark
    public float[] decode() {
        session.rewind(context);
        return session.next(token);
    }

    /** Baseline of {@link #decode}: every weight once and the K and V of {@code context + 1} positions, read by as many threads. */
    @Benchmark
    public int decodeReadBaseline() {
        return bandwidth.sum(weightBytes, kvBytes);
    }

    /** A prefill of {@code context} tokens: the logits after the last. */
    @Benchmark
    public float[] prefill() {
        return session.prefill(prompt);
    }

    /** Baseline of {@link #prefill}: the FMA peak of as many threads ({@link FmaPeak#flopsPerCall} a call). */
    @Benchmark
    public float fmaPeakBaseline() {
        return peak.run();
    }
}
