package org.alibi4j.models;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Chooses tokens from logits as its {@link SamplingOptions} say. One sampler per sequence: it keeps its generator's state. */
public final class Sampler {
    private final SamplingOptions options;
    private final SplittableRandom random;

    public Sampler(SamplingOptions options) {
        if (options == null) {
            throw new IllegalArgumentException("options must not be null");
        }
        this.options = options;
        this.random = new SplittableRandom(options.seed());
    }

    /** A greedy sampler. */
    public static Sampler greedy() {
        return new Sampler(SamplingOptions.greedy());
    }

    /** The next token for {@code logits}. */
    public int sample(float[] logits) {
        if (logits == null || logits.length == 0) {
            throw new IllegalArgumentException("logits must not be empty");
        }
        if (options.isGreedy()) {
            return argmax(logits);
        }
        int n = logits.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a])); // likeliest first; stable for equals
        int kept = options.topK() == 0 ? n : Math.min(options.topK(), n);
        while (kept < n && logits[order[kept]] == logits[order[kept - 1]]) {
            kept++; // top-k keeps every token tied with the k-th, as transformers' warper does
        }
        double max = logits[order[0]] / (double) options.temperature();
        double[] weights = new double[kept];
        double total = 0;
        for (int i = 0; i < kept; i++) {
            weights[i] = Math.exp(logits[order[i]] / (double) options.temperature() - max);
            total += weights[i];
        }
        if (options.topP() < 1) {
            double cumulative = 0;
            int within = 0;
            while (within < kept && cumulative < options.topP() * total) {
                cumulative += weights[within++];
            }
            kept = Math.max(1, within);
            total = cumulative;
        }
        double draw = random.nextDouble() * total;
        for (int i = 0; i < kept; i++) {
            draw -= weights[i];
            if (draw < 0) {
                return order[i];
            }
        }
        return order[kept - 1];
    }

    /** The index of the largest logit, the first of equals (as {@code torch.argmax}); NaN is never chosen over a number. */
    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best] || Float.isNaN(logits[best]) && !Float.isNaN(logits[i])) {
                best = i;
            }
        }
        return best;
    }
}
