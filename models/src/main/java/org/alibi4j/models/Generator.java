package org.alibi4j.models;

import java.util.Arrays;
import java.util.function.IntConsumer;

/**
 * Generates tokens: the prompt prefilled, then one decode step per token, until a stop token, the token
 * limit, or the session's last position. Tokens reach the listener as they are chosen, a stop token included
 * (as transformers' {@code generate} returns it).
 */
public final class Generator {
    private Generator() {
    }

    /** Why generation ended. */
    public enum Stop {
        /** A stop token (the config's {@code eos_token_id}) was generated. */
        END_OF_SEQUENCE,
        /** {@code maxNewTokens} were generated. */
        MAX_NEW_TOKENS,
        /** The session's positions ran out. */
        CONTEXT_FULL
    }

    /**
     * @param maxNewTokens the most tokens to generate, at least 1
     * @param sampling     how to choose each
     * @param stopTokens   tokens that end generation (generated, then stop); may be empty
     */
    public record Options(int maxNewTokens, SamplingOptions sampling, int[] stopTokens) {
        public Options {
            if (maxNewTokens < 1) {
                throw new IllegalArgumentException("max new tokens must be at least 1 (was " + maxNewTokens + ")");
            }
            if (sampling == null) {
                throw new IllegalArgumentException("sampling must not be null");
            }
            stopTokens = stopTokens == null ? new int[0] : stopTokens.clone();
        }
    }

    /**
     * @param tokens        the generated tokens, the prompt excluded
     * @param stop          why it ended
     * @param promptTokens  the prompt's length
     * @param prefillNanos  the prefill's time
     * @param decodeNanos   the decode steps' time (all tokens after the first)
     */
    public record Result(int[] tokens, Stop stop, int promptTokens, long prefillNanos, long decodeNanos) {
        /** Prompt tokens per second of prefill. */
        public double prefillTokensPerSecond() {
            return promptTokens / (prefillNanos / 1e9);
        }

        /** Generated tokens per second of decode (those after the first, which the prefill gives). */
        public double decodeTokensPerSecond() {
            return tokens.length <= 1 || decodeNanos == 0 ? Double.NaN : (tokens.length - 1) / (decodeNanos / 1e9);
        }
    }

    /** Generates from {@code prompt} in {@code session} (which it starts anew), calling {@code onToken} with each token. */
    public static Result generate(ModelSession session, int[] prompt, Options options, IntConsumer onToken) {
        Sampler sampler = new Sampler(options.sampling());
        long start = System.nanoTime();
        float[] logits = session.prefill(prompt);
        long prefilled = System.nanoTime();
        int[] tokens = new int[options.maxNewTokens()];
        int count = 0;
        Stop stop = Stop.MAX_NEW_TOKENS;
        while (true) {
            int token = sampler.sample(logits);
            tokens[count++] = token;
            if (onToken != null) {
                onToken.accept(token);
            }
            if (contains(options.stopTokens(), token)) {
                stop = Stop.END_OF_SEQUENCE;
                break;
            }
            if (count == options.maxNewTokens()) {
                break;
            }
            if (session.position() == session.capacity()) {
                stop = Stop.CONTEXT_FULL;
                break;
            }
            logits = session.next(token);
        }
        long end = System.nanoTime();
        return new Result(Arrays.copyOf(tokens, count), stop, prompt.length, prefilled - start, end - prefilled);
    }

    private static boolean contains(int[] values, int value) {
        for (int v : values) {
            if (v == value) {
                return true;
            }
        }
        return false;
    }
}
