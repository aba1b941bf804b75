package org.alibi4j.attention;

import org.alibi4j.AlibiReference;
import org.alibi4j.BiasSpec;

/**
 * ALiBi attention in float64, one query at a time, with the bias taken from {@link AlibiReference}
 * (the very floats {@code forward} gives): slow and obvious on purpose. Tests and {@code smoke} compare
 * every backend with it, within {@link #bound}.
 *
 * <h2>The bound</h2>
 * A backend computes in float32 (unit roundoff {@code u = 2^-24}). For one output row, with
 * {@code A} the largest {@code scale * sum_c |q_c k_c|} over the visible keys, {@code S} the largest
 * {@code |scale * q.k + bias|}, {@code n} the number of visible keys and {@code V} the largest {@code |v|}
 * element of the row's key/value head, every element of the row satisfies
 *
 * <pre>{@code    |out - reference| <= V * u * (4 * ((d + 3) * A + S) + 4 * n + 64)}</pre>
 *
 * The first term is the rounding of each score (the dot product over {@code d}, the scale, the bias add)
 * carried twice through softmax's ratio; the second the sums over {@code n} weights in numerator and
 * denominator; the constant covers {@code exp}'s few ulp and the rescaling between key blocks.
 */
public final class AttentionReference {
    private static final double UNIT_ROUNDOFF = 0x1p-24;

    private AttentionReference() {
    }

    /** The {@code [T, i, d]} prefill output in double. */
    public static double[] prefill(AttentionSpec spec, HeadTensor q, HeadTensor k, HeadTensor v) {
        return compute(spec, q, k, v, false);
    }

    /** The {@code [T, 1, d]} output of a decode step at {@code position}. */
    public static double[] decode(AttentionSpec spec, int position, HeadTensor q, HeadTensor k, HeadTensor v) {
        return compute(spec, q, k.firstRows(position + 1), v.firstRows(position + 1), false);
    }

    /** The bound of each prefill output row, {@code [T, i]}: every element of row {@code (h, q)} is within it. */
    public static double[] bound(AttentionSpec spec, HeadTensor q, HeadTensor k, HeadTensor v) {
        return compute(spec, q, k, v, true);
    }

    /** The bound of each row of a decode step at {@code position}, {@code [T]}. */
    public static double[] decodeBound(AttentionSpec spec, int position, HeadTensor q, HeadTensor k, HeadTensor v) {
        return compute(spec, q, k.firstRows(position + 1), v.firstRows(position + 1), true);
    }

    private static double[] compute(AttentionSpec spec, HeadTensor q, HeadTensor k, HeadTensor v, boolean bounds) {
        int heads = spec.totalHeads();
        int i = q.rows();
        int j = k.rows();
        int d = spec.headDim();
        BiasSpec bias = new BiasSpec(spec.slopes(), heads, i, j, spec.form());
        double[] result = new double[bounds ? heads * i : heads * i * d];
        double[] scores = new double[j];
        for (int h = 0; h < heads; h++) {
            int g = spec.kvHeadOf(h);
            double maxAbsV = 0;
            for (int key = 0; key < j; key++) {
                for (int c = 0; c < d; c++) {
                    maxAbsV = Math.max(maxAbsV, Math.abs(v.get(g, key, c)));
                }
            }
            for (int row = 0; row < i; row++) {
                double max = Double.NEGATIVE_INFINITY;
                double sumAbsProducts = 0;
                double maxAbsScore = 0;
                int visible = 0;
                for (int key = 0; key < j; key++) {
                    float b = AlibiReference.bias(bias, h, row, key);
                    if (b == Float.NEGATIVE_INFINITY) {
                        scores[key] = Double.NEGATIVE_INFINITY;
                        continue;
                    }
                    double dot = 0;
                    double abs = 0;
                    for (int c = 0; c < d; c++) {
                        double product = (double) q.get(h, row, c) * k.get(g, key, c);
                        dot += product;
                        abs += Math.abs(product);
                    }
                    scores[key] = spec.scale() * dot + b;
                    max = Math.max(max, scores[key]);
                    sumAbsProducts = Math.max(sumAbsProducts, spec.scale() * abs);
                    maxAbsScore = Math.max(maxAbsScore, Math.abs(scores[key]));
                    visible++;
                }
                if (bounds) {
                    result[h * i + row] = maxAbsV * UNIT_ROUNDOFF
                            * (4 * ((d + 3) * sumAbsProducts + maxAbsScore) + 4.0 * visible + 64);
                    continue;
                }
                if (visible == 0) {
                    continue; // no visible key: zeros, as FlashAttention gives
                }
                double sum = 0;
                for (int key = 0; key < j; key++) {
                    scores[key] = scores[key] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(scores[key] - max);
                    sum += scores[key];
                }
                int base = (h * i + row) * d;
                for (int key = 0; key < j; key++) {
                    if (scores[key] == 0) {
                        continue;
                    }
                    double weight = scores[key] / sum;
                    for (int c = 0; c < d; c++) {
                        result[base + c] += weight * v.get(g, key, c);
                    }
                }
            }
        }
        return result;
    }
}
