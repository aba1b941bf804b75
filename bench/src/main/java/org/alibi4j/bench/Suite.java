package org.alibi4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Properties;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the benchmark suite and writes {@code RESULTS.md} and {@code bandwidth.png} into a folder.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar org.alibi4j.bench.Suite short bench   # under 10 minutes
 * java -cp bench/target/benchmarks.jar org.alibi4j.bench.Suite full bench    # the real measurement
 * java -cp bench/target/benchmarks.jar org.alibi4j.bench.Suite ci target/ci  # tiny benchmarks: under a minute
 * java -cp bench/target/benchmarks.jar org.alibi4j.bench.Suite attention bench/attention  # attention only
 * java -cp bench/target/benchmarks.jar org.alibi4j.bench.Suite device out/bench  # TornadoVM rows only, short
 * </pre>
 *
 * The attention section quotes the PyTorch peers from {@code bench/pytorch-cpu.properties} (HF BLOOM's eager attention,
 * {@code scripts/pytorch_peer.py --attention --out bench/pytorch-cpu}) and {@code bench/pytorch2-cpu.properties} (PyTorch 2's
 * SDPA, {@code --form sdpa --out bench/pytorch2-cpu}); other files with {@code -Dalibi4j.bench.peer=PATH,PATH}. With
 * {@code -Dalibi4j.bench.jvmArgs="ARG ..."} the forks get those JVM arguments instead of the ones their {@code @Fork}
 * appends, so name the module and the heap too: {@code "--add-modules jdk.incubator.vector -Xmx6g -XX:MaxVectorSize=32"}
 * is a 256-bit attention run on an AVX-512 machine.
 */
public final class Suite {

    /** How long and how wide a run is. */
    enum Mode {
        /** One CPU benchmark at the smallest size and tiny attention shapes: proves the suite starts and finishes. */
        ci(1, 1, 200),
        /** The headline sizes, shortened: minutes. */
        short_(2, 3, 1000),
        /** Every size: the real measurement. */
        full(3, 5, 1000),
        /** The attention benchmarks only, every shape, at full settings with 2-second iterations (calls take up to seconds). */
        attention(3, 5, 2000),
        /** The short mode's TornadoVM rows alone, with short iterations: a GPU check within minutes. */
        device(1, 2, 300);

        final int warmups;
        final int measurements;
        final int iterationMillis;

        Mode(int warmups, int measurements, int iterationMillis) {
            this.warmups = warmups;
            this.measurements = measurements;
            this.iterationMillis = iterationMillis;
        }

        static Mode parse(String s) {
            return switch (s) {
                case "ci" -> ci;
                case "short" -> short_;
                case "full" -> full;
                case "attention" -> attention;
                case "device" -> device;
                default -> throw new IllegalArgumentException("mode must be ci, short, full, attention or device (was '" + s + "')");
            };
        }
    }

    /**
     * One JMH run: a benchmark class's simple name, whether its forked JVM runs TornadoVM (and so needs
     * the SDK's flags), and the parameter values to give it.
     */
    private record Run(String benchmark, boolean tornado, String[][] params, String methods) {
        Run(Class<?> benchmark, String[][] params) {
            this(benchmark.getSimpleName(), false, params, "");
        }

        /** Only the methods that {@code methods} (a regular expression) matches in full. */
        Run(Class<?> benchmark, String[][] params, String methods) {
            this(benchmark.getSimpleName(), false, params, "(" + methods + ")$");
        }

        /** A benchmark compiled only with the SDK (src/tornado), so named here rather than by class. */
        static Run onTornado(String benchmark, String[][] params) {
            return new Run(benchmark, true, params, "");
        }
    }

    /** Where a TornadoVM SDK is installed, the TornadoVM benchmarks run too (not in ci mode). */
    private static final String TORNADOVM_HOME = System.getenv("TORNADOVM_HOME");

    private Suite() {
    }

    public static void main(String[] args) throws RunnerException, IOException {
        if (args.length != 2) {
            System.err.println("usage: Suite ci|short|full|attention|device OUTPUT_DIR");
            System.exit(2);
        }
        Mode mode = Mode.parse(args[0]);
        if (mode == Mode.device && TORNADOVM_HOME == null) {
            System.err.println("Suite device: TORNADOVM_HOME is unset, so there is no TornadoVM benchmark to run");
            System.exit(2);
        }
        Path outDir = Path.of(args[1]);
        Files.createDirectories(outDir);
        String started = ZonedDateTime.now().format(DateTimeFormatter.RFC_1123_DATE_TIME);
        List<RunResult> results = new ArrayList<>();
        List<String> notRun = new ArrayList<>();
        for (Run run : runs(mode)) {
            Collection<RunResult> ran = run(mode, run);
            // JMH goes on past a failed set-up (no fp16 on the device, a buffer too large for it)
            notRun.addAll(missing(run, ran));
            results.addAll(ran);
        }
        List<AttentionReport.Peer> peers = new ArrayList<>();
        for (String file : System.getProperty("alibi4j.bench.peer", "bench/pytorch-cpu.properties,bench/pytorch2-cpu.properties").split(",")) {
            peers.add(AttentionReport.Peer.read(Path.of(file)));
        }
        Report report = new Report(results, notRun, KernelLog.readAndClear(), peers);
        Files.writeString(outDir.resolve("RESULTS.md"), report.markdown(mode.name().replace("_", ""), started));
        report.writeChart(outDir.resolve("bandwidth.png"));
        System.out.println("wrote " + outDir.resolve("RESULTS.md") + (report.hasChart() ? " and " + outDir.resolve("bandwidth.png") : ""));
    }

    private static List<Run> runs(Mode mode) {
        List<Run> runs = new ArrayList<>(mode == Mode.device ? List.of() : cpuRuns(mode));
        if (TORNADOVM_HOME != null) {
            runs.addAll(tornadoRuns(mode));
        }
        return runs;
    }

    private static List<Run> tornadoRuns(Mode mode) {
        String[][] cacheHit = {{"backend", "tornado"}, {"heads", "32"}, {"size", "2048"}};
        return switch (mode) {
            case ci, attention -> List.of();
            case short_, device -> List.of(
                    Run.onTornado("TornadoMaterializeBenchmark", new String[][] {{"heads", "32"}, {"size", "512", "2048"}}),
                    Run.onTornado("TornadoDecodeRowBenchmark", new String[][] {{"heads", "32"}, {"keys", "32768"}}),
                    Run.onTornado("CacheHitBenchmark", cacheHit),
                    Run.onTornado("TornadoFusedAddBenchmark", new String[][] {{"heads", "32"}, {"size", "2048"}, {"form", "SYMMETRIC"}}),
                    Run.onTornado("TornadoHalfBenchmark", new String[][] {{"heads", "32"}, {"size", "2048"}}),
                    Run.onTornado("TornadoHostAddBenchmark", new String[][] {{"size", "64"}}),
                    Run.onTornado("TornadoAttentionBenchmark", new String[][] {{"shape", "P3"}}),
                    Run.onTornado("TornadoDecodeBenchmark", new String[][] {{"shape", "D2"}}));
            case full -> List.of(
                    Run.onTornado("TornadoMaterializeBenchmark", new String[][] {{"heads", "8"}, {"size", "128", "512", "1024", "2048", "4096", "8192"}}),
                    Run.onTornado("TornadoMaterializeBenchmark", new String[][] {{"heads", "32"}, {"size", "128", "512", "1024", "2048", "4096"}}),
                    Run.onTornado("TornadoDecodeRowBenchmark", new String[][] {}),
                    Run.onTornado("CacheHitBenchmark", new String[][] {{"backend", "tornado"}}),
                    Run.onTornado("TornadoFusedAddBenchmark", new String[][] {}),
                    Run.onTornado("TornadoHalfBenchmark", new String[][] {}),
                    Run.onTornado("TornadoHostAddBenchmark", new String[][] {}),
                    Run.onTornado("TornadoAttentionBenchmark", new String[][] {}),
                    Run.onTornado("TornadoDecodeBenchmark", new String[][] {}));
        };
    }

    private static List<Run> cpuRuns(Mode mode) {
        return switch (mode) {
            case device -> List.of();
            case ci -> List.of(new Run(MaterializeBenchmark.class, new String[][] {{"heads", "8"}, {"size", "128"}}),
                    // the attention benchmarks start and finish, on shapes of milliseconds
                    new Run(AttentionBenchmark.class, new String[][] {{"shape", "TINY"}, {"kv", "F16"}}),
                    new Run(DecodeBenchmark.class, new String[][] {{"shape", "TINY"}, {"kv", "F16"}}));
            case short_ -> List.of(
                    new Run(MaterializeBenchmark.class, new String[][] {{"heads", "32"}, {"size", "512", "2048"}}),
                    new Run(DecodeRowBenchmark.class, new String[][] {{"heads", "32"}, {"keys", "32768"}}),
                    new Run(CacheHitBenchmark.class, new String[][] {{"heads", "32"}, {"size", "2048"}}),
                    new Run(FusedAddBenchmark.class, new String[][] {{"heads", "32"}, {"size", "2048"}, {"form", "SYMMETRIC"}}),
                    // the attention headline shapes and their targets' baselines; P2 and D2 (GQA) and the
                    // plain-Java kernels (P1: 8 to 16 s a call) in full and attention modes
                    new Run(AttentionBenchmark.class, new String[][] {{"shape", "P1", "P3"}, {"kv", "F32", "F16"}},
                            "fused|materializeThenAttendBaseline|fmaPeakBaseline"),
                    new Run(DecodeBenchmark.class, new String[][] {{"shape", "D1"}, {"kv", "F32", "F16"}},
                            "fused|readBandwidthBaseline"));
            case full -> List.of(
                    // 32 x 8192 x 8192 is 2^31 floats, one more than a Java array holds
                    new Run(MaterializeBenchmark.class, new String[][] {{"heads", "8"}, {"size", "128", "512", "1024", "2048", "4096", "8192"}}),
                    new Run(MaterializeBenchmark.class, new String[][] {{"heads", "32"}, {"size", "128", "512", "1024", "2048", "4096"}}),
                    new Run(DecodeRowBenchmark.class, new String[][] {}),
                    new Run(CacheHitBenchmark.class, new String[][] {}),
                    new Run(FusedAddBenchmark.class, new String[][] {}),
                    new Run(AttentionBenchmark.class, new String[][] {}),
                    new Run(DecodeBenchmark.class, new String[][] {}));
            case attention -> List.of(
                    new Run(AttentionBenchmark.class, new String[][] {}),
                    new Run(DecodeBenchmark.class, new String[][] {}));
        };
    }

    /** The parameter combinations {@code run} names that gave no result at all, described for the report. */
    private static List<String> missing(Run run, Collection<RunResult> ran) {
        List<String> missing = new ArrayList<>();
        for (List<String[]> combination : combinations(run.params(), 0)) { // no parameters named: one, empty
            boolean measured = ran.stream().anyMatch(result -> combination.stream()
                    .allMatch(p -> p[1].equals(result.getParams().getParam(p[0]))));
            if (!measured) {
                missing.add("`" + run.benchmark() + "` " + (combination.isEmpty() ? "every parameter"
                        : String.join(" ", combination.stream().map(p -> p[0] + "=" + p[1]).toList())));
            }
        }
        return missing;
    }

    /** Every choice of one value per parameter from {@code params[from..]}, as (name, value) pairs. */
    private static List<List<String[]>> combinations(String[][] params, int from) {
        if (from == params.length) {
            return List.of(List.of());
        }
        List<List<String[]>> all = new ArrayList<>();
        for (List<String[]> rest : combinations(params, from + 1)) {
            for (int v = 1; v < params[from].length; v++) {
                List<String[]> combination = new ArrayList<>();
                combination.add(new String[] {params[from][0], params[from][v]});
                combination.addAll(rest);
                all.add(combination);
            }
        }
        return all;
    }

    private static Collection<RunResult> run(Mode mode, Run run) throws RunnerException {
        ChainedOptionsBuilder options = new OptionsBuilder()
                .include("\\." + run.benchmark() + "\\." + run.methods())
                .warmupIterations(mode.warmups)
                .warmupTime(TimeValue.milliseconds(mode.iterationMillis))
                .measurementIterations(mode.measurements)
                .measurementTime(TimeValue.milliseconds(mode.iterationMillis))
                .forks(1);
        String jvmArgs = System.getProperty("alibi4j.bench.jvmArgs", "").trim();
        if (!jvmArgs.isEmpty()) {
            options.jvmArgsAppend(jvmArgs.split("\\s+"));
        }
        if (run.tornado()) {
            // the forked JVM needs the SDK's flags, and must fail rather than fall back to plain Java;
            // TornadoVM's own cap on device memory (4 GB by default) is raised for the largest sizes,
            // which hold the bias, a second plan's copy and the baseline's buffer at once
            options.jvmArgsAppend("@" + TORNADOVM_HOME + "/tornado-argfile", "-Dtornado.recover.bailout=False",
                    "-Dtornado.device.memory=8GB");
        }
        for (String[] param : run.params()) {
            options.param(param[0], Arrays.copyOfRange(param, 1, param.length));
        }
        return new Runner(options.build()).run();
    }
}
