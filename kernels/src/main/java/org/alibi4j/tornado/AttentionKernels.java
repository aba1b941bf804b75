package org.alibi4j.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Fused ALiBi attention, {@code softmax(scale * Q K^T + bias) V} with the bias computed in the kernel and
 * no score ever stored: plain Java that TornadoVM compiles for a device and that tests call directly.
 *
 * <p>Every kernel here is the online softmax of FlashAttention 2 done by one work-item over its keys:
 * a running maximum {@code m}, a running sum {@code l} and an unnormalised output row; when a key's score
 * exceeds {@code m}, the sum and the row are rescaled by {@code exp(m_old - m_new)}. The output row is
 * accumulated in place in global memory (no private arrays: {@code d} is any size). Keys are visited
 * nearest first (from the query's position outwards, last key first): ALiBi's bias is largest near the
 * query, so the maximum is found early and the rescaling rarely runs again.
 *
 * <p>The bias is {@link AlibiKernels#bias}, the very function {@code fill_bias} runs: the integer distance
 * converted to float times the float slope, the bits of {@code forward} at every position (also beyond
 * 2^24, where the CPU backend switches to the integer form for the same reason). Queries, keys and values
 * are float; K and V are read through a layout ({@code offset + g * headStride + key * rowStride + c}),
 * so an engine's position-major KV cache, or one layer of it, is read where it lies. {@link #prefillHalf}
 * and {@link #decodeSplitHalf} are the same kernels over K and V in halves (widened exactly to float on
 * load; the device needs fp16, e.g. OpenCL's {@code cl_khr_fp16}).
 *
 * <p>Launch contracts (TornadoVM maps the outermost {@code @Parallel} loop to work dimension 0):
 * <ul>
 *   <li>{@link #prefillTiled} ({@code KernelContext}, head dimensions up to {@link #TILE_HEAD_DIM}): global
 *       {@code [ceil(i / TILE_QUERIES) * TILE_QUERIES, totalHeads]}, local {@code [TILE_QUERIES, 1]}, so a
 *       work-group is {@link #TILE_QUERIES} consecutive queries of one head. The group loads each tile of
 *       {@link #TILE_KEYS} key and value rows into local memory once (32 KiB), and every work-item runs its
 *       online softmax over the tile from there; its output row is a private array. It reads each key
 *       and value row from global memory once per work-group instead of once per work-item, so the
 *       backend uses it wherever {@code d <= TILE_HEAD_DIM}.</li>
 *   <li>{@link #prefill}: 2D {@code [i, totalHeads]}, one work-item per (query, head); dimension 0 runs
 *       over the queries of one head, so neighbouring work-items read the same key and value rows at the
 *       same time.</li>
 *   <li>{@link #decodeSplit}: 2D {@code [chunks, totalHeads]}, one work-item per (key chunk, query head),
 *       each writing one partial (max, sum, unnormalised row); {@link #decodeMerge}: 2D {@code [d, totalHeads]},
 *       one work-item per output element (neighbouring work-items write neighbouring floats), combining
 *       the chunks as the online softmax combines key blocks. Parallel over query heads rather than
 *       key/value heads: {@code group} times the work-items, each with one row to accumulate; the heads of a
 *       group read the same K/V rows and share them through the cache.</li>
 * </ul>
 */
public final class AttentionKernels {
    /** The largest head dimension {@link #prefillTiled} serves: its tiles and private row are this long. */
    public static final int TILE_HEAD_DIM = 128;
    /** Queries per work-group of {@link #prefillTiled}: its local work size. */
    public static final int TILE_QUERIES = 32;
    /** Key (and value) rows per tile of {@link #prefillTiled}. */
    public static final int TILE_KEYS = 32;

    private AttentionKernels() {
    }

    /**
     * Prefill: {@code out[h, r] = softmax(scale * q[h, r] . K[g]^T + bias[h, r]) V[g]} with
     * {@code g = h / group}, the {@code i} queries the last {@code i} of the {@code j} keys. Dense
     * {@code q} and {@code out} ({@code [totalHeads, i, d]}); K and V at {@code kvOffset + g * kvHeadStride
     * + key * kvRowStride}. A causal query sees keys up to its position; one that sees none outputs zeros.
     *
     * @param slopes the first {@code heads} entries are the biased heads' slopes
     * @param causal 1 to exclude keys after each query's position, 0 for the symmetric form
     */
    public static void prefill(FloatArray slopes, FloatArray q, FloatArray k, FloatArray v, FloatArray out,
                               int heads, int totalHeads, int group, int i, int j, int d, float scale, int causal,
                               int kvOffset, int kvHeadStride, int kvRowStride) {
        for (@Parallel int row = 0; row < i; row++) {
            for (@Parallel int h = 0; h < totalHeads; h++) {
                int queryPosition = j - i + row;
                int end = causal == 1 ? Math.min(j, queryPosition + 1) : j; // <= 0: the query sees no key
                int kvBase = kvOffset + h / group * kvHeadStride;
                int base = (h * i + row) * d;
                for (int c = 0; c < d; c++) {
                    out.set(base + c, 0.0f);
                }
                float max = Float.NEGATIVE_INFINITY;
                float sum = 0.0f;
                for (int key = end - 1; key >= 0; key--) {
                    int keyRow = kvBase + key * kvRowStride;
                    float dot = 0.0f;
                    for (int c = 0; c < d; c++) {
                        dot += q.get(base + c) * k.get(keyRow + c);
                    }
                    float score = dot * scale + AlibiKernels.bias(slopes, heads, i, j, 0, h, row, key);
                    if (score > max) { // the first key, or a larger score: rescale what was summed so far
                        float alpha = (float) Math.exp(max - score); // exp(-inf) = 0 for the first key
                        sum *= alpha;
                        for (int c = 0; c < d; c++) {
                            out.set(base + c, out.get(base + c) * alpha);
                        }
                        max = score;
                    }
                    float weight = (float) Math.exp(score - max);
                    sum += weight;
                    for (int c = 0; c < d; c++) {
                        out.set(base + c, out.get(base + c) + weight * v.get(keyRow + c));
                    }
                }
                for (int c = 0; c < d; c++) {
                    out.set(base + c, sum == 0.0f ? 0.0f : out.get(base + c) / sum); // no visible key: +0.0
                }
            }
        }
    }

    /**
     * {@link #prefill} by work-groups sharing key tiles in local memory; launch as the class comment says
     * ({@link AlibiTasks#prefillAttentionTiled} registers the grid). Needs {@code d <= TILE_HEAD_DIM}. Every
     * work-item of a group passes the same barriers: the tile range is the group's (its last query's visible
     * keys), and each work-item skips the keys it cannot see and, past {@code i}, all of them.
     */
    public static void prefillTiled(KernelContext context, FloatArray slopes, FloatArray q, FloatArray k, FloatArray v,
                                    FloatArray out, int heads, int totalHeads, int group, int i, int j, int d, float scale,
                                    int causal, int kvOffset, int kvHeadStride, int kvRowStride) {
        float[] keyTile = context.allocateFloatLocalArray(TILE_KEYS * TILE_HEAD_DIM);
        float[] valueTile = context.allocateFloatLocalArray(TILE_KEYS * TILE_HEAD_DIM);
        float[] row = new float[TILE_HEAD_DIM];
        int query = context.globalIdx;
        int h = context.globalIdy;
        int local = context.localIdx;
        int groupLast = Math.min(i, context.groupIdx * TILE_QUERIES + TILE_QUERIES) - 1;
        int keyEnd = causal == 1 ? Math.min(j, j - i + groupLast + 1) : j; // keys the group's last query sees
        int queryPosition = j - i + query;
        int visibleEnd = causal == 1 ? Math.min(j, queryPosition + 1) : j;
        int kvBase = kvOffset + h / group * kvHeadStride;
        int base = (h * i + query) * d;
        for (int c = 0; c < d; c++) {
            row[c] = 0.0f;
        }
        float max = Float.NEGATIVE_INFINITY;
        float sum = 0.0f;
        int tiles = keyEnd <= 0 ? 0 : (keyEnd + TILE_KEYS - 1) / TILE_KEYS;
        for (int tile = tiles - 1; tile >= 0; tile--) { // nearest first, as in prefill
            int k0 = tile * TILE_KEYS;
            int count = Math.min(TILE_KEYS, keyEnd - k0);
            for (int n = local; n < count * d; n += TILE_QUERIES) {
                int kk = n / d;
                int c = n - kk * d;
                int from = kvBase + (k0 + kk) * kvRowStride + c;
                keyTile[kk * TILE_HEAD_DIM + c] = k.get(from);
                valueTile[kk * TILE_HEAD_DIM + c] = v.get(from);
            }
            context.localBarrier();
            if (query < i) {
                for (int kk = count - 1; kk >= 0; kk--) {
                    int key = k0 + kk;
                    if (key < visibleEnd) {
                        float dot = 0.0f;
                        for (int c = 0; c < d; c++) {
                            dot += q.get(base + c) * keyTile[kk * TILE_HEAD_DIM + c];
                        }
                        float score = dot * scale + AlibiKernels.bias(slopes, heads, i, j, 0, h, query, key);
                        if (score > max) {
                            float alpha = (float) Math.exp(max - score);
                            sum *= alpha;
                            for (int c = 0; c < d; c++) {
                                row[c] *= alpha;
                            }
                            max = score;
                        }
                        float weight = (float) Math.exp(score - max);
                        sum += weight;
                        for (int c = 0; c < d; c++) {
                            row[c] += weight * valueTile[kk * TILE_HEAD_DIM + c];
                        }
                    }
                }
            }
            context.localBarrier(); // the tile is read by all before the next one overwrites it
        }
        if (query < i) {
            for (int c = 0; c < d; c++) {
                out.set(base + c, sum == 0.0f ? 0.0f : row[c] / sum); // no visible key: +0.0
            }
        }
    }

    /**
     * One decode step, first of two tasks: the query of each head ({@code q}, dense {@code [totalHeads, d]})
     * at position {@code p = position.get(0)} over keys {@code 0 .. p}, split into {@code chunks} chunks of
     * {@code ceil((p + 1) / chunks)} keys. Work-item (chunk, h) leaves its running max, sum and unnormalised
     * row at {@code h * chunks + chunk} of {@code partialMax}, {@code partialSum} and ({@code d} floats apart)
     * {@code partialOut}; a chunk past the last key leaves {@code -inf}, 0 and zeros. The position is read
     * on the device, so one compiled kernel serves every step (TornadoVM compiles scalars in as constants).
     */
    public static void decodeSplit(FloatArray slopes, FloatArray q, FloatArray k, FloatArray v, IntArray position,
                                   FloatArray partialMax, FloatArray partialSum, FloatArray partialOut,
                                   int heads, int totalHeads, int group, int d, float scale, int chunks,
                                   int kvOffset, int kvHeadStride, int kvRowStride) {
        for (@Parallel int chunk = 0; chunk < chunks; chunk++) {
            for (@Parallel int h = 0; h < totalHeads; h++) {
                int p = position.get(0);
                int length = (p + chunks) / chunks; // ceil((p + 1) / chunks)
                int first = chunk * length;
                int end = Math.min(p + 1, first + length);
                int kvBase = kvOffset + h / group * kvHeadStride;
                int item = h * chunks + chunk;
                int base = item * d;
                int queryBase = h * d;
                for (int c = 0; c < d; c++) {
                    partialOut.set(base + c, 0.0f);
                }
                float max = Float.NEGATIVE_INFINITY;
                float sum = 0.0f;
                for (int key = end - 1; key >= first; key--) {
                    int keyRow = kvBase + key * kvRowStride;
                    float dot = 0.0f;
                    for (int c = 0; c < d; c++) {
                        dot += q.get(queryBase + c) * k.get(keyRow + c);
                    }
                    float score = dot * scale + AlibiKernels.bias(slopes, heads, 1, p + 1, 0, h, 0, key);
                    if (score > max) { // as in prefill
                        float alpha = (float) Math.exp(max - score);
                        sum *= alpha;
                        for (int c = 0; c < d; c++) {
                            partialOut.set(base + c, partialOut.get(base + c) * alpha);
                        }
                        max = score;
                    }
                    float weight = (float) Math.exp(score - max);
                    sum += weight;
                    for (int c = 0; c < d; c++) {
                        partialOut.set(base + c, partialOut.get(base + c) + weight * v.get(keyRow + c));
                    }
                }
                partialMax.set(item, max);
                partialSum.set(item, sum);
            }
        }
    }

    /** {@link #prefill} over K and V in halves: the same launch. */
    public static void prefillHalf(FloatArray slopes, FloatArray q, HalfFloatArray k, HalfFloatArray v, FloatArray out,
                               int heads, int totalHeads, int group, int i, int j, int d, float scale, int causal,
                               int kvOffset, int kvHeadStride, int kvRowStride) {
        for (@Parallel int row = 0; row < i; row++) {
            for (@Parallel int h = 0; h < totalHeads; h++) {
                int queryPosition = j - i + row;
                int end = causal == 1 ? Math.min(j, queryPosition + 1) : j; // <= 0: the query sees no key
                int kvBase = kvOffset + h / group * kvHeadStride;
                int base = (h * i + row) * d;
                for (int c = 0; c < d; c++) {
                    out.set(base + c, 0.0f);
                }
                float max = Float.NEGATIVE_INFINITY;
                float sum = 0.0f;
                for (int key = end - 1; key >= 0; key--) {
                    int keyRow = kvBase + key * kvRowStride;
                    float dot = 0.0f;
                    for (int c = 0; c < d; c++) {
                        dot += q.get(base + c) * k.get(keyRow + c).getFloat32();
                    }
                    float score = dot * scale + AlibiKernels.bias(slopes, heads, i, j, 0, h, row, key);
                    if (score > max) { // the first key, or a larger score: rescale what was summed so far
                        float alpha = (float) Math.exp(max - score); // exp(-inf) = 0 for the first key
                        sum *= alpha;
                        for (int c = 0; c < d; c++) {
                            out.set(base + c, out.get(base + c) * alpha);
                        }
                        max = score;
                    }
                    float weight = (float) Math.exp(score - max);
                    sum += weight;
                    for (int c = 0; c < d; c++) {
                        out.set(base + c, out.get(base + c) + weight * v.get(keyRow + c).getFloat32());
                    }
                }
                for (int c = 0; c < d; c++) {
                    out.set(base + c, sum == 0.0f ? 0.0f : out.get(base + c) / sum); // no visible key: +0.0
                }
            }
        }
    }

    /** {@link #decodeSplit} over K and V caches in halves: the same launch, merged by {@link #decodeMerge}. */
    public static void decodeSplitHalf(FloatArray slopes, FloatArray q, HalfFloatArray k, HalfFloatArray v, IntArray position,
                                   FloatArray partialMax, FloatArray partialSum, FloatArray partialOut,
                                   int heads, int totalHeads, int group, int d, float scale, int chunks,
                                   int kvOffset, int kvHeadStride, int kvRowStride) {
        for (@Parallel int chunk = 0; chunk < chunks; chunk++) {
            for (@Parallel int h = 0; h < totalHeads; h++) {
                int p = position.get(0);
                int length = (p + chunks) / chunks; // ceil((p + 1) / chunks)
                int first = chunk * length;
                int end = Math.min(p + 1, first + length);
                int kvBase = kvOffset + h / group * kvHeadStride;
                int item = h * chunks + chunk;
                int base = item * d;
                int queryBase = h * d;
                for (int c = 0; c < d; c++) {
                    partialOut.set(base + c, 0.0f);
                }
                float max = Float.NEGATIVE_INFINITY;
                float sum = 0.0f;
                for (int key = end - 1; key >= first; key--) {
                    int keyRow = kvBase + key * kvRowStride;
                    float dot = 0.0f;
                    for (int c = 0; c < d; c++) {
                        dot += q.get(queryBase + c) * k.get(keyRow + c).getFloat32();
                    }
                    float score = dot * scale + AlibiKernels.bias(slopes, heads, 1, p + 1, 0, h, 0, key);
                    if (score > max) { // as in prefill
                        float alpha = (float) Math.exp(max - score);
                        sum *= alpha;
                        for (int c = 0; c < d; c++) {
                            partialOut.set(base + c, partialOut.get(base + c) * alpha);
                        }
                        max = score;
                    }
                    float weight = (float) Math.exp(score - max);
                    sum += weight;
                    for (int c = 0; c < d; c++) {
                        partialOut.set(base + c, partialOut.get(base + c) + weight * v.get(keyRow + c).getFloat32());
                    }
                }
                partialMax.set(item, max);
                partialSum.set(item, sum);
            }
        }
    }

    /**
     * One decode step, second task: {@code out[h, c]} (dense {@code [totalHeads, d]}) from the chunks'
     * partials, each weighted by {@code exp(its max - the largest max)}; an empty chunk weighs 0.
     */
    public static void decodeMerge(FloatArray partialMax, FloatArray partialSum, FloatArray partialOut, FloatArray out,
                                   int totalHeads, int d, int chunks) {
        for (@Parallel int c = 0; c < d; c++) {
            for (@Parallel int h = 0; h < totalHeads; h++) {
                float max = Float.NEGATIVE_INFINITY;
                for (int chunk = 0; chunk < chunks; chunk++) {
                    max = Math.max(max, partialMax.get(h * chunks + chunk));
                }
                float sum = 0.0f;
                float value = 0.0f;
                for (int chunk = 0; chunk < chunks; chunk++) {
                    int item = h * chunks + chunk;
                    float weight = (float) Math.exp(partialMax.get(item) - max);
                    sum += partialSum.get(item) * weight;
                    value += partialOut.get(item * d + c) * weight;
                }
                out.set(h * d + c, value / sum);
            }
        }
    }
}
