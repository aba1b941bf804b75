package org.alibi4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.util.ListStatistics;

/**
 * The markdown section of {@link ModelSuite}'s results: decode against the read baseline of its bytes, prefill
 * against the FMA peak, each pair from the same run, and the PyTorch peer beside them where given.
 */
final class ModelReport {
    static final String HEADING = "## Model decode and prefill";
    private static final int PREFILL_TOKENS = 512;

    private final List<Measured> results;
    private final List<RunInfo> runs;
    private final PeerResults peer;

    ModelReport(List<Measured> results, List<RunInfo> runs, PeerResults peer) {
        this.results = results;
        this.runs = runs;
        this.peer = peer;
    }

    /**
     * One benchmark's result: its method, parameters, mean, JMH's 99.9% error and every measured iteration, in ms;
     * from a run ({@link #of(RunResult)}) or from the JSON file JMH wrote ({@link #readJson}).
     */
    record Measured(String method, Map<String, String> params, double ms, double error, double[] iterations) {
        static Measured of(RunResult r) {
            List<Double> iterations = new ArrayList<>();
            for (BenchmarkResult b : r.getBenchmarkResults()) {
                for (IterationResult i : b.getIterationResults()) {
                    iterations.add(i.getPrimaryResult().getScore());
                }
            }
            Map<String, String> params = new java.util.TreeMap<>();
            r.getParams().getParamsKeys().forEach(k -> params.put(k, r.getParams().getParam(k)));
            String benchmark = r.getParams().getBenchmark();
            return new Measured(benchmark.substring(benchmark.lastIndexOf('.') + 1), params, r.getPrimaryResult().getScore(),
                    r.getPrimaryResult().getScoreError(), iterations.stream().mapToDouble(Double::doubleValue).toArray());
        }

        /**
         * The results in a JMH JSON result file (each must be in ms/op, as ModelBenchmark's are). Entries of the same
         * method and parameters (a row that {@link ModelSuite} ran in several rounds) make one result: every iteration
         * of every round, their mean, and the 99.9% error JMH would give them as forks of one run.
         */
        static List<Measured> readJson(Path file) throws IOException {
            Map<String, Measured> merged = new java.util.LinkedHashMap<>();
            for (JsonElement e : JsonParser.parseString(Files.readString(file)).getAsJsonArray()) {
                JsonObject o = e.getAsJsonObject();
                JsonObject metric = o.getAsJsonObject("primaryMetric");
                if (!metric.get("scoreUnit").getAsString().equals("ms/op")) {
                    throw new IllegalArgumentException(file + ": " + o.get("benchmark") + " is in " + metric.get("scoreUnit") + ", not ms/op");
                }
                Map<String, String> params = new java.util.TreeMap<>();
                o.getAsJsonObject("params").entrySet().forEach(p -> params.put(p.getKey(), p.getValue().getAsString()));
                List<Double> iterations = new ArrayList<>();
                metric.getAsJsonArray("rawData").forEach(fork -> fork.getAsJsonArray().forEach(v -> iterations.add(v.getAsDouble())));
                JsonElement error = metric.get("scoreError");
                String benchmark = o.get("benchmark").getAsString();
                Measured m = new Measured(benchmark.substring(benchmark.lastIndexOf('.') + 1), params, metric.get("score").getAsDouble(),
                        error.isJsonPrimitive() && error.getAsJsonPrimitive().isNumber() ? error.getAsDouble() : Double.NaN,
                        iterations.stream().mapToDouble(Double::doubleValue).toArray());
                merged.merge(m.method() + " " + params, m, Measured::with);
            }
            return new ArrayList<>(merged.values());
        }

        /** This result and {@code other} (same method and parameters) as one: the iterations of both. */
        Measured with(Measured other) {
            ListStatistics all = new ListStatistics();
            double[] both = java.util.stream.DoubleStream.concat(java.util.Arrays.stream(iterations), java.util.Arrays.stream(other.iterations)).toArray();
            for (double v : both) {
                all.addValue(v);
            }
            return new Measured(method, params, all.getMean(), all.getMeanErrorAt(0.999), both);
        }

        String param(String name) {
            return params.get(name);
        }
    }

    /** What the report says about a run besides its numbers; {@code half} is decode or prefill. */
    record RunInfo(String half, String command, String started, String loadBefore, String loadAfter, String threads, List<String> kernels,
                   String order) {
        /** What runs written before ModelSuite ran a row's pair together did: JMH's order, every benchmark row and then every baseline row. */
        static final String GRID_ORDER = "every row of the benchmark, then every row of its baseline, one fork each";

        private static final String KERNELS = "kernels.";

        void write(Path file) throws IOException {
            java.util.Properties p = new java.util.Properties();
            p.setProperty("half", half);
            p.setProperty("command", command);
            p.setProperty("started", started);
            p.setProperty("loadBefore", loadBefore);
            p.setProperty("loadAfter", loadAfter);
            p.setProperty("threads", threads);
            p.setProperty("order", order);
            for (int i = 0; i < kernels.size(); i++) {
                p.setProperty(KERNELS + i, kernels.get(i));
            }
            try (var out = Files.newBufferedWriter(file)) {
                p.store(out, "ModelSuite's run, for ModelSuite report");
            }
        }

        static RunInfo read(Path file) throws IOException {
            java.util.Properties p = new java.util.Properties();
            try (var in = Files.newBufferedReader(file)) {
                p.load(in);
            }
            List<String> kernels = new ArrayList<>();
            for (int i = 0; p.containsKey(KERNELS + i); i++) {
                kernels.add(p.getProperty(KERNELS + i));
            }
            return new RunInfo(p.getProperty("half", "?"), p.getProperty("command", "?"), p.getProperty("started", "?"), p.getProperty("loadBefore", "?"),
                    p.getProperty("loadAfter", "?"), p.getProperty("threads", "?"), kernels, p.getProperty("order", GRID_ORDER));
        }
    }

    /** One measured figure: its mean, JMH's 99.9% error, and the fastest and slowest iteration, all in ms. */
    private record Figure(double ms, double error, double min, double max) {
        static Figure of(Measured m) {
            double min = Double.MAX_VALUE, max = 0;
            for (double v : m.iterations()) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
            return new Figure(m.ms(), m.error(), min, max);
        }

        String time() {
            return fmt("%.1f ± %s ms", ms, Double.isNaN(error) ? "?" : fmt("%.1f", error));
        }

        /** Slowest iteration over the fastest: how much the machine moved under this figure. */
        String spread() {
            return fmt("%.2f", max / min);
        }
    }

    private Optional<Figure> find(String method, String model, String weights, String kv, String context) {
        return results.stream()
                .filter(r -> r.method().equals(method))
                .filter(r -> r.param("model").equals(model) && r.param("weights").equals(weights))
                .filter(r -> kv == null || r.param("kv").equals(kv))
                .filter(r -> context == null || r.param("context").equals(context))
                .findFirst().map(Figure::of);
    }

    private TreeSet<String> values(String method, String param) {
        TreeSet<String> v = new TreeSet<>();
        results.stream().filter(r -> r.method().equals(method)).forEach(r -> v.add(r.param(param)));
        return v;
    }

    String section() {
        StringBuilder md = new StringBuilder(HEADING).append("\n\n");
        for (RunInfo run : runs) {
            md.append("The ").append(run.half()).append(" tables: written by `").append(run.command()).append("` (JMH ").append(jmhVersion())
                    .append("), started ").append(run.started()).append(", load average ").append(run.loadBefore()).append(" before, ")
                    .append(run.loadAfter()).append(" after; in this order: ").append(run.order()).append("; JMH's results in `model-")
                    .append(run.half()).append(".json` beside this file.\n\n");
        }
        md.append("| | |\n|---|---|\n");
        md.append("| CPU | ").append(cpuModel()).append(", ").append(Runtime.getRuntime().availableProcessors()).append(" processors, ")
                .append(memory()).append(" |\n");
        md.append("| JDK | ").append(System.getProperty("java.vm.name")).append(" ").append(System.getProperty("java.vm.version")).append(" |\n");
        runs.stream().flatMap(r -> r.kernels().stream()).distinct().sorted().forEach(k -> md.append("| model | ").append(k).append(" |\n"));
        md.append("| threads | ").append(runs.getFirst().threads()).append(" (matrices and attention) |\n\n");
        md.append("""
                Random-weight checkpoints written by the benchmark (every tensor in the weights' type, as `save_pretrained` \
                writes them), loaded with `AlibiModel.load`. `spread` is the slowest measured iteration over the fastest. \
                Each ratio is given twice: of the means, and of the fastest iterations (the least disturbed moments \
                of each: the machine is shared, and its load moves between a figure's fork and its baseline's).

                """);
        decode(md);
        prefill(md);
        if (peer != null) {
            peer(md);
        }
        return md.toString();
    }

    private void decode(StringBuilder md) {
        if (values("decode", "model").isEmpty()) {
            return;
        }
        md.append("""
                ### Decode

                One `ModelSession.next` at position `context` (keys `0 .. context`), against `decodeReadBaseline`: \
                as many threads summing every byte a step must read, each once: every weight (the checkpoint's \
                tensors, mapped from the same file; the tied embedding is the LM head) and the K and V of \
                `context + 1` positions of every layer at the cache's precision. `vs baseline` is the baseline's time \
                over the step's (target: at least 0.8).

                | model | weights | KV | context | decode | spread | baseline | spread | bytes read | GB/s | vs baseline | fastest vs fastest |
                |---|---|---|---|---|---|---|---|---|---|---|---|
                """);
        for (String model : values("decode", "model")) {
            for (String weights : values("decode", "weights")) {
                for (String kv : values("decode", "kv")) {
                    for (String context : sortedNumbers(values("decode", "context"))) {
                        Optional<Figure> step = find("decode", model, weights, kv, context);
                        Optional<Figure> base = find("decodeReadBaseline", model, weights, kv, context);
                        if (step.isEmpty()) {
                            continue;
                        }
                        ModelShape shape = ModelShape.of(model);
                        long bytes = 2 * shape.parameters() + shape.kvBytes(Integer.parseInt(context), kv.equals("F32") ? 4 : 2);
                        Figure s = step.get();
                        md.append(fmt("| %s | %s | %s | %s | %s | %s | %s | %s | %.2f GB | %.1f | %s | %s |%n", model, weights, kv, context,
                                s.time(), s.spread(), base.map(Figure::time).orElse("-"), base.map(Figure::spread).orElse("-"), bytes / 1e9,
                                bytes / s.ms() / 1e6, base.map(b -> fmt("**%.2f**", b.ms() / s.ms())).orElse("-"),
                                base.map(b -> fmt("%.2f", b.min() / s.min())).orElse("-")));
                    }
                }
            }
        }
        md.append('\n');
    }

    private void prefill(StringBuilder md) {
        if (values("prefill", "model").isEmpty()) {
            return;
        }
        md.append("""
                ### Prefill

                `ModelSession.prefill` of `context` random tokens (the logits of the last), against `fmaPeakBaseline`: \
                as many threads running independent chains of Vector API fused multiply-adds on registers. FLOPs: 2 per \
                multiply-add of the blocks' matrices over every token, of the LM head over the last token only, and of \
                the causal attention (`q.k` and `p.v` over half the `n x n` scores: `2 * 2 * hidden * n * n / 2` a layer); \
                norms, activations and softmax uncounted. `vs peak` is the prefill's FLOP rate over the peak's (target: \
                at least 0.6).

                | model | weights | tokens | prefill | spread | GFLOP | GFLOP/s | FMA peak | spread | peak GFLOP/s | vs peak | fastest vs fastest |
                |---|---|---|---|---|---|---|---|---|---|---|---|
                """);
        for (String model : values("prefill", "model")) {
            for (String weights : values("prefill", "weights")) {
                for (String context : sortedNumbers(values("prefill", "context"))) {
                    Optional<Figure> run = find("prefill", model, weights, null, context);
                    Optional<Figure> peak = find("fmaPeakBaseline", model, weights, null, context);
                    if (run.isEmpty()) {
                        continue;
                    }
                    double flops = ModelShape.of(model).prefillFlops(Integer.parseInt(context));
                    Figure p = run.get();
                    int threads = Integer.parseInt(results.getFirst().param("threads"));
                    // the constant, not FmaPeak.flopsPerCall: that would load the class, which needs the Vector API module
                    Optional<Double> peakRate = peak.map(f -> (double) FmaPeak.FLOPS_PER_THREAD * threads / f.ms() / 1e6);
                    double rate = flops / p.ms() / 1e6;
                    md.append(fmt("| %s | %s | %s | %s | %s | %.0f | %.1f | %s | %s | %s | %s | %s |%n", model, weights, context, p.time(), p.spread(),
                            flops / 1e9, rate, peak.map(Figure::time).orElse("-"), peak.map(Figure::spread).orElse("-"),
                            peakRate.map(r -> fmt("%.1f", r)).orElse("-"), peakRate.map(r -> fmt("**%.2f**", rate / r)).orElse("-"),
                            peak.map(f -> fmt("%.2f", flops / p.min() / ((double) FmaPeak.FLOPS_PER_THREAD * threads / f.min()))).orElse("-")));
                }
            }
        }
        md.append('\n');
    }

    private void peer(StringBuilder md) {
        md.append(fmt("""
                ### Against PyTorch

                transformers %s (eager attention, the only one BLOOM and MPT have) on PyTorch %s, %d threads, the same \
                shapes with random weights in float32 and in bfloat16 (weights and compute), measured by \
                `scripts/pytorch_models_peer.py` (CPU: %s; load average %s): prefill of %d tokens (tokens/s); decode \
                as greedy steps after a prefill of the context (the median step). Ours: the tables above, KV in \
                float32. `x float32` and `x bfloat16` are our speed over PyTorch's in that dtype, for our F16 and BF16 \
                weights (targets: 2 on decode, 1 on prefill).

                | model | what | PyTorch float32 | PyTorch bfloat16 | ours, F16 weights | ours, BF16 weights | x float32 (F16, BF16) | x bfloat16 (F16, BF16) |
                |---|---|---|---|---|---|---|---|
                """, peer.transformers(), peer.torch(), peer.threads(), peer.cpu(), String.join(", ", peer.loads()), PREFILL_TOKENS));
        for (String model : List.of("bloom-560m", "mpt-1b")) {
            String tokens = String.valueOf(PREFILL_TOKENS);
            Optional<Figure> f16 = find("prefill", model, "F16", null, tokens);
            Optional<Figure> bf16 = find("prefill", model, "BF16", null, tokens);
            Optional<Double> torch32 = peerPrefill(model, "float32");
            Optional<Double> torch16 = peerPrefill(model, "bfloat16");
            if (torch32.isPresent() || torch16.isPresent()) {
                md.append(fmt("| %s | prefill %d | %s | %s | %s | %s | %s | %s |%n", model, PREFILL_TOKENS, torch32.map(r -> fmt("%.1f tok/s", r)).orElse("-"),
                        torch16.map(r -> fmt("%.1f tok/s", r)).orElse("-"), f16.map(ModelReport::tokensPerSecond).orElse("-"),
                        bf16.map(ModelReport::tokensPerSecond).orElse("-"), prefillRatios(f16, bf16, torch32), prefillRatios(f16, bf16, torch16)));
            }
            for (int context : new int[] {512, 4096}) {
                Optional<Figure> d16 = find("decode", model, "F16", "F32", String.valueOf(context));
                Optional<Figure> dbf16 = find("decode", model, "BF16", "F32", String.valueOf(context));
                Optional<Double> t32 = peerDecode(model, "float32", context);
                Optional<Double> t16 = peerDecode(model, "bfloat16", context);
                if (t32.isEmpty() && t16.isEmpty()) {
                    continue;
                }
                md.append(fmt("| %s | decode at %d | %s | %s | %s | %s | %s | %s |%n", model, context, t32.map(ms -> fmt("%.1f ms", ms)).orElse("-"),
                        t16.map(ms -> fmt("%.1f ms", ms)).orElse("-"), d16.map(x -> fmt("%.1f ms", x.ms())).orElse("-"),
                        dbf16.map(x -> fmt("%.1f ms", x.ms())).orElse("-"), decodeRatios(d16, dbf16, t32), decodeRatios(d16, dbf16, t16)));
            }
        }
        md.append('\n');
    }

    private static String tokensPerSecond(Figure prefill) {
        return fmt("%.1f tok/s", PREFILL_TOKENS / (prefill.ms() / 1e3));
    }

    private static String prefillRatios(Optional<Figure> f16, Optional<Figure> bf16, Optional<Double> peerTokensPerSecond) {
        if (peerTokensPerSecond.isEmpty()) {
            return "-";
        }
        double peerRate = peerTokensPerSecond.get();
        return f16.map(x -> fmt("%.2f", PREFILL_TOKENS / (x.ms() / 1e3) / peerRate)).orElse("-") + ", "
                + bf16.map(x -> fmt("%.2f", PREFILL_TOKENS / (x.ms() / 1e3) / peerRate)).orElse("-");
    }

    private static String decodeRatios(Optional<Figure> f16, Optional<Figure> bf16, Optional<Double> peerMs) {
        if (peerMs.isEmpty()) {
            return "-";
        }
        return f16.map(x -> fmt("%.2f", peerMs.get() / x.ms())).orElse("-") + ", " + bf16.map(x -> fmt("%.2f", peerMs.get() / x.ms())).orElse("-");
    }

    private Optional<Double> peerPrefill(String model, String dtype) {
        return peer.prefills().stream().filter(p -> p.model().equals(model) && p.dtype().equals(dtype) && p.tokens() == PREFILL_TOKENS)
                .findFirst().map(PeerResults.Prefill::tokensPerSecond);
    }

    private Optional<Double> peerDecode(String model, String dtype, int context) {
        return peer.decodes().stream().filter(d -> d.model().equals(model) && d.dtype().equals(dtype) && d.context() == context)
                .findFirst().map(PeerResults.Decode::msPerTokenMedian);
    }

    /** Replaces the section {@link #HEADING} of {@code file} (up to the next {@code ## } heading), or appends it; creates the file if need be. */
    static void writeSection(Path file, String section) throws IOException {
        String text = Files.exists(file) ? Files.readString(file) : "# alibi4j model benchmark results\n\n";
        int start = text.indexOf(HEADING + "\n");
        String updated;
        if (start < 0) {
            updated = text + (text.endsWith("\n\n") ? "" : text.endsWith("\n") ? "\n" : "\n\n") + section;
        } else {
            int next = text.indexOf("\n## ", start + HEADING.length());
            updated = text.substring(0, start) + section + (next < 0 ? "" : text.substring(next + 1));
        }
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        Files.writeString(file, updated);
    }

    private static List<String> sortedNumbers(TreeSet<String> values) {
        return values.stream().sorted(java.util.Comparator.comparingInt(Integer::parseInt)).toList();
    }

    static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    private static String fmt(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    private static String jmhVersion() {
        String v = org.openjdk.jmh.runner.Runner.class.getPackage().getImplementationVersion();
        return v == null ? "1.37" : v;
    }

    /** /proc/cpuinfo's model name, family and model (the name alone may be generic under a hypervisor). */
    private static String cpuModel() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
            java.util.function.Function<String, String> field = key -> lines.stream().filter(l -> l.startsWith(key))
                    .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse("?");
            return field.apply("model name") + " (family " + field.apply("cpu family") + ", model " + field.apply("model\t") + ")";
        } catch (IOException | RuntimeException e) {
            return System.getProperty("os.arch");
        }
    }

    private static String memory() {
        try {
            return Files.readAllLines(Path.of("/proc/meminfo")).stream()
                    .filter(l -> l.startsWith("MemTotal")).map(l -> Long.parseLong(l.replaceAll("\\D", "")) / 1024 / 1024 + " GiB RAM")
                    .findFirst().orElse("? RAM");
        } catch (IOException | RuntimeException e) {
            return "? RAM";
        }
    }
}
