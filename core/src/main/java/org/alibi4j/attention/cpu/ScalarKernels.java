package org.alibi4j.attention.cpu;

import java.util.Arrays;

/**
 * The kernels in plain Java: used where the Vector API module is absent. The loops over the fast
 * dimension of a tile are simple enough for C2 to vectorise; {@code exp} stays scalar.
 */
final class ScalarKernels implements AttentionKernels {

    /**
     * Softmax weights below e^-44 (about 2^-64 of the row's largest, which is 1) are taken as 0, as is a
     * rescaling factor that small. Their sum over even 2^24 keys is below 2^-40 of the row's total, far
     * under float's rounding, and it keeps subnormal numbers out of the multiply-adds (products of such
     * weights and the values, rescaled accumulators), which x86 runs through slow microcode assists.
     */
    static final float NEGLIGIBLE = -44.0f;

    private static final int QUERY_TILE = 16;
    private static final int KEY_TILE = 64;

    @Override
    public String describe() {
        return "plain Java";
    }

    @Override
    public int queryTile() {
        return QUERY_TILE;
    }

    @Override
    public int keyTile() {
        return KEY_TILE;
    }

    @Override
    public int tileRowStride() {
        return 0;
    }

    @Override
    public void scores(float[] qt, int bq, int c0, int width, float[] k, int kBase, int kStride, int keys, float[] st) {
        for (int kk = 0; kk < keys; kk++) {
            int row = kk * bq;
            if (c0 == 0) {
                Arrays.fill(st, row, row + bq, 0.0f);
            }
            int key = kBase + kk * kStride;
            for (int c = 0; c < width; c++) {
                float kc = k[key + c];
                int col = (c0 + c) * bq;
                for (int r = 0; r < bq; r++) {
                    st[row + r] += qt[col + r] * kc;
                }
            }
        }
    }

    @Override
    public boolean softmax(float[] st, int bq, int keys, float scale, float slope, float firstKey, float[] qpos, boolean masked,
                           float[] m, float[] l, float[] alpha) {
        boolean negligible = true;
        for (int r = 0; r < bq; r++) {
            float tileMax = Float.NEGATIVE_INFINITY;
            for (int kk = 0; kk < keys; kk++) {
                float key = firstKey + kk;
                float s = masked && key > qpos[r]
                        ? Float.NEGATIVE_INFINITY
                        : st[kk * bq + r] * scale + (0.0f - slope * Math.abs(key - qpos[r]));
                st[kk * bq + r] = s;
                tileMax = Math.max(tileMax, s);
            }
            alpha[r] = tileMax; // until the second pass
            negligible &= tileMax - m[r] < NEGLIGIBLE;
        }
        if (negligible) {
            return false;
        }
        for (int r = 0; r < bq; r++) {
            float max = Math.max(m[r], alpha[r]);
            float safe = max == Float.NEGATIVE_INFINITY ? 0.0f : max; // no key seen yet: weights 0, not NaN
            float sum = 0;
            for (int kk = 0; kk < keys; kk++) {
                float p = exp(st[kk * bq + r] - safe);
                st[kk * bq + r] = p;
                sum += p;
            }
            alpha[r] = exp(m[r] - safe);
            l[r] = l[r] * alpha[r] + sum;
            m[r] = max;
        }
        return true;
    }

    @Override
    public void accumulate(float[] p, int bq, int c0, int width, float[] v, int vBase, int vStride, int keys, float[] alpha, float[] ot) {
        for (int c = 0; c < width; c++) {
            int col = (c0 + c) * bq;
            for (int r = 0; r < bq; r++) {
                ot[col + r] *= alpha[r];
            }
            for (int kk = 0; kk < keys; kk++) {
                float vc = v[vBase + kk * vStride + c];
                int row = kk * bq;
                for (int r = 0; r < bq; r++) {
                    ot[col + r] += p[row + r] * vc;
                }
            }
        }
    }

    @Override
    public void decodeScores(float[] qv, int heads, int d, float[] k, int kBase, int kStride, int keys, float[] s, int sBase, int sStride) {
        for (int hh = 0; hh < heads; hh++) {
            for (int kk = 0; kk < keys; kk++) {
                int key = kBase + kk * kStride;
                float dot = 0;
                for (int c = 0; c < d; c++) {
                    dot += qv[hh * d + c] * k[key + c];
                }
                s[sBase + hh * sStride + kk] = dot;
            }
        }
    }

    @Override
    public void decodeScores(float[] qv, int d, short[] k, int kBase, int kStride, int keys, float[] s, int sBase, float[] staging) {
        for (int kk = 0; kk < keys; kk++) {
            int key = kBase + kk * kStride;
            float dot = 0;
            for (int c = 0; c < d; c++) {
                dot += qv[c] * Float.float16ToFloat(k[key + c]);
            }
            s[sBase + kk] = dot;
        }
    }

    @Override
    public float decodeLogits(float[] s, int at, int keys, float scale, float slope, float firstKey, float position) {
        float max = Float.NEGATIVE_INFINITY;
        for (int kk = 0; kk < keys; kk++) {
            float logit = s[at + kk] * scale + (0.0f - slope * Math.abs(firstKey + kk - position));
            s[at + kk] = logit;
            max = Math.max(max, logit);
        }
        return max;
    }

    @Override
    public float decodeWeights(float[] s, int at, int keys, float max) {
        float sum = 0;
        for (int kk = 0; kk < keys; kk++) {
            float p = exp(s[at + kk] - max);
            s[at + kk] = p;
            sum += p;
        }
        return sum;
    }

    @Override
    public void decodeAccumulate(float[] p, int pBase, int pStride, int heads, int d, float[] v, int vBase, int vStride, int keys, float[] o) {
        for (int hh = 0; hh < heads; hh++) {
            int acc = hh * d;
            for (int kk = 0; kk < keys; kk++) {
                float weight = p[pBase + hh * pStride + kk];
                int row = vBase + kk * vStride;
                for (int c = 0; c < d; c++) {
                    o[acc + c] += weight * v[row + c];
                }
            }
        }
    }

    @Override
    public void decodeAccumulate(float[] p, int pBase, int d, short[] v, int vBase, int vStride, int keys, float[] o, float[] staging) {
        for (int kk = 0; kk < keys; kk++) {
            float weight = p[pBase + kk];
            int row = vBase + kk * vStride;
            for (int c = 0; c < d; c++) {
                o[c] += weight * Float.float16ToFloat(v[row + c]);
            }
        }
    }

    /** A small loop of its own, which C2 vectorises (in a larger method it did not). */
    @Override
    public void widen(short[] src, int from, float[] dst, int to, int n) {
        for (int c = 0; c < n; c++) {
            dst[to + c] = Float.float16ToFloat(src[from + c]);
        }
    }

    /** e^x for softmax's {@code x <= 0}, 0 below {@link #NEGLIGIBLE}. */
    static float exp(float x) {
        return x < NEGLIGIBLE ? 0.0f : (float) Math.exp(x);
    }
}
