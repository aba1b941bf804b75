package org.alibi4j.attention.cpu;

import java.util.Arrays;

import org.alibi4j.attention.AttentionSpec;
import org.alibi4j.attention.HeadTensor;

/**
 * One decode step in two passes over key chunks, each pass split over work items (one key/value head's
 * query group over one chunk of keys), each K and V row read once for all the query heads that share it:
 * <ol>
 *   <li>{@link #score}: the logits of every key, {@code q.k * scale + bias}, into a buffer of the step
 *       ({@code [heads, keys]}), and the largest of each key tile;</li>
 *   <li>{@link #findMax}: each head's largest logit, exactly (a max does not depend on order);</li>
 *   <li>{@link #accumulate}: the softmax weights {@code e^(logit - max)} and the weighted value rows, per
 *       chunk; {@link #merge} adds the chunks and divides by the sum of the weights.</li>
 * </ol>
 * Knowing each head's max before any value row is read is what the online softmax of a single pass does
 * not: a tile whose largest logit is below the max by more than {@link ScalarKernels#NEGLIGIBLE} has
 * weights that all flush to 0, so its value rows would only add zeros and are not read. With ALiBi that
 * is most of a long context for the steep heads, whose bias falls by their slope per key of distance.
 * The result does not depend on it: the same weights, the same sums, in the same order.
 */
final class DecodeSplit {
    /** Fewer keys than this per chunk and the split costs more than it saves. */
    private static final int MIN_CHUNK = 512;
    /** Work items per thread, so that a thread slowed by other work is caught up on. */
    private static final int ITEMS_PER_THREAD = 4;

    private final AttentionSpec spec;
    private final int position;
    private final int keys;
    private final int tile;
    private final int tiles;
    private final int chunks;
    private final int chunkLength;
    private final boolean floatForm;
    /** {@code [heads, keys]}: the logits after {@link #score}, the weights after {@link #accumulate}. */
    private final float[] logits;
    private final float[] tileMax;
    private final float[] max;
    private final float[] partialSum;
    private final float[] partialOutput;

    /** A step at {@code position} (keys {@code 0 .. position}), its logits in {@code logits} (at least {@code heads * keys}). */
    DecodeSplit(AttentionSpec spec, int position, int threads, int keyTile, float[] logits) {
        this.spec = spec;
        this.position = position;
        this.keys = position + 1;
        this.tile = keyTile;
        this.tiles = ceilDiv(keys, tile);
        int wanted = Math.max(1, ceilDiv(threads * ITEMS_PER_THREAD, spec.kvHeads()));
        int split = Math.max(1, Math.min(wanted, keys / MIN_CHUNK));
        // whole tiles per chunk, so that tile t covers keys [t * tile, (t + 1) * tile) whichever chunk holds it
        this.chunkLength = ceilDiv(tiles, split) * tile;
        this.chunks = ceilDiv(keys, chunkLength);
        this.floatForm = ExactBias.floatFormIsExact(1, keys);
        this.logits = logits;
        this.tileMax = new float[spec.totalHeads() * tiles];
        this.max = new float[spec.totalHeads()];
        int rows = spec.kvHeads() * chunks * spec.groupSize();
        this.partialSum = new float[rows];
        this.partialOutput = new float[rows * spec.headDim()];
    }

    /** The floats {@code logits} must hold for a step over {@code keys} keys. */
    static long logitsLength(AttentionSpec spec, int keys) {
        return (long) spec.totalHeads() * keys;
    }

    int items() {
        return spec.kvHeads() * chunks;
    }

    /** The first key of item {@code item}'s chunk. */
    private int firstKey(int item) {
        return item % chunks * chunkLength;
    }

    /** One past the last key of item {@code item}'s chunk. */
    private int endKey(int item) {
        return Math.min(keys, firstKey(item) + chunkLength);
    }

    /** Pass 1 of item {@code item} (key/value head {@code item / chunks}, chunk {@code item % chunks}): logits and tile maxima. */
    void score(AttentionKernels kernels, HeadTensor q, HeadTensor k, int item, Scratch s) {
        int g = item / chunks;
        int first = firstKey(item);
        int end = endKey(item);
        int group = spec.groupSize();
        int d = spec.headDim();
        int h0 = g * group;
        s.forDecode(group, tile, d);
        for (int hh = 0; hh < group; hh++) {
            q.readRow(h0 + hh, 0, s.queries, hh * d);
        }
        // one query head per key/value head and the keys held as halves: the kernel widens a few rows at a
        // time as it goes; otherwise a tile is read in place or staged once for all the group's heads
        short[] halves = group == 1 ? k.heapHalves() : null;
        RowSource rows = new RowSource();
        for (int k0 = first; k0 < end; k0 += tile) {
            int count = Math.min(tile, end - k0);
            if (halves != null) {
                kernels.decodeScores(s.queries, d, halves, (int) k.index(g, k0), (int) k.rowStride(), count, logits, h0 * keys + k0, s.keys);
            } else {
                touchNextTile(k, g, k0 + tile, end, s);
                rows.at(k, g, k0, count, s.keys, kernels);
                kernels.decodeScores(s.queries, group, d, rows.array, rows.base, rows.stride, count, logits, h0 * keys + k0, keys);
            }
            for (int h = h0; h < h0 + group; h++) {
                tileMax[h * tiles + k0 / tile] = logits(kernels, h, k0, count);
            }
        }
    }

    /** Head {@code h}'s logits of keys {@code [k0, k0 + count)}, in place from its scores; returns their largest. */
    private float logits(AttentionKernels kernels, int h, int k0, int count) {
        int at = h * keys + k0;
        float slope = spec.slopeOf(h);
        if (floatForm) {
            return kernels.decodeLogits(logits, at, count, spec.scale(), slope, k0, position);
        }
        float largest = Float.NEGATIVE_INFINITY;
        for (int kk = 0; kk < count; kk++) {
            float logit = logits[at + kk] * spec.scale() + ExactBias.of(slope, k0 + kk, position);
            logits[at + kk] = logit;
            largest = Math.max(largest, logit);
        }
        return largest;
    }

    /** Between the passes: each head's largest logit. */
    void findMax() {
        for (int h = 0; h < spec.totalHeads(); h++) {
            float largest = Float.NEGATIVE_INFINITY;
            for (int t = 0; t < tiles; t++) {
                largest = Math.max(largest, tileMax[h * tiles + t]);
            }
            max[h] = largest;
        }
    }

    /** Pass 2 of item {@code item}: the weights and the weighted value rows of its chunk, skipping tiles whose weights are all 0. */
    void accumulate(AttentionKernels kernels, HeadTensor v, int item, Scratch s) {
        int g = item / chunks;
        int first = firstKey(item);
        int end = endKey(item);
        int group = spec.groupSize();
        int d = spec.headDim();
        int h0 = g * group;
        s.forDecode(group, tile, d);
        Arrays.fill(s.output, 0, group * d, 0.0f);
        Arrays.fill(s.sum, 0, group, 0.0f);
        short[] halves = group == 1 ? v.heapHalves() : null;
        RowSource rows = new RowSource();
        for (int k0 = first; k0 < end; k0 += tile) {
            if (negligible(h0, group, k0 / tile)) {
                continue;
            }
            int count = Math.min(tile, end - k0);
            if (halves == null) {
                touchNextTile(v, g, k0 + tile, end, s);
            }
            for (int hh = 0; hh < group; hh++) {
                int h = h0 + hh;
                s.sum[hh] += kernels.decodeWeights(logits, h * keys + k0, count, max[h]);
            }
            if (halves != null) {
                kernels.decodeAccumulate(logits, h0 * keys + k0, d, halves, (int) v.index(g, k0), (int) v.rowStride(), count, s.output, s.values);
            } else {
                rows.at(v, g, k0, count, s.values, kernels);
                kernels.decodeAccumulate(logits, h0 * keys + k0, keys, group, d, rows.array, rows.base, rows.stride, count, s.output);
            }
        }
        int row = item * group; // (g * chunks + chunk) * group
        System.arraycopy(s.sum, 0, partialSum, row, group);
        System.arraycopy(s.output, 0, partialOutput, row * d, group * d);
    }

    /** Whether every weight of tile {@code t} of heads {@code [h0, h0 + group)} flushes to 0 (so its values add nothing). */
    private boolean negligible(int h0, int group, int t) {
        for (int h = h0; h < h0 + group; h++) {
            if (!(tileMax[h * tiles + t] - max[h] < ScalarKernels.NEGLIGIBLE)) { // NaN: not negligible
                return false;
            }
        }
        return true;
    }

    /**
     * Reads one element of every cache line of the next tile's rows (keys {@code [first, first + tile)},
     * not past {@code end}) before the kernels compute on this one: Java has no prefetch instruction, and
     * these loads, independent of each other and of the computing, put the next tile's lines in flight
     * while the current one is computed on. Without them the hardware fetched a tile only when the kernels
     * reached it, and the computing (a group's heads on each row, or widening) and the memory's latency
     * added up instead of overlapping. Only for rows in a heap {@code float[]} or {@code short[]} that the
     * kernels stage (the one-head halves kernels, which widen a few rows at a time, ran slower with it).
     * The loads are summed as floats on purpose: the chain of additions paces them a few cycles apart. Or-ing
     * their bits instead, which lets them all go at once, was faster from the L3 cache but made D1 (32K keys,
     * from memory) a third slower (bench/attention/RESULTS.md).
     */
    private void touchNextTile(HeadTensor t, int g, int first, int end, Scratch s) {
        int rows = Math.min(end, first + tile) - first;
        if (rows <= 0) {
            return;
        }
        float[] floats = t.heapFloats();
        short[] halves = t.heapHalves();
        int d = t.dim();
        int stride = (int) t.rowStride();
        // contiguous rows: one run of lines; rows of a position-major cache: each row's own lines
        int runs = stride == d ? 1 : rows;
        int length = stride == d ? rows * d : d;
        int from = (int) t.index(g, first);
        float sum = 0;
        for (int run = 0; run < runs; run++, from += stride) {
            if (floats != null) {
                for (int i = from; i < from + length; i += FLOATS_PER_LINE) {
                    sum += floats[i];
                }
            } else if (halves != null) {
                for (int i = from; i < from + length; i += 2 * FLOATS_PER_LINE) {
                    sum += halves[i];
                }
            }
        }
        s.touched = sum; // kept, so that the loads are not dead code
    }

    /** Floats in a 64-byte cache line. */
    private static final int FLOATS_PER_LINE = 16;

    /** Adds the chunks of every query head, in chunk order, and writes the normalised rows to {@code out}. */
    void merge(HeadTensor out, float[] row) {
        int group = spec.groupSize();
        int d = spec.headDim();
        for (int h = 0; h < spec.totalHeads(); h++) {
            int g = h / group;
            int hh = h % group;
            Arrays.fill(row, 0, d, 0.0f);
            float sum = 0;
            for (int chunk = 0; chunk < chunks; chunk++) {
                int at = (g * chunks + chunk) * group + hh;
                sum += partialSum[at];
                for (int c = 0; c < d; c++) {
                    row[c] += partialOutput[at * d + c];
                }
            }
            for (int c = 0; c < d; c++) {
                row[c] /= sum;
            }
            out.writeRow(h, 0, row, 0);
        }
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
