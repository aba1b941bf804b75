package org.alibi4j;

import org.alibi4j.internal.Arguments;

import java.util.Arrays;

/**
 * The per-head ALiBi slopes: an immutable list of positive floats, one per biased head.
 *
 * <p>The standard rule (ALIBI.md, "Slopes"): for {@code n} heads and maximum bias {@code B},
 * with {@code c} the largest power of two {@code <= n}, the first {@code c} slopes are
 * {@code 2^(-B * (h + 1) / c)} and the remaining {@code n - c} are {@code 2^(-B * (2k + 1) / (2c))}
 * for {@code k = 0, 1, ...}. Each slope is computed in double and rounded once to float, which
 * matches x-transformers bit for bit ({@link StrictMath#pow} keeps it the same on every JVM).
 */
public final class AlibiSlopes {

    /** The maximum bias of the paper, MPT and llama.cpp. */
    public static final double DEFAULT_MAX_BIAS = 8.0;

    private final float[] slopes;

    private AlibiSlopes(float[] slopes) {
        this.slopes = slopes;
    }

    /** Standard slopes for {@code heads} heads, maximum bias 8. */
    public static AlibiSlopes forHeads(int heads) {
        return forHeads(heads, DEFAULT_MAX_BIAS);
    }

    /** Standard slopes for {@code heads} heads with maximum bias {@code maxBias}. */
    public static AlibiSlopes forHeads(int heads, double maxBias) {
        return forHeadRange(heads, 0, heads, maxBias);
    }

    /**
     * The slopes of heads {@code [offset, offset + count)} of an {@code heads}-head model: the
     * shard a tensor-parallel worker owns (vLLM's {@code alibi_slopes[head_start:head_end]}).
     */
    public static AlibiSlopes forHeadRange(int heads, int offset, int count) {
        return forHeadRange(heads, offset, count, DEFAULT_MAX_BIAS);
    }

    /** As {@link #forHeadRange(int, int, int)} with maximum bias {@code maxBias}. */
    public static AlibiSlopes forHeadRange(int heads, int offset, int count, double maxBias) {
        Arguments.positive("heads", heads);
        if (!(maxBias > 0) || Double.isInfinite(maxBias)) {
            throw new IllegalArgumentException("maxBias must be a positive finite number (was " + maxBias + ")");
        }
        if (offset < 0 || offset >= heads) {
            throw new IllegalArgumentException("offset must be in [0, heads - 1] = [0, " + (heads - 1) + "] (was " + offset + ")");
        }
        if (count < 1 || count > heads - offset) {
            throw new IllegalArgumentException("count must be in [1, heads - offset] = [1, " + (heads - offset) + "] (was " + count + ")");
        }
        int closestPowerOfTwo = Integer.highestOneBit(heads);
        float[] slopes = new float[count];
        for (int n = 0; n < count; n++) {
            int h = offset + n;
            double exponent = h < closestPowerOfTwo
                    ? -maxBias * (h + 1) / closestPowerOfTwo
                    // the odd-numbered slopes of 2c heads: 2^(-B * (2k + 1) / (2c))
                    : -maxBias * (2 * (h - closestPowerOfTwo) + 1) / (2.0 * closestPowerOfTwo);
            slopes[n] = (float) StrictMath.pow(2.0, exponent);
            if (!(slopes[n] > 0)) {
                throw new IllegalArgumentException("maxBias " + maxBias + " is too large: the slope of head " + h
                        + " (2^" + exponent + ") underflows float");
            }
        }
        return new AlibiSlopes(slopes);
    }

    /**
     * BLOOM's slopes for {@code heads} heads, as transformers' {@code build_alibi_tensor} computes them
     * (Falcon's ALiBi models use the same function): the standard rule with maximum bias 8, but with each
     * base rounded to float first and raised to its integer power from there, {@code f32(f32(2^(-8/c))^h)},
     * so a few slopes differ from {@link #forHeads(int)} in the last bit.
     */
    public static AlibiSlopes bloom(int heads) {
        Arguments.positive("heads", heads);
        int closestPowerOfTwo = Integer.highestOneBit(heads);
        float[] slopes = new float[heads];
        double base = (float) StrictMath.pow(2.0, -8.0 / closestPowerOfTwo);
        for (int h = 0; h < closestPowerOfTwo; h++) {
            slopes[h] = (float) StrictMath.pow(base, h + 1);
        }
        double extraBase = (float) StrictMath.pow(2.0, -8.0 / (2 * closestPowerOfTwo));
        for (int h = closestPowerOfTwo; h < heads; h++) {
            slopes[h] = (float) StrictMath.pow(extraBase, 2 * (h - closestPowerOfTwo) + 1);
        }
        return new AlibiSlopes(slopes);
    }

    /**
     * MPT's slopes for {@code heads} heads and maximum bias {@code maxBias} (its {@code alibi_bias_max}), as
     * transformers' {@code build_mpt_alibi_tensor} and MosaicML's code compute them: with {@code p} the
     * smallest power of two {@code >= heads}, the slopes of {@code p} heads are {@code 1 / 2^(h * maxBias / p)}
     * in float; for {@code heads < p} the odd-numbered ones come first, then the even-numbered, cut to
     * {@code heads}. The order differs from {@link #forHeads(int, double)} for non-powers of two.
     */
    public static AlibiSlopes mpt(int heads, double maxBias) {
        Arguments.positive("heads", heads);
        if (!(maxBias > 0) || Double.isInfinite(maxBias)) {
            throw new IllegalArgumentException("maxBias must be a positive finite number (was " + maxBias + ")");
        }
        int powerOfTwo = heads == 1 ? 1 : Integer.highestOneBit(heads - 1) << 1;
        float step = (float) (maxBias / powerOfTwo);
        float[] all = new float[powerOfTwo];
        for (int h = 0; h < powerOfTwo; h++) {
            float exponent = (h + 1) * step; // float arithmetic, as torch's float32 tensor
            all[h] = 1.0f / (float) StrictMath.pow(2.0, exponent);
            if (!(all[h] > 0)) {
                throw new IllegalArgumentException("maxBias " + maxBias + " is too large: the slope of head " + h + " underflows float");
            }
        }
        if (powerOfTwo == heads) {
            return new AlibiSlopes(all);
        }
        float[] slopes = new float[heads];
        int n = 0;
        for (int h = 1; h < powerOfTwo && n < heads; h += 2) {
            slopes[n++] = all[h];
        }
        for (int h = 0; h < powerOfTwo && n < heads; h += 2) {
            slopes[n++] = all[h];
        }
        return new AlibiSlopes(slopes);
    }

    /**
     * Slopes supplied by the caller, e.g. read from a model's weights. Each must be a positive finite
     * float: a head without positional bias belongs past {@code heads} in {@code totalHeads}.
     */
    public static AlibiSlopes of(float... slopes) {
        if (slopes == null || slopes.length == 0) {
            throw new IllegalArgumentException("slopes must hold at least one slope");
        }
        for (int h = 0; h < slopes.length; h++) {
            if (!(slopes[h] > 0) || Float.isInfinite(slopes[h])) {
                throw new IllegalArgumentException("slopes[" + h + "] must be a positive finite number (was " + slopes[h]
                        + "); a head without bias belongs past `heads` in totalHeads");
            }
        }
        return new AlibiSlopes(slopes.clone());
    }

    /** The number of biased heads. */
    public int count() {
        return slopes.length;
    }

    /** The slope of head {@code h}. */
    public float get(int h) {
        if (h < 0 || h >= slopes.length) {
            throw new IndexOutOfBoundsException("head " + h + " is outside [0, " + slopes.length + ")");
        }
        return slopes[h];
    }

    /** A copy of the slopes. */
    public float[] toArray() {
        return slopes.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AlibiSlopes other && Arrays.equals(slopes, other.slopes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(slopes);
    }

    @Override
    public String toString() {
        return "AlibiSlopes" + Arrays.toString(slopes);
    }
}
