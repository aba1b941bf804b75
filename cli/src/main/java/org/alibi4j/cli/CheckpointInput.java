package org.alibi4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;

import org.alibi4j.attention.AttentionBackends;
import org.alibi4j.models.AlibiModel;
import org.alibi4j.models.tokenizer.TextTokenizer;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/** What {@code generate} and {@code logits} share: the checkpoint, the prompt, the backend and the threads. */
final class CheckpointInput {
    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "A Hugging Face checkpoint directory (config.json, model.safetensors or shards, tokenizer.json).")
    Path model;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Prompt prompt;

    static final class Prompt {
        @Option(names = "--prompt", paramLabel = "TEXT", description = "The prompt as text (needs the model's tokenizer.json).")
        String text;

        @Option(names = "--tokens", paramLabel = "1,2,3", description = "The prompt as token ids, comma-separated.")
        String tokens;
    }

    @Option(names = "--backend", paramLabel = "NAME", description = "The attention backend (default: the best available).")
    String backend;

    @Option(names = "--threads", paramLabel = "N", description = "Threads for the matrix products, and the attention on cpu (default: one per processor).")
    Integer threads;

    /** Checks the flags that need no file, then loads the model. */
    AlibiModel load() {
        if (backend != null && !AttentionBackends.names().contains(backend)) {
            throw new IllegalArgumentException("--backend: unknown attention backend '" + backend + "'; known: "
                    + String.join(", ", AttentionBackends.names()));
        }
        if (threads != null && threads < 1) {
            throw new IllegalArgumentException("--threads must be >= 1 (was " + threads + ")");
        }
        int[] ids = prompt.tokens == null ? null : tokenIds(prompt.tokens); // a bad list is refused before any load
        if (prompt.text != null && prompt.text.isEmpty()) {
            throw new IllegalArgumentException("--prompt must not be empty");
        }
        if (!Files.isDirectory(model)) {
            throw new IllegalArgumentException("--model " + model + ": " + (Files.exists(model) ? "is not a directory" : "no such directory"));
        }
        if (prompt.text != null && !Files.exists(model.resolve("tokenizer.json"))) {
            throw new IllegalArgumentException("--prompt needs " + model.resolve("tokenizer.json") + ", which does not exist; give --tokens instead");
        }
        AlibiModel.Options options = AlibiModel.Options.defaults();
        if (threads != null) {
            options = options.withThreads(threads);
        }
        if (backend != null) {
            options = options.withBackend(backend);
        }
        AlibiModel loaded = AlibiModel.load(model, options);
        if (ids != null) {
            checkVocabulary(ids, loaded.spec().vocabulary());
        }
        return loaded;
    }

    /** The prompt's token ids: as given, or the text encoded by the model's tokenizer. */
    int[] tokens(AlibiModel loaded) {
        if (prompt.tokens != null) {
            return tokenIds(prompt.tokens);
        }
        TextTokenizer tokenizer = loaded.tokenizer().orElseThrow();
        int[] ids = tokenizer.encode(prompt.text);
        if (ids.length == 0) {
            throw new IllegalArgumentException("--prompt encodes to no tokens");
        }
        return ids;
    }

    private static int[] tokenIds(String list) {
        String[] parts = list.split(",", -1);
        if (list.isBlank()) {
            throw new IllegalArgumentException("--tokens must hold at least one token id");
        }
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            String part = parts[i].strip();
            try {
                ids[i] = Integer.parseInt(part);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--tokens: '" + part + "' (item " + (i + 1) + ") is not a token id (a whole number)");
            }
        }
        return ids;
    }

    private static void checkVocabulary(int[] ids, int vocabulary) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocabulary) {
                throw new IllegalArgumentException("--tokens: " + ids[i] + " (item " + (i + 1) + ") is outside the model's vocabulary [0, "
                        + vocabulary + ")");
            }
        }
    }
}
