package org.alibi4j.attention.cpu;

import java.util.Arrays;

import org.alibi4j.BiasForm;
import org.alibi4j.attention.AttentionSpec;
import org.alibi4j.attention.HeadTensor;

/**
 * One prefill work item: query head {@code h}, queries {@code [q0, q0 + n)}, over every key they see, in
 * key tiles with the online softmax of FlashAttention 2. The tile lives in a {@link Scratch}; nothing of
 * size {@code i x j} exists.
 */
final class PrefillTile {
    private PrefillTile() {
    }

    /** Up to this many keys, a head's K and V rows that need staging are staged once for all its query tiles. */
    private static final int WHOLE_HEAD_KEYS = 4096;

    /**
     * Whether prefill should run a work item per query head, staging its K and V rows once
     * ({@link #runHead}), rather than per (head, query tile) staging each key tile for each query tile:
     * where the rows are not already as the kernels read them (a row stride other than theirs, halves,
     * segments), the heads fit in scratch, and there are enough heads to keep every thread busy.
     */
    static boolean stagesWholeHeads(AttentionKernels kernels, AttentionSpec spec, HeadTensor k, HeadTensor v, int threads) {
        int rowStride = kernels.tileRowStride();
        return rowStride != 0 && spec.headDim() <= rowStride && k.rows() <= WHOLE_HEAD_KEYS
                && spec.totalHeads() >= 4 * threads && !(readInPlace(k, rowStride) && readInPlace(v, rowStride));
    }

    private static boolean readInPlace(HeadTensor t, int rowStride) {
        return t.heapFloats() != null && (t.rows() == 1 || t.rowStride() == rowStride);
    }

    /** Every query tile of head {@code h}, the last first, its key/value head's rows staged once. */
    static void runHead(AttentionKernels kernels, AttentionSpec spec, HeadTensor q, HeadTensor k, HeadTensor v, HeadTensor out,
                        int h, Scratch s) {
        int j = k.rows();
        int rowStride = kernels.tileRowStride();
        int g = spec.kvHeadOf(h);
        s.headKeys = Scratch.atLeast(s.headKeys, j * rowStride);
        s.headValues = Scratch.atLeast(s.headValues, j * rowStride);
        RowSource keys = new RowSource().at(k, g, 0, j, 0, spec.headDim(), rowStride, s.headKeys, kernels);
        RowSource values = new RowSource().at(v, g, 0, j, 0, spec.headDim(), rowStride, s.headValues, kernels);
        int bq = kernels.queryTile();
        for (int q0 = (q.rows() - 1) / bq * bq; q0 >= 0; q0 -= bq) {
            run(kernels, spec, q, k, v, out, h, q0, s, keys, values);
        }
    }

    static void run(AttentionKernels kernels, AttentionSpec spec, HeadTensor q, HeadTensor k, HeadTensor v, HeadTensor out,
                    int h, int q0, Scratch s) {
        run(kernels, spec, q, k, v, out, h, q0, s, null, null);
    }

    /** One query tile; {@code stagedKeys} and {@code stagedValues}, where not null, hold every row of its head. */
    private static void run(AttentionKernels kernels, AttentionSpec spec, HeadTensor q, HeadTensor k, HeadTensor v, HeadTensor out,
                            int h, int q0, Scratch s, RowSource stagedKeys, RowSource stagedValues) {
        int d = spec.headDim();
        int i = q.rows();
        int j = k.rows();
        int bq = kernels.queryTile();
        int bk = kernels.keyTile();
        int n = Math.min(bq, i - q0);
        int g = spec.kvHeadOf(h);
        boolean causal = spec.form() == BiasForm.CAUSAL;
        boolean floatForm = ExactBias.floatFormIsExact(i, j);
        float slope = spec.slopeOf(h);
        s.forPrefill(bq, bk, d, kernels.tileRowStride());

        // Q^T: the queries along the fast dimension; padding rows are zeros whose results are dropped
        float[] qt = s.queries;
        for (int r = 0; r < bq; r++) {
            if (r < n) {
                q.readRow(h, q0 + r, s.row, 0);
            }
            for (int c = 0; c < d; c++) {
                qt[c * bq + r] = r < n ? s.row[c] : 0.0f;
            }
            s.positions[r] = j - i + q0 + r; // exact in float where the float form is used
            s.max[r] = Float.NEGATIVE_INFINITY;
            s.sum[r] = 0.0f;
        }
        Arrays.fill(s.output, 0, d * bq, 0.0f);

        long lastPosition = (long) j - i + q0 + n - 1;
        int keyEnd = causal ? (int) Math.min(j, lastPosition + 1) : j;
        // the kernels' tiles hold up to rowStride columns of a row: wider heads go in chunks of it
        int rowStride = kernels.tileRowStride();
        int chunk = rowStride == 0 ? d : Math.min(d, rowStride);
        RowSource keys = new RowSource();
        RowSource values = new RowSource();
        // key tiles nearest first: the diagonal's large weights set each query's max early, so that far
        // tiles of steep heads are seen to add nothing and skip the value product. Down from the tile's
        // last position to key 0, then (symmetric: keys after it are seen too) up from there to the end.
        int diagonal = (int) Math.max(0, Math.min(keyEnd, lastPosition + 1));
        int tilesDown = (diagonal + bk - 1) / bk;
        int tiles = tilesDown + (keyEnd - diagonal + bk - 1) / bk;
        for (int t = 0; t < tiles; t++) {
            int k0 = t < tilesDown ? Math.max(0, diagonal - (t + 1) * bk) : diagonal + (t - tilesDown) * bk;
            int count = t < tilesDown ? diagonal - t * bk - k0 : Math.min(bk, keyEnd - k0);
            for (int c0 = 0; c0 < d; c0 += chunk) {
                int width = Math.min(chunk, d - c0);
                if (stagedKeys != null) {
                    keys.within(stagedKeys, k0, c0);
                } else {
                    keys.at(k, g, k0, count, c0, width, rowStride, s.keys, kernels);
                }
                kernels.scores(qt, bq, c0, width, keys.array, keys.base, keys.stride, count, s.scores);
            }
            // a tile wholly before the first query's position needs no mask
            boolean masked = causal && k0 + count - 1 > (long) j - i + q0;
            boolean adds;
            if (floatForm) {
                adds = kernels.softmax(s.scores, bq, count, spec.scale(), slope, k0, s.positions, masked, s.max, s.sum, s.alpha);
            } else {
                addExactBias(s, bq, count, spec.scale(), slope, k0, (long) j - i + q0, masked);
                adds = kernels.softmax(s.scores, bq, count, 1.0f, 0.0f, 0, s.positions, false, s.max, s.sum, s.alpha);
            }
            for (int c0 = 0; adds && c0 < d; c0 += chunk) {
                int width = Math.min(chunk, d - c0);
                if (stagedValues != null) {
                    values.within(stagedValues, k0, c0);
                } else {
                    values.at(v, g, k0, count, c0, width, rowStride, s.values, kernels);
                }
                kernels.accumulate(s.scores, bq, c0, width, values.array, values.base, values.stride, count, s.alpha, s.output);
            }
        }

        for (int r = 0; r < n; r++) {
            float l = s.sum[r];
            float reciprocal = l == 0.0f ? 0.0f : 1.0f / l; // no visible key: zeros
            for (int c = 0; c < d; c++) {
                s.row[c] = s.output[c * bq + r] * reciprocal;
            }
            out.writeRow(h, q0 + r, s.row, 0);
        }
    }

    /** Beyond 2^24 positions: scale and add the bias with the integer formula (and the mask) here. */
    private static void addExactBias(Scratch s, int bq, int count, float scale, float slope, long firstKey, long firstPosition,
                                     boolean masked) {
        for (int kk = 0; kk < count; kk++) {
            for (int r = 0; r < bq; r++) {
                long key = firstKey + kk;
                long position = firstPosition + r;
                int at = kk * bq + r;
                s.scores[at] = masked && key > position ? Float.NEGATIVE_INFINITY
                        : s.scores[at] * scale + ExactBias.of(slope, key, position);
            }
        }
    }
}
