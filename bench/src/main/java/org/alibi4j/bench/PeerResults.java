package org.alibi4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

/**
 * What {@code scripts/pytorch_models_peer.py} printed: one JSON object a line, an {@code environment}, then per
 * model and dtype a {@code prefill} and a {@code decode} per context. Lines that are not JSON objects (warnings)
 * are skipped.
 *
 * @param torch        torch's version
 * @param transformers transformers' version
 * @param cpu          the CPU model the script saw
 * @param threads      torch's threads
 * @param loads        the load averages the script saw before and after, as printed
 */
record PeerResults(String torch, String transformers, String cpu, int threads, List<String> loads, List<Prefill> prefills,
                   List<Decode> decodes) {

    /** @param model our name for it (bloom-560m, mpt-1b) */
    record Prefill(String model, String dtype, int tokens, double tokensPerSecond) {
    }

    record Decode(String model, String dtype, int context, double msPerTokenMedian, double tokensPerSecond) {
    }

    static PeerResults read(Path file) throws IOException {
        String torch = "?", transformers = "?", cpu = "?";
        int threads = 0;
        List<String> loads = new ArrayList<>();
        List<Prefill> prefills = new ArrayList<>();
        List<Decode> decodes = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            JsonObject o;
            try {
                if (!line.startsWith("{")) {
                    continue;
                }
                o = JsonParser.parseString(line).getAsJsonObject();
            } catch (JsonParseException | IllegalStateException e) {
                continue;
            }
            switch (o.get("kind").getAsString()) {
                case "environment" -> {
                    torch = o.get("torch").getAsString();
                    transformers = o.get("transformers").getAsString();
                    cpu = o.get("cpu").getAsString();
                    threads = o.get("torch_threads").getAsInt();
                }
                case "load" -> {
                    var a = o.getAsJsonArray("loadavg");
                    loads.add(String.format(java.util.Locale.ROOT, "%.2f %.2f %.2f at its %s", a.get(0).getAsDouble(), a.get(1).getAsDouble(),
                            a.get(2).getAsDouble(), o.get("when").getAsString()));
                }
                case "prefill" -> prefills.add(new Prefill(ours(o), o.get("dtype").getAsString(), o.get("tokens").getAsInt(),
                        o.get("tokens_per_s").getAsDouble()));
                case "decode" -> decodes.add(new Decode(ours(o), o.get("dtype").getAsString(), o.get("context").getAsInt(),
                        o.get("ms_per_token_median").getAsDouble(), o.get("tokens_per_s").getAsDouble()));
                default -> { }
            }
        }
        return new PeerResults(torch, transformers, cpu, threads, loads, prefills, decodes);
    }

    private static String ours(JsonObject o) {
        return switch (o.get("model").getAsString()) {
            case "bloom" -> "bloom-560m";
            case "mpt" -> "mpt-1b";
            default -> o.get("model").getAsString();
        };
    }
}
