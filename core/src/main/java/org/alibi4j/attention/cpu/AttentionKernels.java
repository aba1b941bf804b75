package org.alibi4j.attention.cpu;

/**
 * The inner loops of the CPU attention backend, over tiles in scratch arrays; {@link PrefillTile} and
 * {@link DecodeSplit} drive them. Two implementations: {@link ScalarKernels} (plain Java, loops C2
 * vectorises where it can) and {@code VectorKernels} (the Vector API, register-blocked), chosen once
 * by {@link Vectorization}.
 *
 * <p>Prefill tiles are laid out with the queries as the fast dimension, so one vector holds one value
 * of many queries: {@code qt[c * bq + r]} is element {@code c} of query {@code r}, the scores are
 * {@code st[kk * bq + r]} and the output accumulators {@code ot[c * bq + r]}. Key and value rows are
 * broadcast from tiles whose rows lie {@link #tileRowStride()} floats apart ({@code k[kBase + kk * stride + c]}),
 * read in place where the tensor already has that stride; head dims wider than the stride come in
 * column chunks {@code [c0, c0 + width)}.
 *
 * <p>Decode holds one query per head, {@code qv[hh * d + c]}, and accumulators {@code o[hh * d + c]};
 * a step's scores are rows of a buffer, one per query head ({@code s[sBase + hh * sStride + kk]}).
 */
interface AttentionKernels {

    /** What runs, for {@code info} and the log, e.g. {@code "Vector API, 512-bit"}. */
    String describe();

    /** Queries per prefill tile: a multiple of the vector length. */
    int queryTile();

    /** Keys per tile. */
    int keyTile();

    /**
     * The row stride of prefill key and value tiles, in floats: a constant the kernels are compiled for,
     * or 0 where they take any (then rows are {@code width} apart when staged and chunks are whole rows).
     */
    int tileRowStride();

    /**
     * {@code st[kk * bq + r] (+)= sum_c qt[(c0 + c) * bq + r] * k[kBase + kk * kStride + c]} for {@code c < width},
     * {@code kk < keys}; {@code kStride} is {@link #tileRowStride()} where that is not 0. The first chunk
     * ({@code c0 = 0}) sets the scores, later ones add to them.
     */
    void scores(float[] qt, int bq, int c0, int width, float[] k, int kBase, int kStride, int keys, float[] st);

    /**
     * Turns the raw scores of a prefill tile into softmax weights in place, updating the running max
     * {@code m} and sum {@code l} and leaving in {@code alpha} the factor that rescales what was
     * accumulated before. Score {@code (kk, r)} becomes {@code s * scale + (0 - slope * |key - qpos[r]|)},
     * {@code key = firstKey + kk}; where {@code masked}, keys after {@code qpos[r]} are {@code -inf}.
     *
     * <p>Returns false, leaving {@code m} and {@code l} as they were, when every weight of the tile would be 0:
     * each query's largest score is below {@code e^}{@link ScalarKernels#NEGLIGIBLE} of a max it has seen
     * already, so the weights flush to 0 and {@code alpha} would be 1. The caller then skips
     * {@link #accumulate}, which would only have added zeros. With keys visited nearest first this is
     * most of a long row for ALiBi's steep heads.
     */
    boolean softmax(float[] st, int bq, int keys, float scale, float slope, float firstKey, float[] qpos, boolean masked,
                    float[] m, float[] l, float[] alpha);

    /**
     * {@code ot[(c0 + c) * bq + r] = ot[(c0 + c) * bq + r] * alpha[r] + sum_kk p[kk * bq + r] * v[vBase + kk * vStride + c]}
     * for {@code c < width}: the output columns of one chunk; {@code vStride} as {@code kStride} of {@link #scores}.
     */
    void accumulate(float[] p, int bq, int c0, int width, float[] v, int vBase, int vStride, int keys, float[] alpha, float[] ot);

    /**
     * {@code s[sBase + hh * sStride + kk] = sum_c qv[hh * d + c] * k[kBase + kk * kStride + c]} for
     * {@code hh < heads, kk < keys}: a decode step's raw scores of {@code heads} query heads that share the
     * key rows.
     */
    void decodeScores(float[] qv, int heads, int d, float[] k, int kBase, int kStride, int keys, float[] s, int sBase, int sStride);

    /**
     * {@link #decodeScores} of one query head ({@code s[sBase + kk]}) over keys held as halves, widened as
     * {@code Float.float16ToFloat} does; {@code staging} holds at least {@link #keyTile()} rows of {@code d} floats.
     */
    void decodeScores(float[] qv, int d, short[] k, int kBase, int kStride, int keys, float[] s, int sBase, float[] staging);

    /**
     * Turns raw scores into logits in place, {@code s[at + kk] = s[at + kk] * scale + (0 - slope * |firstKey + kk - position|)},
     * and returns their largest (the bias as {@code forward} computes it while positions are exact floats).
     */
    float decodeLogits(float[] s, int at, int keys, float scale, float slope, float firstKey, float position);

    /**
     * Turns logits into softmax weights in place, {@code s[at + kk] = e^(s[at + kk] - max)} (0 below
     * {@code e^}{@link ScalarKernels#NEGLIGIBLE}), and returns their sum, added in a fixed order.
     */
    float decodeWeights(float[] s, int at, int keys, float max);

    /**
     * {@code o[hh * d + c] += sum_kk p[pBase + hh * pStride + kk] * v[vBase + kk * vStride + c]} for
     * {@code hh < heads}: the weighted value rows of {@code heads} query heads that share them.
     */
    void decodeAccumulate(float[] p, int pBase, int pStride, int heads, int d, float[] v, int vBase, int vStride, int keys, float[] o);

    /** {@link #decodeAccumulate} of one query head over values held as halves; {@code staging} as above. */
    void decodeAccumulate(float[] p, int pBase, int d, short[] v, int vBase, int vStride, int keys, float[] o, float[] staging);

    /** {@code dst[to + c] = Float.float16ToFloat(src[from + c])} for {@code c < n}, bit for bit. */
    void widen(short[] src, int from, float[] dst, int to, int n);
}
