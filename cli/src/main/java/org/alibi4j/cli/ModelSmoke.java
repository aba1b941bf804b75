package org.alibi4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import org.alibi4j.attention.AttentionBackend;
import org.alibi4j.attention.HeadTensor;
import org.alibi4j.models.AlibiModel;
import org.alibi4j.models.Generator;
import org.alibi4j.models.ModelSession;
import org.alibi4j.models.SamplingOptions;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/**
 * The model cases of {@code smoke}: tiny random-weight checkpoints of each family that transformers made and
 * ran ({@code scripts/make_test_models.py}; the build copies them into the jar), each loaded and run end to
 * end on an attention backend: the prompt's logits against transformers' within the models module's bound,
 * the greedy continuation token for token, and decode steps against one prefill.
 */
final class ModelSmoke {
    /** The checkpoints, under {@code /org/alibi4j/cli/smoke-models/} in the jar. */
    static final List<String> CASES = List.of("bloom-f16-postln", "mpt-f16-sharded", "falcon-f16-parallel");
    private static final String ROOT = "/org/alibi4j/cli/smoke-models/";
    /** Bounds relative to the largest |logit| (the models module's TransformersAgreementTest states why). */
    static final double LOGITS_BOUND = 1e-4;
    static final double DECODE_BOUND = 2e-5;

    private ModelSmoke() {
    }

    /** What one case measured: the worst error as a fraction of its bound, and the greedy tokens that matched. */
    record Result(String shape, double maxError, double maxRatio, int tokensMatched, int tokens, double millis) {
        boolean passed() {
            return maxRatio <= 1 && tokensMatched == tokens;
        }
    }

    static Result run(AttentionBackend backend, String name) {
        Path dir = extract(name);
        try {
            JsonObject expected = JsonParser.parseString(Files.readString(dir.resolve("expected.json"), StandardCharsets.UTF_8)).getAsJsonObject();
            int[] prompt = ints(expected.getAsJsonArray("prompt_tokens"));
            int[] greedy = ints(expected.getAsJsonArray("greedy_tokens"));
            float[] reference = Npy.read(dir.resolve("logits.npy"), Set.of(Npy.Dtype.F4)).floats();
            double largest = expected.get("logits_max_abs").getAsDouble();
            // Falcon rounds its ALiBi term to bfloat16, which alibi4j does not: its bound is at least twice how far that moves the logits
            double shift = expected.has("float32_alibi_logits_max_abs_diff") ? expected.get("float32_alibi_logits_max_abs_diff").getAsDouble() : 0;
            long start = System.nanoTime();
            try (AlibiModel model = AlibiModel.load(dir, AlibiModel.Options.defaults().withBackend(backend));
                 ModelSession session = model.newSession(prompt.length + greedy.length, HeadTensor.Precision.F32)) {
                float[] logits = session.prefillAllLogits(prompt);
                double[] worst = compare(reference, logits, Math.max(LOGITS_BOUND * largest, 2 * shift));
                float[] stepped = stepped(session, prompt);
                double[] decode = compare(logits, stepped, DECODE_BOUND * largest);
                int[] generated = Generator.generate(session, prompt, new Generator.Options(greedy.length, SamplingOptions.greedy(),
                        model.spec().eosTokenIds()), null).tokens();
                int matched = 0;
                while (matched < Math.min(greedy.length, generated.length) && generated[matched] == greedy[matched]) {
                    matched++;
                }
                if (generated.length != greedy.length) {
                    matched = Math.min(matched, greedy.length - 1);
                }
                String shape = model.spec().family() + " L" + model.spec().layers() + " H" + model.spec().hidden() + " h" + model.spec().heads()
                        + " " + expected.get("dtype").getAsString().replace("float", "f").replace("bf", "bf");
                return new Result(shape, Math.max(worst[0], decode[0]), Math.max(worst[1], decode[1]), matched, greedy.length,
                        (System.nanoTime() - start) / 1e6);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            delete(dir);
        }
    }

    /** Logits of every position by a prefill of the first token and one decode step per token after it. */
    private static float[] stepped(ModelSession session, int[] tokens) {
        int vocabulary = session.vocabulary();
        float[] logits = new float[tokens.length * vocabulary];
        System.arraycopy(session.prefill(Arrays.copyOf(tokens, 1)), 0, logits, 0, vocabulary);
        for (int p = 1; p < tokens.length; p++) {
            System.arraycopy(session.next(tokens[p]), 0, logits, p * vocabulary, vocabulary);
        }
        return logits;
    }

    /** {largest |error|, largest |error| / bound}; NaN counts as over. */
    private static double[] compare(float[] expected, float[] actual, double bound) {
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            double error = Math.abs((double) expected[i] - actual[i]);
            worst = Double.isNaN(error) ? Double.POSITIVE_INFINITY : Math.max(worst, error);
        }
        return new double[] {worst, worst / bound};
    }

    /** Copies a case's files out of the jar: a checkpoint is memory-mapped, so it must be a file. */
    private static Path extract(String name) {
        try {
            Path dir = Files.createTempDirectory("alibi4j-smoke-" + name);
            String index;
            try (InputStream in = ModelSmoke.class.getResourceAsStream(ROOT + name + "/files.txt")) {
                if (in == null) {
                    throw new IllegalStateException("smoke model " + name + " is missing from the jar: rebuild it (mvn -B package)");
                }
                index = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            for (String file : index.strip().split("\\s+")) {
                try (InputStream in = ModelSmoke.class.getResourceAsStream(ROOT + name + "/" + file)) {
                    if (in == null) {
                        throw new IllegalStateException("smoke model " + name + ": " + file + " is missing from the jar");
                    }
                    Files.copy(in, dir.resolve(file));
                }
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a temporary directory left behind is not worth failing the smoke test for
        }
    }

    private static int[] ints(JsonArray array) {
        int[] values = new int[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = array.get(i).getAsInt();
        }
        return values;
    }
}
