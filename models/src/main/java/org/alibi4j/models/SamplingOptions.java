package org.alibi4j.models;

/**
 * How to choose each next token: greedy ({@code temperature} 0, the default), or a draw from the softmax of
 * the logits divided by {@code temperature}, restricted to the {@code topK} likeliest tokens (0: all) and to
 * the smallest set of likeliest tokens whose probabilities reach {@code topP} (1: all), in that order, as
 * transformers' temperature, top-k and top-p warpers do. Draws come from a generator seeded with
 * {@code seed}, so a seed repeats its text (the draws are not PyTorch's).
 */
public record SamplingOptions(float temperature, int topK, float topP, long seed) {
    public SamplingOptions {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0 (was " + temperature + ")");
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top-k must be >= 0, 0 for no limit (was " + topK + ")");
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top-p must be in (0, 1] (was " + topP + ")");
        }
    }

    /** Greedy decoding: always the likeliest token (the first of equals). */
    public static SamplingOptions greedy() {
        return new SamplingOptions(0, 0, 1, 0);
    }

    public boolean isGreedy() {
        return temperature == 0;
    }
}
