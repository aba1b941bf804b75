package org.alibi4j.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.stream.Stream;

import org.alibi4j.AlibiBackend;
import org.alibi4j.AlibiBackends;
import org.alibi4j.AlibiPositionalBias;
import org.alibi4j.AlibiReference;
import org.alibi4j.AlibiSlopes;
import org.alibi4j.BackendStatus;
import org.alibi4j.BiasCache;
import org.alibi4j.BiasForm;
import org.alibi4j.BiasSpec;
import org.alibi4j.BiasTensor;
import org.alibi4j.attention.AttentionBackend;
import org.alibi4j.attention.AttentionBackends;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Runs every available backend through shapes that have broken ALiBi code before and prints one row per
 * case: each bias backend's tensors against {@link AlibiReference} bit for bit, then each attention
 * backend's output against the float64 {@link org.alibi4j.attention.AttentionReference} within its bound
 * ({@link AttentionSmoke}), then tiny checkpoints of each model family end to end against what transformers
 * computed for them ({@link ModelSmoke}).
 */
@Command(name = "smoke", mixinStandardHelpOptions = true,
        description = "Checks every available backend against the reference; exits 1 on any mismatch.")
final class SmokeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--backend", description = "Only this backend, bias or attention (default: every available one).")
    String only;

    /** One check: a name, the module's heads, and what to ask it. */
    private record Case(String name, int heads, int totalHeads, BiasForm form, int i, int j,
                        Function<AlibiPositionalBias, String> cacheCheck) {
    }

    private static final List<Case> CASES = List.of(
            new Case("1x1", 12, 16, BiasForm.SYMMETRIC, 1, 1, null),
            new Case("prefill, 12 of 16 heads", 12, 16, BiasForm.SYMMETRIC, 127, 127, null),
            new Case("i > j", 5, 5, BiasForm.SYMMETRIC, 9, 4, null),
            new Case("decode row", 40, 40, BiasForm.SYMMETRIC, 1, 4097, null),
            new Case("causal, 20 heads", 20, 24, BiasForm.CAUSAL, 65, 131, null),
            new Case("cache hit", 12, 16, BiasForm.SYMMETRIC, 1, 100, alibi -> {
                alibi.forward(127, 127); // prefill, then a decode step inside it
                return "hit";
            }),
            new Case("cache growth", 12, 16, BiasForm.SYMMETRIC, 200, 301, alibi -> {
                alibi.forward(127, 127); // prefill, then a larger request
                return "growth";
            }));

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<BackendStatus> bias = chosen(AlibiBackends.statuses());
        List<BackendStatus> attention = chosen(AttentionBackends.statuses());
        if (bias.isEmpty() && attention.isEmpty()) {
            throw new IllegalArgumentException("--backend: unknown backend '" + only + "'; known: "
                    + String.join(", ", Stream.concat(AlibiBackends.names().stream(), AttentionBackends.names().stream()).distinct().toList()));
        }
        int failures = 0;
        if (!bias.isEmpty()) {
            failures += biasCases(out, bias);
        }
        if (!attention.isEmpty()) {
            if (!bias.isEmpty()) {
                out.println();
            }
            failures += attentionCases(out, attention);
            out.println();
            failures += modelCases(out, attention);
        }
        return failures == 0 ? 0 : 1;
    }

    /** The available backends, or the one named by {@code --backend} (available or not, so that smoke says why not). */
    private List<BackendStatus> chosen(List<BackendStatus> statuses) {
        List<BackendStatus> backends = new ArrayList<>();
        for (BackendStatus s : statuses) {
            if (only == null ? s.available() : s.name().equals(only)) {
                backends.add(s);
            }
        }
        return backends;
    }

    private static int biasCases(PrintWriter out, List<BackendStatus> backends) {
        String name = Columns.leftAligned("backend", backends.stream().map(BackendStatus::name).toList());
        String format = name + " %-34s %-26s %-16s %-12s %-11s %9s%n";
        out.printf(format, "backend", "device", "case", "shape", "max |error|", "mismatches", "time ms");
        int failures = 0;
        for (BackendStatus status : backends) {
            if (!status.available()) {
                out.printf(name + " unavailable: %s%n", status.name(), status.detail());
                failures++;
                continue;
            }
            try (AlibiBackend backend = AlibiBackends.open(status.name())) {
                for (Case c : CASES) {
                    Result r = run(backend, c);
                    out.printf(format, backend.name(), abbreviate(backend.device(), 34), c.name(),
                            c.totalHeads() + "x" + c.i() + "x" + c.j(), r.maxError(), r.verdict(), String.format("%.2f", r.millis()));
                    if (!r.passed()) {
                        failures++;
                    }
                }
            }
        }
        out.println(failures == 0 ? "smoke: all bias cases bit-identical to the reference" : "smoke: " + failures + " bias case(s) FAILED");
        return failures;
    }

    private static int attentionCases(PrintWriter out, List<BackendStatus> backends) {
        List<String[]> rows = new ArrayList<>(); // printed once all have run, so that the columns fit the devices' names
        List<String> unavailable = new ArrayList<>();
        int failures = 0;
        double worst = 0;
        for (BackendStatus status : backends) {
            if (!status.available()) {
                unavailable.add(status.name() + " unavailable: " + status.detail());
                failures++;
                continue;
            }
            try (AttentionBackend backend = AttentionBackends.open(status.name())) {
                long seed = 1;
                for (AttentionSmoke.Case c : AttentionSmoke.CASES) {
                    AttentionSmoke.Result r = AttentionSmoke.run(backend, c, seed++);
                    rows.add(new String[] {backend.name(), backend.device(), c.name(), c.shape(), String.format("%.3g", r.maxError()),
                            String.format("%.4f", r.maxRatio()), r.passed() ? "0" : r.overBound() + " FAILED", String.format("%.2f", r.millis())});
                    worst = Math.max(worst, r.maxRatio());
                    if (!r.passed()) {
                        failures++;
                    }
                }
            }
        }
        String name = Columns.leftAligned("attention", rows.stream().map(row -> row[0]).toList());
        String device = Columns.leftAligned("device", rows.stream().map(row -> row[1]).toList());
        String format = name + " " + device + " %-30s %-24s %-11s %-11s %-10s %9s%n";
        out.printf(format, "attention", "device", "case", "shape", "max |error|", "error/bound", "over bound", "time ms");
        for (String[] row : rows) {
            out.printf(format, (Object[]) row);
        }
        unavailable.forEach(out::println);
        out.println(failures == 0
                ? String.format("smoke: all attention cases within the float64 reference's bound (largest error %.4f of it)", worst)
                : "smoke: " + failures + " attention case(s) FAILED");
        return failures;
    }

    /** Each committed checkpoint run end to end on each attention backend ({@link ModelSmoke}). */
    private static int modelCases(PrintWriter out, List<BackendStatus> backends) {
        List<String[]> rows = new ArrayList<>();
        int failures = 0;
        for (BackendStatus status : backends) {
            if (!status.available()) {
                continue; // the attention table already says why
            }
            try (AttentionBackend backend = AttentionBackends.open(status.name())) {
                for (String name : ModelSmoke.CASES) {
                    ModelSmoke.Result r = ModelSmoke.run(backend, name);
                    rows.add(new String[] {backend.name(), name, r.shape(), String.format("%.3g", r.maxError()), String.format("%.4f", r.maxRatio()),
                            r.tokensMatched() + "/" + r.tokens() + (r.passed() ? "" : " FAILED"), String.format("%.2f", r.millis())});
                    if (!r.passed()) {
                        failures++;
                    }
                }
            }
        }
        String name = Columns.leftAligned("model", rows.stream().map(row -> row[0]).toList());
        String format = name + " %-20s %-22s %-11s %-11s %-14s %9s%n";
        out.printf(format, "model", "checkpoint", "shape", "max |error|", "error/bound", "greedy tokens", "time ms");
        for (String[] row : rows) {
            out.printf(format, (Object[]) row);
        }
        out.println(failures == 0
                ? "smoke: every checkpoint agrees with transformers (logits within the bound, greedy tokens equal)"
                : "smoke: " + failures + " model case(s) FAILED");
        return failures;
    }

    private record Result(String maxError, String verdict, double millis, boolean passed) {
    }

    private static Result run(AlibiBackend backend, Case c) {
        AlibiSlopes slopes = AlibiSlopes.forHeads(c.heads());
        BiasSpec spec = new BiasSpec(slopes, c.totalHeads(), c.i(), c.j(), c.form());
        try (AlibiPositionalBias alibi = AlibiPositionalBias.builder(c.heads()).totalHeads(c.totalHeads()).backend(backend).build()) {
            String expectation = c.cacheCheck() == null ? null : c.cacheCheck().apply(alibi);
            BiasCache.Stats before = alibi.cacheStats();
            long start = System.nanoTime();
            BiasTensor tensor = c.form() == BiasForm.CAUSAL ? alibi.forwardCausal(c.i(), c.j()) : alibi.forward(c.i(), c.j());
            float[] actual = tensor.toArray();
            double millis = (System.nanoTime() - start) / 1e6;
            BiasCache.Stats after = alibi.cacheStats();

            float[] expected = AlibiReference.tensor(spec);
            long mismatches = 0;
            double maxError = 0;
            for (int n = 0; n < expected.length; n++) {
                if (Float.floatToRawIntBits(expected[n]) != Float.floatToRawIntBits(actual[n])) {
                    mismatches++;
                    double error = Math.abs((double) expected[n] - actual[n]);
                    maxError = Double.isNaN(error) ? Double.POSITIVE_INFINITY : Math.max(maxError, error);
                }
            }
            String verdict = mismatches == 0 ? "0" : Long.toString(mismatches);
            boolean cacheOk = true;
            if ("hit".equals(expectation)) {
                cacheOk = after.builds() == before.builds() && after.hits() == before.hits() + 1;
            } else if ("growth".equals(expectation)) {
                cacheOk = after.builds() == before.builds() + 1 && after.capacityI() >= c.i() && after.capacityJ() >= c.j();
            }
            if (!cacheOk) {
                verdict += " (cache " + expectation + " expected: " + after + ")";
            }
            return new Result(mismatches == 0 ? "0" : Double.toString(maxError), verdict, millis, mismatches == 0 && cacheOk);
        }
    }

    private static String abbreviate(String s, int width) {
        return s.length() <= width ? s : s.substring(0, width - 3) + "...";
    }
}
