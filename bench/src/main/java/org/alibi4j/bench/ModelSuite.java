package org.alibi4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs {@link ModelBenchmark}'s two pairs (decode and its read baseline; prefill and the FMA peak) and writes
 * their section of a results file, {@value ModelReport#HEADING}, leaving the file's other sections as they are.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar org.alibi4j.bench.ModelSuite full bench/models/RESULTS.md [peer.jsonl]
 * java -cp bench/target/benchmarks.jar org.alibi4j.bench.ModelSuite quick /tmp/RESULTS.md   # one pair each, minutes
 * </pre>
 *
 * {@code full} is the grid: bloom-560m and mpt-1b, F16 and BF16 weights, decode with f32 and f16 caches at
 * contexts 512 and 4096, prefill of 512 tokens; {@code decode} and {@code prefill} run one of the two halves of it
 * (their sections then hold that half only). The optional JSON-lines file is what
 * {@code scripts/pytorch_models_peer.py} printed: its figures go beside ours.
 */
public final class ModelSuite {
    private static final String THREADS = "2";

    private ModelSuite() {
    }

    public static void main(String[] args) throws RunnerException, IOException {
        if (args.length < 2 || args.length > 3) {
            System.err.println("usage: ModelSuite full|decode|prefill|quick RESULTS.md [pytorch_models_peer.jsonl]");
            System.exit(2);
        }
        String mode = args[0];
        if (!List.of("full", "decode", "prefill", "quick").contains(mode)) {
            System.err.println("ModelSuite: mode must be full, decode, prefill or quick (was '" + mode + "')");
            System.exit(2);
        }
        Path out = Path.of(args[1]);
        Path peer = args.length == 3 ? Path.of(args[2]) : null;
        if (peer != null && !Files.isReadable(peer)) {
            System.err.println("ModelSuite: cannot read the peer's results " + peer);
            System.exit(2);
        }
        String started = ZonedDateTime.now().format(DateTimeFormatter.RFC_1123_DATE_TIME);
        String loadBefore = ModelReport.loadAverage();
        boolean quick = mode.equals("quick");
        String[] models = quick ? new String[] {"bloom-560m"} : new String[] {"bloom-560m", "mpt-1b"};
        String[] weights = quick ? new String[] {"F16"} : new String[] {"F16", "BF16"};
        List<RunResult> results = new ArrayList<>();
        if (!mode.equals("prefill")) {
            results.addAll(run("decode|decodeReadBaseline", Map.of("model", models, "weights", weights,
                    "kv", quick ? new String[] {"F32"} : new String[] {"F32", "F16"},
                    "context", quick ? new String[] {"512"} : new String[] {"512", "4096"}), quick));
        }
        if (!mode.equals("decode")) {
            results.addAll(run("prefill|fmaPeakBaseline", Map.of("model", models, "weights", weights, "kv", new String[] {"F32"},
                    "context", new String[] {"512"}), quick));
        }
        String command = "java -cp bench/target/benchmarks.jar org.alibi4j.bench.ModelSuite " + String.join(" ", args);
        ModelReport report = new ModelReport(results, KernelLog.readAndClear(), peer == null ? null : PeerResults.read(peer));
        String section = report.section(command, started, loadBefore, ModelReport.loadAverage(), THREADS);
        ModelReport.writeSection(out, section);
        System.out.println("wrote the section '" + ModelReport.HEADING + "' of " + out);
    }

    private static Collection<RunResult> run(String methods, Map<String, String[]> params, boolean quick) throws RunnerException {
        ChainedOptionsBuilder options = new OptionsBuilder().include("\\.ModelBenchmark\\.(" + methods + ")$").forks(1)
                .param("threads", THREADS);
        if (quick) {
            options.warmupIterations(1).measurementIterations(2);
        }
        params.forEach(options::param);
        return new Runner(options.build()).run();
    }
}
