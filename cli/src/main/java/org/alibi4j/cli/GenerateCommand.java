package org.alibi4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.alibi4j.attention.HeadTensor;
import org.alibi4j.models.AlibiModel;
import org.alibi4j.models.Generator;
import org.alibi4j.models.ModelSession;
import org.alibi4j.models.SamplingOptions;
import org.alibi4j.models.tokenizer.TextStream;
import org.alibi4j.models.tokenizer.TextTokenizer;

import com.google.gson.stream.JsonWriter;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Generates text from a checkpoint: the prompt prefilled through one KV cache per layer, then one decode step
 * per token. Text streams to standard output as it is generated; the prompt's and the generation's speeds go
 * to standard error. With {@code --format json}, one JSON object on standard output instead.
 */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Generate text from a Hugging Face checkpoint of an ALiBi model (BLOOM, MPT).")
final class GenerateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    CheckpointInput input;

    @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "32", description = "The most tokens to generate (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "0", description = "0 for greedy (the default); above 0, sample.")
    float temperature;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "0", description = "Sample from the K likeliest tokens only (0: all).")
    int topK;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "1", description = "Sample from the likeliest tokens whose probabilities reach P (1: all).")
    float topP;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "The sampler's seed: a seed repeats its text (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--kv", paramLabel = "f32|f16", defaultValue = "f32", description = "The KV caches' precision (default: ${DEFAULT-VALUE}).")
    String kv;

    @Option(names = "--context", paramLabel = "N", description = "Positions per sequence, prompt included (default: the prompt and --max-new-tokens, "
            + "up to the model's limit).")
    Integer context;

    @Option(names = "--format", paramLabel = "text|json", defaultValue = "text", description = "text (streamed) or json (default: ${DEFAULT-VALUE}).")
    String format;

    @Override
    public Integer call() {
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("--max-new-tokens must be >= 1 (was " + maxNewTokens + ")");
        }
        SamplingOptions sampling = sampling();
        HeadTensor.Precision precision = switch (kv) {
            case "f32" -> HeadTensor.Precision.F32;
            case "f16" -> HeadTensor.Precision.F16;
            default -> throw new IllegalArgumentException("--kv must be f32 or f16 (was '" + kv + "')");
        };
        boolean json = switch (format) {
            case "text" -> false;
            case "json" -> true;
            default -> throw new IllegalArgumentException("--format must be text or json (was '" + format + "')");
        };
        if (context != null && context < 1) {
            throw new IllegalArgumentException("--context must be >= 1 (was " + context + ")");
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (AlibiModel model = input.load()) {
            int[] prompt = input.tokens(model);
            int capacity = capacity(model, prompt.length);
            TextTokenizer tokenizer = model.tokenizer().orElse(null);
            TextStream stream = tokenizer == null || json ? null : tokenizer.stream(true);
            Generator.Result result;
            try (ModelSession session = model.newSession(capacity, precision)) {
                result = Generator.generate(session, prompt, new Generator.Options(maxNewTokens, sampling, model.spec().eosTokenIds()), token -> {
                    if (!json) {
                        out.print(stream == null ? token + " " : stream.push(token));
                        out.flush();
                    }
                });
            }
            if (json) {
                out.println(json(model, prompt, result, tokenizer));
            } else {
                out.println(stream == null ? "" : stream.finish());
            }
            out.flush();
            err.printf(Locale.ROOT, "alibi4j: prompt %d tokens at %.1f tokens/s; generated %d at %.1f tokens/s (%s; attention on %s)%n",
                    prompt.length, result.prefillTokensPerSecond(), result.tokens().length, result.decodeTokensPerSecond(),
                    stopText(result.stop()), model.backendName());
        }
        return 0;
    }

    private SamplingOptions sampling() {
        try {
            return new SamplingOptions(temperature, topK, topP, seed);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--" + e.getMessage(), e); // "temperature must ..." names its flag
        }
    }

    /** The positions the session needs: --context, or the prompt and the new tokens, within the model's limit. */
    private int capacity(AlibiModel model, int promptTokens) {
        int limit = model.spec().maxPositions() > 0 ? model.spec().maxPositions() : Integer.MAX_VALUE;
        if (context != null) {
            if (context > limit) {
                throw new IllegalArgumentException("--context " + context + " is past the model's " + limit + " positions");
            }
            if (promptTokens > context) {
                throw new IllegalArgumentException("the prompt's " + promptTokens + " tokens are longer than --context " + context);
            }
            return context;
        }
        if (promptTokens > limit) {
            throw new IllegalArgumentException("the prompt's " + promptTokens + " tokens are longer than the model's " + limit + " positions");
        }
        return (int) Math.min(limit, (long) promptTokens + maxNewTokens);
    }

    private static String stopText(Generator.Stop stop) {
        return switch (stop) {
            case END_OF_SEQUENCE -> "stopped at the end-of-sequence token";
            case MAX_NEW_TOKENS -> "stopped at --max-new-tokens";
            case CONTEXT_FULL -> "stopped: the context is full";
        };
    }

    private static String json(AlibiModel model, int[] prompt, Generator.Result result, TextTokenizer tokenizer) {
        StringWriter text = new StringWriter();
        try (JsonWriter w = new JsonWriter(text)) {
            w.setSerializeNulls(true);
            w.beginObject();
            w.name("model").value(model.directory().toString());
            w.name("model_type").value(model.spec().family());
            w.name("backend").value(model.backendName());
            w.name("prompt_tokens");
            ids(w, prompt);
            w.name("tokens");
            ids(w, result.tokens());
            w.name("text");
            if (tokenizer == null) {
                w.nullValue();
            } else {
                w.value(tokenizer.decode(result.tokens(), true));
            }
            w.name("stop").value(result.stop().name().toLowerCase(Locale.ROOT));
            w.name("prefill_ms").value(result.prefillNanos() / 1e6);
            w.name("decode_ms").value(result.decodeNanos() / 1e6);
            w.name("prefill_tokens_per_s").value(result.prefillTokensPerSecond());
            double decode = result.decodeTokensPerSecond();
            w.name("decode_tokens_per_s");
            if (Double.isNaN(decode)) {
                w.nullValue();
            } else {
                w.value(decode);
            }
            w.endObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text.toString();
    }

    private static void ids(JsonWriter w, int[] ids) throws IOException {
        w.beginArray();
        for (int id : ids) {
            w.value(id);
        }
        w.endArray();
    }
}
