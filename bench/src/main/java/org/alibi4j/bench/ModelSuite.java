package org.alibi4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs {@link ModelBenchmark}'s two pairs (decode and its read baseline; prefill and the FMA peak) and writes, into
 * a folder, JMH's results ({@code model-decode.json}, {@code model-prefill.json}), what else the report says of
 * each run ({@code model-decode.properties}, {@code model-prefill.properties}) and the section
 * {@value ModelReport#HEADING} of its {@code RESULTS.md}, leaving the file's other sections as they are.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar org.alibi4j.bench.ModelSuite full bench/models [peer.jsonl]
 * java -cp bench/target/benchmarks.jar org.alibi4j.bench.ModelSuite quick target/models   # one pair each, minutes
 * java -cp bench/target/benchmarks.jar org.alibi4j.bench.ModelSuite report bench/models [peer.jsonl]  # the section again
 * </pre>
 *
 * {@code full} is the grid: bloom-560m and mpt-1b, F16 and BF16 weights, decode with f32 and f16 caches at
 * contexts 512 and 4096, prefill of 512 tokens; {@code decode} and {@code prefill} run one half of it. {@code report}
 * runs nothing: it writes the section again from the folder's files. The optional JSON-lines file is what
 * {@code scripts/pytorch_models_peer.py} printed (several runs may be concatenated): its figures go beside ours.
 */
public final class ModelSuite {
    private static final String THREADS = "2";
    /** Rounds of each row in {@code full}, {@code decode} and {@code prefill}. */
    private static final int ROUNDS = 2;
    private static final List<String> MODES = List.of("full", "decode", "prefill", "quick", "report");

    private ModelSuite() {
    }

    public static void main(String[] args) throws RunnerException, IOException {
        if (args.length < 2 || args.length > 3 || !MODES.contains(args[0])) {
            System.err.println("usage: ModelSuite full|decode|prefill|quick|report OUTPUT_DIR [pytorch_models_peer.jsonl]");
            System.exit(2);
        }
        String mode = args[0];
        Path dir = Path.of(args[1]);
        Path peer = args.length == 3 ? Path.of(args[2]) : null;
        if (peer != null && !Files.isReadable(peer)) {
            System.err.println("ModelSuite: cannot read the peer's results " + peer);
            System.exit(2);
        }
        if (!mode.equals("report")) {
            Files.createDirectories(dir);
            if (!mode.equals("prefill")) {
                runHalf("decode", dir, String.join(" ", args), mode.equals("quick"));
            }
            if (!mode.equals("decode")) {
                runHalf("prefill", dir, String.join(" ", args), mode.equals("quick"));
            }
        }
        List<ModelReport.Measured> results = new ArrayList<>();
        List<ModelReport.RunInfo> runs = new ArrayList<>();
        for (String half : List.of("decode", "prefill")) {
            if (Files.exists(dir.resolve("model-" + half + ".json")) && Files.exists(dir.resolve("model-" + half + ".properties"))) {
                results.addAll(ModelReport.Measured.readJson(dir.resolve("model-" + half + ".json")));
                runs.add(ModelReport.RunInfo.read(dir.resolve("model-" + half + ".properties")));
            }
        }
        if (runs.isEmpty()) {
            System.err.println("ModelSuite: " + dir + " holds no results (model-decode.json and .properties, model-prefill.json and .properties): "
                    + "run the benchmarks first");
            System.exit(2);
        }
        ModelReport report = new ModelReport(results, runs, peer == null ? null : PeerResults.read(peer));
        ModelReport.writeSection(dir.resolve("RESULTS.md"), report.section());
        System.out.println("wrote the section '" + ModelReport.HEADING + "' of " + dir.resolve("RESULTS.md"));
    }

    /**
     * One half of the grid, {@code decode} (with its read baseline) or {@code prefill} (with the FMA peak): JMH's
     * results into {@code model-HALF.json}, the run's description into {@code model-HALF.properties}. Each row runs
     * its benchmark and then its baseline, one fork each, {@value #ROUNDS} times over (in {@code quick}, once) before the next row: so that a
     * ratio compares moments a minute apart (a whole grid of one and then a whole grid of the other put half an hour
     * between them, and this shared machine's memory bandwidth moves by a third within such a time).
     */
    private static void runHalf(String half, Path dir, String arguments, boolean quick) throws RunnerException, IOException {
        String started = ZonedDateTime.now().format(DateTimeFormatter.RFC_1123_DATE_TIME);
        String loadBefore = ModelReport.loadAverage();
        List<String> models = quick ? List.of("bloom-560m") : List.of("bloom-560m", "mpt-1b");
        List<String> weights = quick ? List.of("F16") : List.of("F16", "BF16");
        boolean decode = half.equals("decode");
        List<String> kvs = decode && !quick ? List.of("F32", "F16") : List.of("F32");
        List<String> contexts = decode && !quick ? List.of("512", "4096") : List.of("512");
        String methods = decode ? "decode|decodeReadBaseline" : "prefill|fmaPeakBaseline";
        int rounds = quick ? 1 : ROUNDS;
        JsonArray all = new JsonArray();
        Path rowJson = Files.createTempFile(dir, "row-", ".json");
        try {
            for (String model : models) {
                for (String w : weights) {
                    for (String kv : kvs) {
                        for (String context : contexts) {
                            for (int round = 0; round < rounds; round++) {
                                run(methods, rowJson, Map.of("model", model, "weights", w, "kv", kv, "context", context), quick);
                                for (JsonElement result : JsonParser.parseString(Files.readString(rowJson)).getAsJsonArray()) {
                                    // JMH records the forks' java by its full path: kept as java, so that results name no folder of the machine
                                    result.getAsJsonObject().addProperty("jvm", "java");
                                    all.add(result);
                                }
                            }
                        }
                    }
                }
            }
        } finally {
            Files.deleteIfExists(rowJson);
        }
        Path json = dir.resolve("model-" + half + ".json");
        Files.writeString(json, new GsonBuilder().setPrettyPrinting().create().toJson(all) + "\n");
        // what each fork's model ran on (AlibiModel.describe), one line per distinct description
        List<String> kernels = new ArrayList<>(new TreeSet<>(KernelLog.readAndClear().values()));
        new ModelReport.RunInfo(half, "java -cp bench/target/benchmarks.jar org.alibi4j.bench.ModelSuite " + arguments, started, loadBefore,
                ModelReport.loadAverage(), THREADS, kernels, rounds + (rounds == 1 ? " round" : " rounds")
                + " of each row (the benchmark, then its baseline, one fork each) before the next row").write(dir.resolve("model-" + half + ".properties"));
    }

    /** One row of the grid: {@code methods} (a benchmark and its baseline), one fork each, into {@code json}. */
    private static void run(String methods, Path json, Map<String, String> row, boolean quick) throws RunnerException {
        ChainedOptionsBuilder options = new OptionsBuilder().include("\\.ModelBenchmark\\.(" + methods + ")$").forks(1)
                .param("threads", THREADS).result(json.toString()).resultFormat(ResultFormatType.JSON);
        if (quick) {
            options.warmupIterations(1).measurementIterations(2);
        }
        row.forEach(options::param);
        new Runner(options.build()).run();
    }
}
