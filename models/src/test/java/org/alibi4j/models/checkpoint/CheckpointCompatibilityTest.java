package org.alibi4j.models.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Reads files written by the real writers (see {@code checkpoint/make_checkpoint_fixture.py}): safetensors'
 * {@code save_file}, and transformers' {@code save_pretrained} sharding a tiny random BLOOM.
 */
class CheckpointCompatibilityTest {

    private static Path resource(String name) {
        try {
            return Path.of(CheckpointCompatibilityTest.class.getResource("/checkpoint/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonObject expected(Path directory) throws IOException {
        return JsonParser.parseString(Files.readString(directory.resolve("expected.json"))).getAsJsonObject();
    }

    private static long[] shape(JsonObject entry) {
        return entry.getAsJsonArray("shape").asList().stream().mapToLong(JsonElement::getAsLong).toArray();
    }

    @Test
    void safetensorsSaveFileWidensAsTorchDoes() throws IOException {
        Path directory = resource("single");
        JsonObject expected = expected(directory);
        try (Checkpoint checkpoint = Checkpoint.open(directory)) {
            assertEquals(expected.keySet().stream().sorted().collect(Collectors.toList()),
                    checkpoint.names().stream().toList());
            int checked = 0;
            for (Map.Entry<String, JsonElement> item : expected.entrySet()) {
                String name = item.getKey();
                JsonObject entry = item.getValue().getAsJsonObject();
                if (!entry.has("float_bits")) {
                    assertThrows(InvalidModelException.class, () -> checkpoint.tensor(name));
                    continue;
                }
                WeightTensor tensor = checkpoint.tensor(name, shape(entry));
                assertEquals(entry.get("dtype").getAsString(), tensor.dtype().name(), name);
                int[] bits = entry.getAsJsonArray("float_bits").asList().stream()
                        .mapToInt(e -> (int) e.getAsLong()).toArray();
                float[] values = tensor.toFloats();
                assertEquals(bits.length, values.length, name);
                for (int i = 0; i < bits.length; i++) {
                    int expectedBits = bits[i];
                    int actualBits = Float.floatToRawIntBits(values[i]);
                    if (tensor.dtype() == DType.BF16 && Float.isNaN(values[i])) {
                        // torch quiets signalling NaNs when it widens; alibi4j keeps the bits as stored.
                        expectedBits |= 0x00400000;
                        actualBits |= 0x00400000;
                    }
                    assertEquals(expectedBits, actualBits, name + "[" + i + "]");
                    assertEquals(Float.floatToRawIntBits(values[i]), Float.floatToRawIntBits(tensor.get(i)),
                            name + " get " + i);
                    checked++;
                }
            }
            assertTrue(checked > 60, "checked " + checked + " elements");
        }
    }

    @Test
    void saveFileSignallingNanInBf16KeepsItsBits() {
        try (Checkpoint checkpoint = Checkpoint.open(resource("single"))) {
            // Element 13 of bf16.specials was written as 0x7F81, a signalling NaN.
            assertEquals(0x7f810000, Float.floatToRawIntBits(checkpoint.tensor("bf16.specials").get(13)));
        }
    }

    @Test
    void savePretrainedShardsOpen() throws IOException {
        Path directory = resource("sharded");
        JsonObject expected = expected(directory);
        try (Checkpoint checkpoint = Checkpoint.open(directory)) {
            assertEquals(expected.keySet().stream().sorted().toList(), checkpoint.names().stream().toList());
            for (Map.Entry<String, JsonElement> item : expected.entrySet()) {
                JsonObject entry = item.getValue().getAsJsonObject();
                WeightTensor tensor = checkpoint.tensor(item.getKey(), shape(entry));
                assertEquals(DType.F32, tensor.dtype());
                double sum = 0;
                for (float value : tensor.toFloats()) {
                    sum += value;
                }
                // Summed in float64 in the same order as torch's double().sum() on a contiguous tensor
                // need not be, so a tolerance of a few float64 ulps of the magnitudes involved.
                assertEquals(entry.get("sum").getAsDouble(), sum, 1e-12, item.getKey());
            }
            assertFalse(checkpoint.names().isEmpty());
            String shards = expected.entrySet().stream()
                    .map(e -> e.getValue().getAsJsonObject().get("shard").getAsString())
                    .distinct().sorted().collect(Collectors.joining(", "));
            InvalidModelException missing = assertThrows(InvalidModelException.class, () -> checkpoint.tensor("lm_head.weight"));
            assertTrue(missing.getMessage().contains("(files: " + shards + ")"), missing.getMessage());
        }
    }

    @Test
    void savePretrainedConfigReads() {
        ModelConfig config = ModelConfig.read(resource("sharded").resolve("config.json"));
        assertEquals("bloom", config.string("model_type"));
        assertEquals(6, config.integer("hidden_size"));
        assertEquals(3, config.integer("n_head"));
        assertEquals(2, config.integer("n_layer"));
        assertEquals(1e-5, config.number("layer_norm_epsilon"));
        assertArrayEquals(new int[] {2}, config.integers("eos_token_id"));
        assertFalse(config.has("pad_token_id"));
        assertTrue(config.flag("tie_word_embeddings", false));
    }
}
