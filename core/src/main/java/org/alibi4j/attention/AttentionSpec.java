package org.alibi4j.attention;

import org.alibi4j.AlibiSlopes;
import org.alibi4j.BiasForm;
import org.alibi4j.internal.Arguments;

/**
 * What one attention layer computes: {@code out = softmax(scale * Q K^T + bias) V} per query head, the
 * bias that of {@link org.alibi4j.AlibiPositionalBias#forward} (or {@code forwardCausal}) for the same
 * slopes and heads.
 *
 * @param slopes     slopes of the biased heads, the first {@code slopes.count()} query heads
 * @param totalHeads query heads ({@code T}); those past {@code slopes.count()} carry no positional bias
 * @param kvHeads    key/value heads ({@code G}), dividing {@code totalHeads}: query head {@code h} reads
 *                   key/value head {@code h / (totalHeads / kvHeads)} (GQA; {@code 1} is MQA)
 * @param headDim    elements per head vector ({@code d})
 * @param scale      multiplies {@code Q K^T} before the bias is added; positive and finite
 * @param form       {@link BiasForm#SYMMETRIC} (every key visible) or {@link BiasForm#CAUSAL} (keys after a
 *                   query's position excluded)
 */
public record AttentionSpec(AlibiSlopes slopes, int totalHeads, int kvHeads, int headDim, float scale, BiasForm form) {

    /** Checks each component, naming it and its allowed range. */
    public AttentionSpec {
        if (slopes == null) {
            throw new IllegalArgumentException("slopes must not be null");
        }
        if (form == null) {
            throw new IllegalArgumentException("form must not be null");
        }
        if (totalHeads < slopes.count()) {
            throw new IllegalArgumentException("totalHeads must be >= heads = " + slopes.count() + " (was " + totalHeads + ")");
        }
        Arguments.positive("kvHeads", kvHeads);
        if (kvHeads > totalHeads || totalHeads % kvHeads != 0) {
            throw new IllegalArgumentException("kvHeads must divide totalHeads = " + totalHeads + " (was " + kvHeads + ")");
        }
        Arguments.positive("headDim", headDim);
        if (!(scale > 0) || Float.isInfinite(scale)) {
            throw new IllegalArgumentException("scale must be a positive finite number (was " + scale + ")");
        }
    }

    /** The default scale, {@code 1 / sqrt(headDim)}, rounded once to float. */
    public static float defaultScale(int headDim) {
        return (float) (1.0 / Math.sqrt(Arguments.positive("headDim", headDim)));
    }

    /** The number of biased heads, {@code slopes.count()}. */
    public int heads() {
        return slopes.count();
    }

    /** Query heads per key/value head. */
    public int groupSize() {
        return totalHeads / kvHeads;
    }

    /** The key/value head query head {@code h} reads. */
    public int kvHeadOf(int h) {
        return h / groupSize();
    }

    /** The slope of query head {@code h}, or {@code 0} for a head without positional bias. */
    public float slopeOf(int h) {
        return h < slopes.count() ? slopes.get(h) : 0.0f;
    }
}
