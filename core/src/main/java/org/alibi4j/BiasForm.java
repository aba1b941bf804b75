package org.alibi4j;

/** Which bias a tensor holds. */
public enum BiasForm {
    /**
     * {@code bias[h][q][k] = -slope[h] * |k - (j - i + q)|}: x-transformers' {@code AlibiPositionalBias}, for
     * every key, past and future (ALIBI.md, "The bias tensor").
     */
    SYMMETRIC,
    /**
     * The symmetric bias for keys at or before the query position, {@code -inf} for future keys
     * ({@code k > j - i + q}). Where it is finite it equals the signed form of BLOOM, MPT and fairseq,
     * {@code -slope * (qpos - k)}, with their causal mask applied; heads without a slope carry {@code 0}
     * and the same mask.
     */
    CAUSAL
}
