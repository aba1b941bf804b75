package org.alibi4j.models;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/**
 * The checkpoints {@code scripts/make_test_models.py} made with transformers (random seeded weights), each with
 * what transformers computed for it: the prompt's tokens, the logits of every prompt position (float32,
 * from the model reloaded in float32, so the stored weights are widened exactly as here), and the greedy
 * continuation. For Falcon, {@code biasRoundingShift} is how far transformers' logits move when its ALiBi
 * term is computed in float32 instead of rounded to bfloat16 as Falcon's code rounds it (0 elsewhere).
 */
record ModelFixtures(String name, Path directory, String family, String dtype, String prompt, int[] promptTokens, float[] logits,
                     int[] greedyTokens, String greedyText, boolean stoppedAtEos, int maxNewTokens, double logitsMaxAbs,
                     double biasRoundingShift) {

    static final Path ROOT = root();

    private static Path root() {
        try {
            return Path.of(Objects.requireNonNull(ModelFixtures.class.getResource("/models")).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every committed case. */
    static List<ModelFixtures> all() {
        try (Stream<Path> dirs = Files.list(ROOT)) {
            return dirs.filter(d -> Files.exists(d.resolve("expected.json"))).sorted().map(ModelFixtures::read).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ModelFixtures named(String name) {
        return read(ROOT.resolve(name));
    }

    static ModelFixtures read(Path dir) {
        try {
            JsonObject e = JsonParser.parseString(Files.readString(dir.resolve("expected.json"), StandardCharsets.UTF_8)).getAsJsonObject();
            return new ModelFixtures(dir.getFileName().toString(), dir, e.get("family").getAsString(), e.get("dtype").getAsString(),
                    e.get("prompt").getAsString(), ints(e.getAsJsonArray("prompt_tokens")),
                    npyFloats(dir.resolve(e.get("logits_file").getAsString())), ints(e.getAsJsonArray("greedy_tokens")),
                    e.get("greedy_text").getAsString(), e.get("stopped_at_eos").getAsBoolean(), e.get("max_new_tokens").getAsInt(),
                    e.get("logits_max_abs").getAsDouble(),
                    e.has("float32_alibi_logits_max_abs_diff") ? e.get("float32_alibi_logits_max_abs_diff").getAsDouble() : 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int[] ints(JsonArray array) {
        int[] values = new int[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = array.get(i).getAsInt();
        }
        return values;
    }

    /** A little-endian float32 .npy file's data, in order (C order). */
    static float[] npyFloats(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        int major = bytes[6];
        int headerLength = major == 1 ? (bytes[8] & 0xff) | (bytes[9] & 0xff) << 8 : ByteBuffer.wrap(bytes, 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        int start = (major == 1 ? 10 : 12) + headerLength;
        String header = new String(bytes, major == 1 ? 10 : 12, headerLength, StandardCharsets.US_ASCII);
        if (!header.contains("'<f4'") || header.contains("'fortran_order': True")) {
            throw new IllegalArgumentException(file + ": expected little-endian float32 in C order: " + header);
        }
        var floats = ByteBuffer.wrap(bytes, start, bytes.length - start).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[] values = new float[floats.remaining()];
        floats.get(values);
        return values;
    }

    int vocabulary() {
        return logits.length / promptTokens.length;
    }

    @Override
    public String toString() {
        return name;
    }
}
