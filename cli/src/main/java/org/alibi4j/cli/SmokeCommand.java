package org.alibi4j.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;

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

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Runs every available backend through shapes that have broken ALiBi code before, checks each
 * element against {@link AlibiReference} bit for bit, and prints one row per case.
 */
@Command(name = "smoke", mixinStandardHelpOptions = true,
        description = "Checks every available backend against the reference; exits 1 on any mismatch.")
final class SmokeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--backend", description = "Only this backend (default: every available one).")
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
        List<BackendStatus> backends = new ArrayList<>();
        for (BackendStatus s : AlibiBackends.statuses()) {
            if (only == null ? s.available() : s.name().equals(only)) {
                backends.add(s);
            }
        }
        if (backends.isEmpty()) {
            throw new IllegalArgumentException("--backend: unknown backend '" + only + "'; known: " + String.join(", ", AlibiBackends.names()));
        }
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
        out.println(failures == 0 ? "smoke: all cases bit-identical to the reference" : "smoke: " + failures + " case(s) FAILED");
        return failures == 0 ? 0 : 1;
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
