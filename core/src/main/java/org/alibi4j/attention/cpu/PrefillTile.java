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

    static void run(AttentionKernels kernels, AttentionSpec spec, HeadTensor q, HeadTensor k, HeadTensor v, HeadTensor out,
                    int h, int q0, Scratch s) {
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
                keys.at(k, g, k0, count, c0, width, rowStride, s.keys, kernels);
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
                values.at(v, g, k0, count, c0, width, rowStride, s.values, kernels);
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
