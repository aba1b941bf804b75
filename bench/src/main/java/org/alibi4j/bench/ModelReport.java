package org.alibi4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.RunResult;

/**
 * The markdown section of {@link ModelSuite}'s results: decode against the read baseline of its bytes, prefill
 * against the FMA peak, each pair from the same run, and the PyTorch peer beside them where given.
 */
final class ModelReport {
    static final String HEADING = "## Model decode and prefill";
    private static final int PREFILL_TOKENS = 512;

    private final Collection<RunResult> results;
    private final Map<String, String> kernels;
    private final PeerResults peer;

    ModelReport(Collection<RunResult> results, Map<String, String> kernels, PeerResults peer) {
        this.results = results;
        this.kernels = kernels;
        this.peer = peer;
    }

    /** One measured figure: its mean, JMH's 99.9% error, and the fastest and slowest iteration, all in ms. */
    private record Figure(double ms, double error, double min, double max) {
        static Figure of(RunResult r) {
            double min = Double.MAX_VALUE, max = 0;
            for (BenchmarkResult b : r.getBenchmarkResults()) {
                for (IterationResult i : b.getIterationResults()) {
                    min = Math.min(min, i.getPrimaryResult().getScore());
                    max = Math.max(max, i.getPrimaryResult().getScore());
                }
            }
            return new Figure(r.getPrimaryResult().getScore(), r.getPrimaryResult().getScoreError(), min, max);
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
                .filter(r -> r.getParams().getBenchmark().endsWith("." + method))
                .filter(r -> r.getParams().getParam("model").equals(model) && r.getParams().getParam("weights").equals(weights))
                .filter(r -> kv == null || r.getParams().getParam("kv").equals(kv))
                .filter(r -> context == null || r.getParams().getParam("context").equals(context))
                .findFirst().map(Figure::of);
    }

    private TreeSet<String> values(String method, String param) {
        TreeSet<String> v = new TreeSet<>();
        results.stream().filter(r -> r.getParams().getBenchmark().endsWith("." + method)).forEach(r -> v.add(r.getParams().getParam(param)));
        return v;
    }

    String section(String command, String started, String loadBefore, String loadAfter, String threads) {
        StringBuilder md = new StringBuilder(HEADING).append("\n\n");
        md.append("Written by `").append(command).append("` (JMH ").append(jmhVersion()).append("), started ").append(started).append(".\n\n");
        md.append("| | |\n|---|---|\n");
        md.append("| CPU | ").append(cpuModel()).append(", ").append(Runtime.getRuntime().availableProcessors()).append(" processors, ")
                .append(memory()).append(" |\n");
        md.append("| JDK | ").append(System.getProperty("java.vm.name")).append(" ").append(System.getProperty("java.vm.version")).append(" |\n");
        new TreeSet<>(kernels.values()).forEach(k -> md.append("| model | ").append(k).append(" |\n"));
        md.append("| threads | ").append(threads).append(" (matrices and attention) |\n");
        md.append("| load average | ").append(loadBefore).append(" before, ").append(loadAfter).append(" after |\n\n");
        md.append("""
                Random-weight checkpoints written by the benchmark (every tensor in the weights' type, as `save_pretrained` \
                writes them), loaded with `AlibiModel.load`. `spread` is the slowest measured iteration over the fastest: \
                the machine is shared, so trust the ratios, each against a baseline of the same run, over the times.

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

                | model | weights | KV | context | decode | spread | baseline | spread | bytes read | GB/s | vs baseline |
                |---|---|---|---|---|---|---|---|---|---|---|
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
                        md.append(fmt("| %s | %s | %s | %s | %s | %s | %s | %s | %.2f GB | %.1f | %s |%n", model, weights, kv, context, s.time(),
                                s.spread(), base.map(Figure::time).orElse("-"), base.map(Figure::spread).orElse("-"), bytes / 1e9,
                                bytes / s.ms() / 1e6, base.map(b -> fmt("**%.2f**", b.ms() / s.ms())).orElse("-")));
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

                | model | weights | tokens | prefill | spread | GFLOP | GFLOP/s | FMA peak | spread | peak GFLOP/s | vs peak |
                |---|---|---|---|---|---|---|---|---|---|---|
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
                    int threads = Integer.parseInt(results.iterator().next().getParams().getParam("threads"));
                    // the constant, not FmaPeak.flopsPerCall: that would load the class, which needs the Vector API module
                    Optional<Double> peakRate = peak.map(f -> (double) FmaPeak.FLOPS_PER_THREAD * threads / f.ms() / 1e6);
                    double rate = flops / p.ms() / 1e6;
                    md.append(fmt("| %s | %s | %s | %s | %s | %.0f | %.1f | %s | %s | %s | %s |%n", model, weights, context, p.time(), p.spread(),
                            flops / 1e9, rate, peak.map(Figure::time).orElse("-"), peak.map(Figure::spread).orElse("-"),
                            peakRate.map(r -> fmt("%.1f", r)).orElse("-"), peakRate.map(r -> fmt("**%.2f**", rate / r)).orElse("-")));
                }
            }
        }
        md.append('\n');
    }

    private void peer(StringBuilder md) {
        md.append(fmt("""
                ### Against PyTorch

                transformers %s (eager attention, the only one BLOOM and MPT have) on PyTorch %s, %d threads, the same \
                shapes with random weights in float32 and in bfloat16, measured by `scripts/pytorch_models_peer.py` \
                (CPU: %s; load average %s): prefill of %d tokens; decode as greedy steps after a prefill of the context \
                (the median step). Below, each of ours against PyTorch's faster dtype; `x PyTorch` is our speed over \
                its (targets: 2 on decode, 1 on prefill). Ours: the tables above, KV in float32.

                | model | what | PyTorch float32 | PyTorch bfloat16 | ours, F16 weights | ours, BF16 weights | x PyTorch (F16, BF16) |
                |---|---|---|---|---|---|---|
                """, peer.transformers(), peer.torch(), peer.threads(), peer.cpu(), String.join(", ", peer.loads()), PREFILL_TOKENS));
        for (String model : List.of("bloom-560m", "mpt-1b")) {
            Optional<PeerResults.Prefill> best = peer.bestPrefill(model, PREFILL_TOKENS);
            if (best.isPresent()) {
                List<String> ours = new ArrayList<>();
                List<String> ratios = new ArrayList<>();
                for (String weights : List.of("F16", "BF16")) {
                    Optional<Figure> f = find("prefill", model, weights, null, String.valueOf(PREFILL_TOKENS));
                    ours.add(f.map(x -> fmt("%.1f tok/s", PREFILL_TOKENS / (x.ms() / 1e3))).orElse("-"));
                    ratios.add(f.map(x -> fmt("%.2f", PREFILL_TOKENS / (x.ms() / 1e3) / best.get().tokensPerSecond())).orElse("-"));
                }
                md.append(fmt("| %s | prefill %d | %s | %s | %s | %s | %s |%n", model, PREFILL_TOKENS, peerPrefill(model, "float32"),
                        peerPrefill(model, "bfloat16"), ours.get(0), ours.get(1), String.join(", ", ratios)));
            }
            for (int context : new int[] {512, 4096}) {
                Optional<PeerResults.Decode> bestDecode = peer.bestDecode(model, context);
                if (bestDecode.isEmpty()) {
                    continue;
                }
                List<String> ours = new ArrayList<>();
                List<String> ratios = new ArrayList<>();
                for (String weights : List.of("F16", "BF16")) {
                    Optional<Figure> f = find("decode", model, weights, "F32", String.valueOf(context));
                    ours.add(f.map(x -> fmt("%.1f ms", x.ms())).orElse("-"));
                    ratios.add(f.map(x -> fmt("%.2f", bestDecode.get().msPerTokenMedian() / x.ms())).orElse("-"));
                }
                md.append(fmt("| %s | decode at %d | %s | %s | %s | %s | %s |%n", model, context, peerDecode(model, "float32", context),
                        peerDecode(model, "bfloat16", context), ours.get(0), ours.get(1), String.join(", ", ratios)));
            }
        }
        md.append('\n');
    }

    private String peerPrefill(String model, String dtype) {
        return peer.prefills().stream().filter(p -> p.model().equals(model) && p.dtype().equals(dtype) && p.tokens() == PREFILL_TOKENS)
                .findFirst().map(p -> fmt("%.1f tok/s", p.tokensPerSecond())).orElse("-");
    }

    private String peerDecode(String model, String dtype, int context) {
        return peer.decodes().stream().filter(d -> d.model().equals(model) && d.dtype().equals(dtype) && d.context() == context)
                .findFirst().map(d -> fmt("%.1f ms", d.msPerTokenMedian())).orElse("-");
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

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).strip())
                    .findFirst().orElse(System.getProperty("os.arch"));
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
