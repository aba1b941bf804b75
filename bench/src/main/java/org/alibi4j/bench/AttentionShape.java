package org.alibi4j.bench;

import org.alibi4j.AlibiSlopes;
import org.alibi4j.BiasForm;
import org.alibi4j.attention.AttentionSpec;

/**
 * The attention shapes of the issue "Fused ALiBi attention on the CPU", by name: what the attention
 * benchmarks take as {@code @Param shape}, what {@link Report} turns into FLOPs and bytes, and what
 * {@code scripts/pytorch_peer.py --attention} measures under the same names.
 *
 * <p>Prefill shapes have {@code i} queries over {@code j} keys; decode shapes are one query at position
 * {@code j - 1} over a cache of {@code j} keys ({@code i = 1}).
 *
 * @param heads   query heads ({@code T}), all biased
 * @param kvHeads key/value heads ({@code G})
 * @param i       queries
 * @param j       keys
 * @param d       elements per head vector
 * @param causal  whether keys after a query's position are masked
 */
record AttentionShape(String name, int heads, int kvHeads, int i, int j, int d, boolean causal) {

    /** P1: causal prefill, 32 heads, 2048 x 2048, d = 128. */
    static final AttentionShape P1 = new AttentionShape("P1", 32, 32, 2048, 2048, 128, true);
    /** P2: P1 with 8 key/value heads (GQA, 4 query heads per KV head). */
    static final AttentionShape P2 = new AttentionShape("P2", 32, 8, 2048, 2048, 128, true);
    /** P3: symmetric prefill, 16 heads, 512 x 512, d = 64. */
    static final AttentionShape P3 = new AttentionShape("P3", 16, 16, 512, 512, 64, false);
    /** D1: one decode step of 32 heads over 32768 keys, d = 128. */
    static final AttentionShape D1 = new AttentionShape("D1", 32, 32, 1, 32768, 128, true);
    /** D2: D1 with 8 key/value heads. */
    static final AttentionShape D2 = new AttentionShape("D2", 32, 8, 1, 32768, 128, true);
    /** A small causal GQA prefill that proves the benchmark runs (the suite's ci mode). */
    static final AttentionShape TINY_PREFILL = new AttentionShape("TINY", 4, 2, 128, 128, 64, true);
    /** A small decode step that proves the benchmark runs (the suite's ci mode). */
    static final AttentionShape TINY_DECODE = new AttentionShape("TINY", 4, 2, 1, 1024, 64, true);

    static AttentionShape prefill(String name) {
        return switch (name) {
            case "P1" -> P1;
            case "P2" -> P2;
            case "P3" -> P3;
            case "TINY" -> TINY_PREFILL;
            default -> throw new IllegalArgumentException("prefill shape must be P1, P2, P3 or TINY (was '" + name + "')");
        };
    }

    static AttentionShape decode(String name) {
        return switch (name) {
            case "D1" -> D1;
            case "D2" -> D2;
            case "TINY" -> TINY_DECODE;
            default -> throw new IllegalArgumentException("decode shape must be D1, D2 or TINY (was '" + name + "')");
        };
    }

    /**
     * The FLOP count of a prefill: {@code 4 T i j d} (two multiply-adds per score and per output
     * element), halved for a causal mask.
     */
    double prefillFlops() {
        double flops = 4.0 * heads * i * j * d;
        return causal ? flops / 2 : flops;
    }

    /** The bytes of K and V a decode step reads, each key/value head once. */
    long decodeBytes(int bytesPerElement) {
        return 2L * kvHeads * j * d * bytesPerElement;
    }

    /** What the shape computes: every head biased, the default scale, causal or symmetric. */
    AttentionSpec spec() {
        return new AttentionSpec(AlibiSlopes.forHeads(heads), heads, kvHeads, d, AttentionSpec.defaultScale(d),
                causal ? BiasForm.CAUSAL : BiasForm.SYMMETRIC);
    }

    /** E.g. {@code "32 heads (8 KV), 2048 x 2048, d = 128, causal"}. */
    String describe() {
        return heads + " heads" + (kvHeads == heads ? "" : " (" + kvHeads + " KV)") + ", "
                + (i == 1 ? "1 query over " + j + " keys" : i + " x " + j) + ", d = " + d + (causal ? ", causal" : ", symmetric");
    }
}
