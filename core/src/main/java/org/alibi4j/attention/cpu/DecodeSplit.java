package org.alibi4j.attention.cpu;

import java.util.Arrays;

import org.alibi4j.attention.AttentionSpec;
import org.alibi4j.attention.HeadTensor;

/**
 * One decode step split over key chunks (flash-decoding): each work item runs the online softmax of
 * one key/value head's query group over one chunk of keys and leaves its partial result (running max,
 * sum and unnormalised output per query head); {@link #merge} combines the chunks exactly as the online
 * softmax combines key blocks. Each K and V row is read once for all the query heads that share it.
 */
final class DecodeSplit {
    /** Fewer keys than this per chunk and the split costs more than it saves. */
    private static final int MIN_CHUNK = 512;
    /** Work items per thread, so that a thread slowed by other work is caught up on. */
    private static final int ITEMS_PER_THREAD = 4;

    final AttentionSpec spec;
    final int position;
    final int chunks;
    final int chunkLength;
    private final float[] partialMax;
    private final float[] partialSum;
    private final float[] partialOutput;

    DecodeSplit(AttentionSpec spec, int position, int threads) {
        this.spec = spec;
        this.position = position;
        int keys = position + 1;
        int wanted = Math.max(1, ceilDiv(threads * ITEMS_PER_THREAD, spec.kvHeads()));
        this.chunks = Math.max(1, Math.min(wanted, keys / MIN_CHUNK));
        this.chunkLength = ceilDiv(keys, chunks);
        int rows = spec.kvHeads() * chunks * spec.groupSize();
        this.partialMax = new float[rows];
        this.partialSum = new float[rows];
        this.partialOutput = new float[rows * spec.headDim()];
    }

    int items() {
        return spec.kvHeads() * chunks;
    }

    /** Runs item {@code item}: key/value head {@code item / chunks}, chunk {@code item % chunks}. */
    void run(AttentionKernels kernels, HeadTensor q, HeadTensor k, HeadTensor v, int item, Scratch s) {
        int g = item / chunks;
        int first = item % chunks * chunkLength;
        int end = Math.min(position + 1, first + chunkLength);
        int group = spec.groupSize();
        int d = spec.headDim();
        int bk = kernels.keyTile();
        s.forDecode(group, bk, d);
        for (int hh = 0; hh < group; hh++) {
            q.readRow(g * group + hh, 0, s.queries, hh * d);
            s.max[hh] = Float.NEGATIVE_INFINITY;
            s.sum[hh] = 0.0f;
        }
        Arrays.fill(s.output, 0, group * d, 0.0f);
        boolean floatForm = ExactBias.floatFormIsExact(1, position + 1);
        RowSource keys = new RowSource();
        RowSource values = new RowSource();
        // one query head per key/value head and both held as halves: the kernels widen a few rows at a time
        // as they go; with a group, each tile is widened once into the staging tiles for all its heads
        short[] kHalves = group == 1 ? k.heapHalves() : null;
        short[] vHalves = group == 1 ? v.heapHalves() : null;
        for (int k0 = first; k0 < end; k0 += bk) {
            int count = Math.min(bk, end - k0);
            if (kHalves != null) {
                kernels.decodeScores(s.queries, d, kHalves, (int) k.index(g, k0), (int) k.rowStride(), count, s.scores, s.keys);
            } else {
                keys.at(k, g, k0, count, s.keys, kernels);
                kernels.decodeScores(s.queries, group, d, keys.array, keys.base, keys.stride, count, s.scores, bk);
            }
            for (int hh = 0; hh < group; hh++) {
                float slope = spec.slopeOf(g * group + hh);
                if (floatForm) {
                    kernels.decodeSoftmax(s.scores, bk, hh, count, spec.scale(), slope, k0, position, s.max, s.sum, s.alpha);
                } else {
                    for (int kk = 0; kk < count; kk++) {
                        s.scores[hh * bk + kk] = s.scores[hh * bk + kk] * spec.scale() + ExactBias.of(slope, k0 + kk, position);
                    }
                    kernels.decodeSoftmax(s.scores, bk, hh, count, 1.0f, 0.0f, 0, 0, s.max, s.sum, s.alpha);
                }
            }
            if (vHalves != null) {
                kernels.decodeAccumulate(s.scores, d, vHalves, (int) v.index(g, k0), (int) v.rowStride(), count, s.alpha[0], s.output, s.values);
            } else {
                values.at(v, g, k0, count, s.values, kernels);
                kernels.decodeAccumulate(s.scores, bk, group, d, values.array, values.base, values.stride, count, s.alpha, s.output);
            }
        }
        int row = item * group; // (g * chunks + chunk) * group
        System.arraycopy(s.max, 0, partialMax, row, group);
        System.arraycopy(s.sum, 0, partialSum, row, group);
        System.arraycopy(s.output, 0, partialOutput, row * d, group * d);
    }

    /** Combines the chunks of every query head and writes the normalised rows to {@code out}. */
    void merge(HeadTensor out, float[] row) {
        int group = spec.groupSize();
        int d = spec.headDim();
        for (int h = 0; h < spec.totalHeads(); h++) {
            int g = h / group;
            int hh = h % group;
            float max = Float.NEGATIVE_INFINITY;
            for (int chunk = 0; chunk < chunks; chunk++) {
                max = Math.max(max, partialMax[(g * chunks + chunk) * group + hh]);
            }
            Arrays.fill(row, 0, d, 0.0f);
            float sum = 0;
            for (int chunk = 0; chunk < chunks; chunk++) {
                int at = (g * chunks + chunk) * group + hh;
                float weight = ScalarKernels.exp(partialMax[at] - max);
                sum += partialSum[at] * weight;
                for (int c = 0; c < d; c++) {
                    row[c] += partialOutput[at * d + c] * weight;
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
