package org.alibi4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/** {@code generate} and {@code logits} on the models module's committed checkpoints (made by transformers). */
class ModelCommandsTest {
    static final Path MODELS = Path.of("../models/src/test/resources/models").toAbsolutePath().normalize();

    @TempDir
    Path temp;

    record Expected(String prompt, int[] promptTokens, int[] greedy, String text, boolean eos) {
        static Expected of(String model) throws IOException {
            JsonObject e = JsonParser.parseString(Files.readString(MODELS.resolve(model).resolve("expected.json"))).getAsJsonObject();
            return new Expected(e.get("prompt").getAsString(), ints(e.getAsJsonArray("prompt_tokens")), ints(e.getAsJsonArray("greedy_tokens")),
                    e.get("greedy_text").getAsString(), e.get("stopped_at_eos").getAsBoolean());
        }
    }

    @Test
    void generateGivesTransformersGreedyTokensAsJson() throws IOException {
        for (String model : List.of("bloom-f32", "mpt-f32", "falcon-f16-parallel")) {
            Expected expected = Expected.of(model);
            CliRun run = CliRun.of("generate", "--model", MODELS.resolve(model).toString(), "--prompt", expected.prompt(),
                    "--max-new-tokens", "12", "--format", "json");
            assertEquals(0, run.exitCode(), run.err());
            JsonObject json = JsonParser.parseString(run.out()).getAsJsonObject();
            assertArrayEquals(expected.promptTokens(), ints(json.getAsJsonArray("prompt_tokens")), model);
            assertArrayEquals(expected.greedy(), ints(json.getAsJsonArray("tokens")), model);
            assertEquals(expected.text(), json.get("text").getAsString(), model);
            assertEquals(expected.eos() ? "end_of_sequence" : "max_new_tokens", json.get("stop").getAsString(), model);
            assertTrue(json.get("prefill_tokens_per_s").getAsDouble() > 0);
            assertTrue(run.err().contains("tokens/s"), run.err());
        }
    }

    @Test
    void textStreamsTheSameTextWithHalfCaches() throws IOException {
        Expected expected = Expected.of("bloom-f16-postln");
        CliRun run = CliRun.of("generate", "--model", MODELS.resolve("bloom-f16-postln").toString(), "--tokens",
                joined(expected.promptTokens()), "--max-new-tokens", "12", "--kv", "f16");
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(expected.text() + System.lineSeparator(), run.out());
        assertEquals(1, run.err().lines().count(), run.err());
    }

    @Test
    void seededSamplingRepeatsItself() {
        String[] args = {"generate", "--model", MODELS.resolve("mpt-f16-sharded").toString(), "--tokens", "5,6,7,8", "--max-new-tokens", "10",
                "--temperature", "1.3", "--top-k", "50", "--top-p", "0.9", "--seed", "42", "--format", "json"};
        CliRun first = CliRun.of(args);
        CliRun second = CliRun.of(args);
        assertEquals(0, first.exitCode(), first.err());
        JsonArray a = JsonParser.parseString(first.out()).getAsJsonObject().getAsJsonArray("tokens");
        assertEquals(a, JsonParser.parseString(second.out()).getAsJsonObject().getAsJsonArray("tokens"));
        assertEquals(10, a.size());
    }

    @Test
    void logitsWritesEveryPromptPositionAsTransformersComputesThem() throws IOException {
        Expected expected = Expected.of("bloom-bf16-sharded");
        Path out = temp.resolve("l.npy");
        CliRun run = CliRun.of("logits", "--model", MODELS.resolve("bloom-bf16-sharded").toString(), "--prompt", expected.prompt(),
                "--out", out.toString());
        assertEquals(0, run.exitCode(), run.err());
        Npy.Array written = Npy.read(out, Set.of(Npy.Dtype.F4));
        Npy.Array reference = Npy.read(MODELS.resolve("bloom-bf16-sharded/logits.npy"), Set.of(Npy.Dtype.F4));
        assertArrayEquals(reference.shape(), written.shape());
        float[] w = written.floats();
        float[] r = reference.floats();
        double largest = 0;
        for (float f : r) {
            largest = Math.max(largest, Math.abs(f));
        }
        for (int i = 0; i < r.length; i++) {
            assertEquals(r[i], w[i], 1e-4 * largest, "element " + i); // the models module's float32 bound
        }
    }

    /** Each bad input: exit code 2, one line naming the flag, file or option, and no output file. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            no such model directory         | --model MODELS/nowhere --tokens 1,2                      | --model
            no config                       | --model EMPTY --tokens 1,2                               | config.json
            unsupported model_type          | --model GPT2 --tokens 1,2                                | 'gpt2' is not supported
            token outside the vocabulary    | --model MODELS/bloom-f32 --tokens 1,400                  | --tokens: 400 (item 2) is outside the model's vocabulary [0, 400)
            token not a number              | --model MODELS/bloom-f32 --tokens 1,x                    | --tokens: 'x' (item 2) is not a token id
            empty tokens                    | --model MODELS/bloom-f32 --tokens ,                      | --tokens: '' (item 1) is not a token id
            prompt without tokenizer.json   | --model NOTOKENIZER --prompt hi                          | --prompt needs
            prompt longer than the context  | --model MODELS/bloom-f32 --tokens 1,2,3,4 --context 3    | longer than --context 3
            context past the model's limit  | --model MODELS/mpt-f32 --tokens 1,2 --context 129        | --context 129 is past the model's 128
            negative temperature            | --model MODELS/bloom-f32 --tokens 1,2 --temperature -1   | --temperature
            top-p above one                 | --model MODELS/bloom-f32 --tokens 1,2 --top-p 1.5        | --top-p
            negative top-k                  | --model MODELS/bloom-f32 --tokens 1,2 --top-k -2         | --top-k
            zero new tokens                 | --model MODELS/bloom-f32 --tokens 1,2 --max-new-tokens 0 | --max-new-tokens
            bad kv precision                | --model MODELS/bloom-f32 --tokens 1,2 --kv f8            | --kv
            bad format                      | --model MODELS/bloom-f32 --tokens 1,2 --format xml       | --format
            unknown backend                 | --model MODELS/bloom-f32 --tokens 1,2 --backend gpu9     | --backend: unknown attention backend 'gpu9'
            zero threads                    | --model MODELS/bloom-f32 --tokens 1,2 --threads 0        | --threads
            """)
    void badInputIsOneLineAndExitCodeTwo(String what, String flags, String message) throws IOException {
        Path empty = Files.createDirectories(temp.resolve("empty"));
        Path gpt2 = copy("bloom-f32", "gpt2");
        Files.writeString(gpt2.resolve("config.json"), Files.readString(gpt2.resolve("config.json")).replace("\"bloom\"", "\"gpt2\""));
        Path noTokenizer = copy("bloom-f32", "no-tokenizer");
        Files.delete(noTokenizer.resolve("tokenizer.json"));
        for (String command : List.of("generate", "logits")) {
            List<String> args = new ArrayList<>(List.of(command));
            for (String flag : flags.strip().split(" +")) {
                args.add(flag.replace("MODELS", MODELS.toString()).replace("EMPTY", empty.toString()).replace("GPT2", gpt2.toString())
                        .replace("NOTOKENIZER", noTokenizer.toString()));
            }
            boolean generateOnly = flags.contains("--temperature") || flags.contains("--top-") || flags.contains("--max-new") || flags.contains("--kv")
                    || flags.contains("--format") || flags.contains("--context");
            if (command.equals("logits")) {
                if (generateOnly) {
                    continue;
                }
                args.addAll(List.of("--out", temp.resolve("out.npy").toString()));
            }
            CliRun run = CliRun.of(args.toArray(String[]::new));
            assertEquals(2, run.exitCode(), what + " (" + command + "): " + run.err());
            assertEquals(1, run.err().lines().count(), what + " (" + command + "): " + run.err());
            assertTrue(run.err().contains(message.strip()), what + " (" + command + "): " + run.err());
            assertFalse(run.err().contains("\tat "), run.err());
            assertFalse(Files.exists(temp.resolve("out.npy")), what + ": an output file was written");
        }
    }

    private Path copy(String model, String name) throws IOException {
        Path dir = Files.createDirectories(temp.resolve(name));
        try (var files = Files.list(MODELS.resolve(model))) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return dir;
    }

    private static int[] ints(JsonArray array) {
        int[] values = new int[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = array.get(i).getAsInt();
        }
        return values;
    }

    private static String joined(int[] ids) {
        StringBuilder s = new StringBuilder();
        for (int id : ids) {
            s.append(s.isEmpty() ? "" : ",").append(id);
        }
        return s.toString();
    }
}
