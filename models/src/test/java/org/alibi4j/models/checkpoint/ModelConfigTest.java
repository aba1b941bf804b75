package org.alibi4j.models.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class ModelConfigTest {

    @TempDir
    Path dir;

    private static final String MPT = """
            {
              "model_type": "mpt",
              "d_model": 64,
              "n_heads": 6,
              "n_layers": 3.0,
              "expansion_ratio": 4,
              "max_seq_len": 2048,
              "vocab_size": 50432,
              "layer_norm_epsilon": 1e-05,
              "no_bias": true,
              "use_cache": false,
              "eos_token_id": [0, 2],
              "bos_token_id": 1,
              "pad_token_id": null,
              "tokenizer_name": "EleutherAI/gpt-neox-20b",
              "attn_config": {
                "alibi": true,
                "alibi_bias_max": 8,
                "clip_qkv": null,
                "softmax_scale": 0.125,
                "attn_type": "multihead_attention",
                "qk_ln": false
              },
              "half": 3.5,
              "big": 3000000000,
              "text_number": "12",
              "list": [1, "two"],
              "nested_list": [[1]],
              "exp": 1e400
            }
            """;

    private ModelConfig write(String json) throws IOException {
        return ModelConfig.read(Files.writeString(dir.resolve("config.json"), json));
    }

    private static void assertInvalid(Executable executable, String message) {
        InvalidModelException e = assertThrows(InvalidModelException.class, executable);
        assertEquals(message, e.getMessage());
    }

    @Test
    void typedValues() throws IOException {
        ModelConfig config = write(MPT);
        assertEquals(dir.resolve("config.json"), config.file());
        assertEquals("mpt", config.string("model_type"));
        assertEquals(64, config.integer("d_model"));
        assertEquals(3, config.integer("n_layers"), "3.0 is an integer");
        assertEquals(1e-5, config.number("layer_norm_epsilon"));
        assertEquals(64.0, config.number("d_model"), "an integer is a number");
        assertTrue(config.flag("no_bias", false));
        assertFalse(config.flag("use_cache", true));
        assertArrayEquals(new int[] {0, 2}, config.integers("eos_token_id"));
        assertArrayEquals(new int[] {1}, config.integers("bos_token_id"));
        assertEquals(OptionalDouble.of(3.5), config.optionalNumber("half"));
        assertEquals(3_000_000_000.0, config.number("big"));
    }

    @Test
    void absentAndNullTakeTheDefault() throws IOException {
        ModelConfig config = write(MPT);
        assertTrue(config.has("model_type"));
        assertFalse(config.has("pad_token_id"), "null counts as absent");
        assertFalse(config.has("rope_theta"));
        assertEquals("gelu", config.string("activation", "gelu"));
        assertEquals("gelu", config.string("pad_token_id", "gelu"));
        assertEquals(7, config.integer("n_kv_heads", 7));
        assertEquals(7, config.integer("pad_token_id", 7));
        assertEquals(0.5, config.number("rope_theta", 0.5));
        assertEquals(OptionalDouble.empty(), config.optionalNumber("pad_token_id"));
        assertEquals(OptionalDouble.empty(), config.optionalNumber("absent"));
        assertTrue(config.flag("absent", true));
        assertFalse(config.flag("pad_token_id", false));
        assertArrayEquals(new int[0], config.integers("pad_token_id"));
        assertArrayEquals(new int[0], config.integers("absent"));
        // A default never hides a value of the wrong type.
        assertInvalid(() -> config.integer("model_type", 3), "config.json: 'model_type' must be an integer (was \"mpt\")");
    }

    @Test
    void nestedObjects() throws IOException {
        ModelConfig attn = write(MPT).object("attn_config");
        assertEquals(dir.resolve("config.json"), attn.file());
        assertTrue(attn.flag("alibi", false));
        assertEquals(8, attn.integer("alibi_bias_max"));
        assertEquals(OptionalDouble.empty(), attn.optionalNumber("clip_qkv"));
        assertEquals(0.125, attn.number("softmax_scale"));
        assertEquals(List.of("alibi", "alibi_bias_max", "clip_qkv", "softmax_scale", "attn_type", "qk_ln"),
                List.copyOf(attn.keys()));
        assertInvalid(() -> attn.string("alibi_bias_max"),
                "config.json: 'attn_config.alibi_bias_max' must be a string (was 8)");
        assertInvalid(() -> attn.integer("prefix_lm"), "config.json: 'attn_config.prefix_lm' must be an integer (was absent)");
        ModelConfig absent = write(MPT).object("ffn_config");
        assertTrue(absent.keys().isEmpty());
        assertEquals(4, absent.integer("ffn_hidden_size", 4));
        assertInvalid(() -> absent.number("x"), "config.json: 'ffn_config.x' must be a number (was absent)");
        assertTrue(write(MPT).object("pad_token_id").keys().isEmpty(), "null is an empty object");
        assertInvalid(() -> write(MPT).object("d_model"), "config.json: 'd_model' must be an object (was 64)");
        ModelConfig deeper = write("{\"a\": {\"b\": {\"c\": \"x\"}}}").object("a").object("b");
        assertInvalid(() -> deeper.integer("c"), "config.json: 'a.b.c' must be an integer (was \"x\")");
    }

    @Test
    void wrongTypesNameTheFileAndKey() throws IOException {
        ModelConfig config = write(MPT);
        assertInvalid(() -> config.string("d_model"), "config.json: 'd_model' must be a string (was 64)");
        assertInvalid(() -> config.string("missing"), "config.json: 'missing' must be a string (was absent)");
        assertInvalid(() -> config.string("pad_token_id"), "config.json: 'pad_token_id' must be a string (was null)");
        assertInvalid(() -> config.integer("half"), "config.json: 'half' must be an integer (was 3.5)");
        assertInvalid(() -> config.integer("big"), "config.json: 'big' must be an integer (was 3000000000)");
        assertInvalid(() -> config.integer("text_number"), "config.json: 'text_number' must be an integer (was \"12\")");
        assertInvalid(() -> config.integer("exp"), "config.json: 'exp' must be an integer (was 1e400)");
        assertInvalid(() -> config.number("text_number"), "config.json: 'text_number' must be a number (was \"12\")");
        assertInvalid(() -> config.number("exp"), "config.json: 'exp' must be a finite number (was 1e400)");
        assertInvalid(() -> config.optionalNumber("no_bias"), "config.json: 'no_bias' must be a number (was true)");
        assertInvalid(() -> config.flag("d_model", false), "config.json: 'd_model' must be true or false (was 64)");
        assertInvalid(() -> config.flag("model_type", false),
                "config.json: 'model_type' must be true or false (was \"mpt\")");
        assertInvalid(() -> config.integers("list"),
                "config.json: 'list' must be an integer or a list of integers (was [1,\"two\"])");
        assertInvalid(() -> config.integers("nested_list"),
                "config.json: 'nested_list' must be an integer or a list of integers (was [[1]])");
        assertInvalid(() -> config.integers("half"),
                "config.json: 'half' must be an integer or a list of integers (was 3.5)");
        assertInvalid(() -> config.integers("model_type"),
                "config.json: 'model_type' must be an integer or a list of integers (was \"mpt\")");
    }

    @Test
    void longValuesAreCutInMessages() throws IOException {
        ModelConfig config = write("{\"s\": \"" + "x".repeat(500) + "\"}");
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> config.integer("s"));
        assertTrue(e.getMessage().length() < 120, e.getMessage());
    }

    @Test
    void keysInFileOrder() throws IOException {
        ModelConfig config = write("{\"b\": 1, \"a\": null, \"c\": {}}");
        assertEquals(List.of("b", "a", "c"), List.copyOf(config.keys()));
        assertThrows(UnsupportedOperationException.class, () -> config.keys().add("d"));
    }

    @Test
    void badFilesAreNamed() throws IOException {
        Path file = dir.resolve("config.json");
        assertInvalid(() -> ModelConfig.read(file), "model config " + file + " does not exist");
        Files.writeString(file, "{\"model_type\": \"bloom\",}");
        assertStartsWith(file + " is not valid JSON: ", () -> ModelConfig.read(file));
        Files.writeString(file, "{\"a\": NaN}");
        assertStartsWith(file + " is not valid JSON: ", () -> ModelConfig.read(file));
        Files.writeString(file, "{} {}");
        assertStartsWith(file + " is not valid JSON: ", () -> ModelConfig.read(file));
        Files.writeString(file, "");
        assertStartsWith(file + " is not valid JSON: ", () -> ModelConfig.read(file));
        Files.writeString(file, "[{}]");
        assertInvalid(() -> ModelConfig.read(file), file + " is not a JSON object (it is [{}])");
        Files.write(file, new byte[] {'{', '"', (byte) 0xfe, '"', ':', '1', '}'});
        assertInvalid(() -> ModelConfig.read(file), file + " is not UTF-8 text");
        Path directory = Files.createDirectory(dir.resolve("sub"));
        assertInvalid(() -> ModelConfig.read(directory), "model config " + directory + " does not exist");
    }

    private static void assertStartsWith(String prefix, Executable executable) {
        InvalidModelException e = assertThrows(InvalidModelException.class, executable);
        assertTrue(e.getMessage().startsWith(prefix), e.getMessage());
    }
}
