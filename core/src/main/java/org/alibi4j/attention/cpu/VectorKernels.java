package org.alibi4j.attention.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The kernels on the Vector API, at the JVM's preferred width (chosen at run time: 512-bit on AVX-512,
 * 256-bit on AVX2). Loaded only by {@link Vectorization}, and only where the module is present.
 *
 * <p>Prefill is a register-blocking problem: each micro-kernel keeps a block of 2 query vectors by 6
 * keys (or 6 head elements) of accumulators in registers, 12 in all, and per step loads 2 query vectors
 * and broadcasts 6 key (value) elements, so every load feeds 1.5 fused multiply-adds. 12 accumulators
 * and 3 operands fit AVX2's 16 registers as well as AVX-512's 32.
 *
 * <p>Results are deterministic: the same inputs give the same bits on every call, whether the JIT has
 * compiled the kernels yet or not. Hence {@link #exp} of its own (the API's exponential is a different
 * function in the interpreter and in C2's intrinsic) and {@link #sum} in a fixed order (the API leaves
 * the order of a float {@code reduceLanes(ADD)} open).
 */
final class VectorKernels implements AttentionKernels {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int L = SPECIES.length();
    private static final int QUERY_TILE = 2 * L;
    private static final int KEY_TILE = 48;
    /** Keys (prefill scores) or head elements (prefill accumulate) per micro-kernel block. */
    private static final int BLOCK = 6;
    private static final float[] IOTA = iota();
    /** For each halving step of {@link #sum}, the shuffle that brings lane {@code n + width} to lane {@code n}. */
    private static final VectorShuffle<Float>[] HALVES = halves();

    VectorKernels() {
        if (L < 4) {
            throw new IllegalStateException("the Vector API's preferred species holds " + L + " floats; the plain-Java kernels are faster");
        }
    }

    @Override
    public String describe() {
        return "Vector API " + SPECIES.vectorBitSize() + "-bit (" + L + " floats)";
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
    public void scores(float[] qt, int bq, int d, float[] k, int kBase, int kStride, int keys, float[] st) {
        int kk = 0;
        for (; kk + BLOCK <= keys; kk += BLOCK) {
            int k0 = kBase + kk * kStride;
            int k1 = k0 + kStride, k2 = k1 + kStride, k3 = k2 + kStride, k4 = k3 + kStride, k5 = k4 + kStride;
            FloatVector a00 = FloatVector.zero(SPECIES), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00;
            FloatVector a30 = a00, a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00;
            for (int c = 0; c < d; c++) {
                FloatVector q0 = FloatVector.fromArray(SPECIES, qt, c * bq);
                FloatVector q1 = FloatVector.fromArray(SPECIES, qt, c * bq + L);
                FloatVector b = FloatVector.broadcast(SPECIES, k[k0 + c]);
                a00 = q0.fma(b, a00);
                a01 = q1.fma(b, a01);
                b = FloatVector.broadcast(SPECIES, k[k1 + c]);
                a10 = q0.fma(b, a10);
                a11 = q1.fma(b, a11);
                b = FloatVector.broadcast(SPECIES, k[k2 + c]);
                a20 = q0.fma(b, a20);
                a21 = q1.fma(b, a21);
                b = FloatVector.broadcast(SPECIES, k[k3 + c]);
                a30 = q0.fma(b, a30);
                a31 = q1.fma(b, a31);
                b = FloatVector.broadcast(SPECIES, k[k4 + c]);
                a40 = q0.fma(b, a40);
                a41 = q1.fma(b, a41);
                b = FloatVector.broadcast(SPECIES, k[k5 + c]);
                a50 = q0.fma(b, a50);
                a51 = q1.fma(b, a51);
            }
            int row = kk * bq;
            a00.intoArray(st, row);
            a01.intoArray(st, row + L);
            a10.intoArray(st, row + bq);
            a11.intoArray(st, row + bq + L);
            a20.intoArray(st, row + 2 * bq);
            a21.intoArray(st, row + 2 * bq + L);
            a30.intoArray(st, row + 3 * bq);
            a31.intoArray(st, row + 3 * bq + L);
            a40.intoArray(st, row + 4 * bq);
            a41.intoArray(st, row + 4 * bq + L);
            a50.intoArray(st, row + 5 * bq);
            a51.intoArray(st, row + 5 * bq + L);
        }
        for (; kk < keys; kk++) {
            int key = kBase + kk * kStride;
            FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0;
            for (int c = 0; c < d; c++) {
                FloatVector b = FloatVector.broadcast(SPECIES, k[key + c]);
                a0 = FloatVector.fromArray(SPECIES, qt, c * bq).fma(b, a0);
                a1 = FloatVector.fromArray(SPECIES, qt, c * bq + L).fma(b, a1);
            }
            a0.intoArray(st, kk * bq);
            a1.intoArray(st, kk * bq + L);
        }
    }

    @Override
    public void softmax(float[] st, int bq, int keys, float scale, float slope, float firstKey, float[] qpos, boolean masked,
                        float[] m, float[] l, float[] alpha) {
        FloatVector minusInfinity = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
        FloatVector zero = FloatVector.zero(SPECIES);
        for (int r = 0; r < bq; r += L) {
            FloatVector position = FloatVector.fromArray(SPECIES, qpos, r);
            FloatVector max = FloatVector.fromArray(SPECIES, m, r);
            for (int kk = 0; kk < keys; kk++) {
                FloatVector key = FloatVector.broadcast(SPECIES, firstKey + kk);
                // the bias as forward computes it: 0 - slope * |key - qpos|, exact in float below 2^24
                FloatVector bias = zero.sub(key.sub(position).abs().mul(slope));
                FloatVector s = FloatVector.fromArray(SPECIES, st, kk * bq + r).mul(scale).add(bias);
                if (masked) {
                    s = s.blend(minusInfinity, key.compare(VectorOperators.GT, position));
                }
                s.intoArray(st, kk * bq + r);
                max = max.max(s);
            }
            // a query that has seen no key yet keeps weight 0 rather than exp(-inf + inf) = NaN
            FloatVector safe = max.blend(zero, max.compare(VectorOperators.EQ, Float.NEGATIVE_INFINITY));
            FloatVector sum = zero;
            for (int kk = 0; kk < keys; kk++) {
                FloatVector p = exp(FloatVector.fromArray(SPECIES, st, kk * bq + r).sub(safe));
                p.intoArray(st, kk * bq + r);
                sum = sum.add(p);
            }
            FloatVector a = exp(FloatVector.fromArray(SPECIES, m, r).sub(safe));
            a.intoArray(alpha, r);
            FloatVector.fromArray(SPECIES, l, r).fma(a, sum).intoArray(l, r);
            max.intoArray(m, r);
        }
    }

    @Override
    public void accumulate(float[] p, int bq, int d, float[] v, int vBase, int vStride, int keys, float[] alpha, float[] ot) {
        FloatVector alpha0 = FloatVector.fromArray(SPECIES, alpha, 0);
        FloatVector alpha1 = FloatVector.fromArray(SPECIES, alpha, L);
        int c = 0;
        for (; c + BLOCK <= d; c += BLOCK) {
            int o0 = c * bq, o1 = o0 + bq, o2 = o1 + bq, o3 = o2 + bq, o4 = o3 + bq, o5 = o4 + bq;
            FloatVector a00 = FloatVector.fromArray(SPECIES, ot, o0).mul(alpha0);
            FloatVector a01 = FloatVector.fromArray(SPECIES, ot, o0 + L).mul(alpha1);
            FloatVector a10 = FloatVector.fromArray(SPECIES, ot, o1).mul(alpha0);
            FloatVector a11 = FloatVector.fromArray(SPECIES, ot, o1 + L).mul(alpha1);
            FloatVector a20 = FloatVector.fromArray(SPECIES, ot, o2).mul(alpha0);
            FloatVector a21 = FloatVector.fromArray(SPECIES, ot, o2 + L).mul(alpha1);
            FloatVector a30 = FloatVector.fromArray(SPECIES, ot, o3).mul(alpha0);
            FloatVector a31 = FloatVector.fromArray(SPECIES, ot, o3 + L).mul(alpha1);
            FloatVector a40 = FloatVector.fromArray(SPECIES, ot, o4).mul(alpha0);
            FloatVector a41 = FloatVector.fromArray(SPECIES, ot, o4 + L).mul(alpha1);
            FloatVector a50 = FloatVector.fromArray(SPECIES, ot, o5).mul(alpha0);
            FloatVector a51 = FloatVector.fromArray(SPECIES, ot, o5 + L).mul(alpha1);
            for (int kk = 0; kk < keys; kk++) {
                FloatVector p0 = FloatVector.fromArray(SPECIES, p, kk * bq);
                FloatVector p1 = FloatVector.fromArray(SPECIES, p, kk * bq + L);
                int row = vBase + kk * vStride + c;
                FloatVector b = FloatVector.broadcast(SPECIES, v[row]);
                a00 = p0.fma(b, a00);
                a01 = p1.fma(b, a01);
                b = FloatVector.broadcast(SPECIES, v[row + 1]);
                a10 = p0.fma(b, a10);
                a11 = p1.fma(b, a11);
                b = FloatVector.broadcast(SPECIES, v[row + 2]);
                a20 = p0.fma(b, a20);
                a21 = p1.fma(b, a21);
                b = FloatVector.broadcast(SPECIES, v[row + 3]);
                a30 = p0.fma(b, a30);
                a31 = p1.fma(b, a31);
                b = FloatVector.broadcast(SPECIES, v[row + 4]);
                a40 = p0.fma(b, a40);
                a41 = p1.fma(b, a41);
                b = FloatVector.broadcast(SPECIES, v[row + 5]);
                a50 = p0.fma(b, a50);
                a51 = p1.fma(b, a51);
            }
            a00.intoArray(ot, o0);
            a01.intoArray(ot, o0 + L);
            a10.intoArray(ot, o1);
            a11.intoArray(ot, o1 + L);
            a20.intoArray(ot, o2);
            a21.intoArray(ot, o2 + L);
            a30.intoArray(ot, o3);
            a31.intoArray(ot, o3 + L);
            a40.intoArray(ot, o4);
            a41.intoArray(ot, o4 + L);
            a50.intoArray(ot, o5);
            a51.intoArray(ot, o5 + L);
        }
        for (; c < d; c++) {
            int o = c * bq;
            FloatVector a0 = FloatVector.fromArray(SPECIES, ot, o).mul(alpha0);
            FloatVector a1 = FloatVector.fromArray(SPECIES, ot, o + L).mul(alpha1);
            for (int kk = 0; kk < keys; kk++) {
                FloatVector b = FloatVector.broadcast(SPECIES, v[vBase + kk * vStride + c]);
                a0 = FloatVector.fromArray(SPECIES, p, kk * bq).fma(b, a0);
                a1 = FloatVector.fromArray(SPECIES, p, kk * bq + L).fma(b, a1);
            }
            a0.intoArray(ot, o);
            a1.intoArray(ot, o + L);
        }
    }

    @Override
    public void decodeScores(float[] qv, int heads, int d, float[] k, int kBase, int kStride, int keys, float[] s, int bk) {
        int full = SPECIES.loopBound(d);
        for (int kk = 0; kk < keys; kk++) {
            int key = kBase + kk * kStride;
            for (int hh = 0; hh < heads; hh++) {
                int query = hh * d;
                // two accumulators, so that consecutive fmas do not wait on each other
                FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0;
                int c = 0;
                for (; c + 2 * L <= full; c += 2 * L) {
                    a0 = FloatVector.fromArray(SPECIES, qv, query + c).fma(FloatVector.fromArray(SPECIES, k, key + c), a0);
                    a1 = FloatVector.fromArray(SPECIES, qv, query + c + L).fma(FloatVector.fromArray(SPECIES, k, key + c + L), a1);
                }
                for (; c < full; c += L) {
                    a0 = FloatVector.fromArray(SPECIES, qv, query + c).fma(FloatVector.fromArray(SPECIES, k, key + c), a0);
                }
                float dot = sum(a0.add(a1));
                for (; c < d; c++) {
                    dot += qv[query + c] * k[key + c];
                }
                s[hh * bk + kk] = dot;
            }
        }
    }

    @Override
    public void decodeSoftmax(float[] s, int bk, int hh, int keys, float scale, float slope, float firstKey, float position,
                              float[] m, float[] l, float[] alpha) {
        int row = hh * bk;
        FloatVector zero = FloatVector.zero(SPECIES);
        FloatVector iota = FloatVector.fromArray(SPECIES, IOTA, 0);
        float max = m[hh];
        int kk = 0;
        int full = SPECIES.loopBound(keys);
        FloatVector maxes = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
        for (; kk < full; kk += L) {
            FloatVector key = iota.add(firstKey + kk);
            FloatVector score = FloatVector.fromArray(SPECIES, s, row + kk).mul(scale)
                    .add(zero.sub(key.sub(position).abs().mul(slope)));
            score.intoArray(s, row + kk);
            maxes = maxes.max(score);
        }
        max = Math.max(max, maxes.reduceLanes(VectorOperators.MAX));
        for (; kk < keys; kk++) {
            float score = s[row + kk] * scale + (0.0f - slope * Math.abs(firstKey + kk - position));
            s[row + kk] = score;
            max = Math.max(max, score);
        }
        FloatVector sums = zero;
        for (kk = 0; kk < full; kk += L) {
            FloatVector p = exp(FloatVector.fromArray(SPECIES, s, row + kk).sub(max));
            p.intoArray(s, row + kk);
            sums = sums.add(p);
        }
        float sum = sum(sums);
        for (; kk < keys; kk++) {
            float p = (float) Math.exp(s[row + kk] - max);
            s[row + kk] = p;
            sum += p;
        }
        alpha[hh] = (float) Math.exp(m[hh] - max);
        l[hh] = l[hh] * alpha[hh] + sum;
        m[hh] = max;
    }

    @Override
    public void decodeAccumulate(float[] p, int bk, int heads, int d, float[] v, int vBase, int vStride, int keys, float[] alpha, float[] o) {
        int full = SPECIES.loopBound(d);
        for (int hh = 0; hh < heads; hh++) {
            int acc = hh * d;
            float a = alpha[hh];
            int c = 0;
            for (; c + 2 * L <= full; c += 2 * L) {
                FloatVector a0 = FloatVector.fromArray(SPECIES, o, acc + c).mul(a);
                FloatVector a1 = FloatVector.fromArray(SPECIES, o, acc + c + L).mul(a);
                for (int kk = 0; kk < keys; kk++) {
                    FloatVector w = FloatVector.broadcast(SPECIES, p[hh * bk + kk]);
                    int row = vBase + kk * vStride + c;
                    a0 = FloatVector.fromArray(SPECIES, v, row).fma(w, a0);
                    a1 = FloatVector.fromArray(SPECIES, v, row + L).fma(w, a1);
                }
                a0.intoArray(o, acc + c);
                a1.intoArray(o, acc + c + L);
            }
            for (; c < full; c += L) {
                FloatVector a0 = FloatVector.fromArray(SPECIES, o, acc + c).mul(a);
                for (int kk = 0; kk < keys; kk++) {
                    a0 = FloatVector.fromArray(SPECIES, v, vBase + kk * vStride + c).fma(FloatVector.broadcast(SPECIES, p[hh * bk + kk]), a0);
                }
                a0.intoArray(o, acc + c);
            }
            for (; c < d; c++) {
                float sum = o[acc + c] * a;
                for (int kk = 0; kk < keys; kk++) {
                    sum += p[hh * bk + kk] * v[vBase + kk * vStride + c];
                }
                o[acc + c] = sum;
            }
        }
    }

    // exp(x) for x <= 0 (softmax's arguments), after Cephes' expf: x = n ln2 + r with |r| <= ln2 / 2,
    // exp(r) by a polynomial (about 1 ulp), times 2^n built in the exponent bits.
    private static final float LOG2E = 1.44269504088896341f;
    private static final float ROUNDER = 0x1.8p23f;          // adding it rounds to an integer, kept in the low bits
    private static final int ROUNDER_BITS = 0x4B400000;
    private static final float LN2_HI = 0.693359375f;        // few significant bits: n * LN2_HI is exact
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float UNDERFLOW = -87.0f;           // below it exp(x) < 2^-125: taken as 0

    /** e^x lane by lane for {@code x <= 0}, including {@code -inf} (gives 0); within about 1 ulp. */
    static FloatVector exp(FloatVector x) {
        FloatVector t = x.fma(LOG2E, ROUNDER);
        FloatVector n = t.sub(ROUNDER);
        FloatVector r = n.fma(constant(-LN2_HI), x);
        r = n.fma(constant(-LN2_LO), r);
        FloatVector p = r.fma(1.9875691500e-4f, 1.3981999507e-3f);
        p = p.fma(r, constant(8.3334519073e-3f));
        p = p.fma(r, constant(4.1665795894e-2f));
        p = p.fma(r, constant(1.6666665459e-1f));
        p = p.fma(r, constant(5.0000001201e-1f));
        FloatVector y = p.fma(r.mul(r), r).add(1.0f);
        IntVector exponent = ((IntVector) t.reinterpretAsInts()).sub(ROUNDER_BITS - 127).lanewise(VectorOperators.LSHL, 23);
        return y.mul(exponent.reinterpretAsFloats()).blend(0.0f, x.compare(VectorOperators.LT, UNDERFLOW));
    }

    private static FloatVector constant(float value) {
        return FloatVector.broadcast(SPECIES, value);
    }

    /** The sum of the lanes, always in the same order: halves added pairwise. */
    static float sum(FloatVector v) {
        for (VectorShuffle<Float> half : HALVES) {
            v = v.add(v.rearrange(half));
        }
        return v.lane(0);
    }

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] halves() {
        int steps = Integer.numberOfTrailingZeros(L);
        VectorShuffle<Float>[] shuffles = new VectorShuffle[steps];
        for (int step = 0; step < steps; step++) {
            int width = L >> (step + 1);
            shuffles[step] = VectorShuffle.fromOp(SPECIES, n -> (n + width) % L);
        }
        return shuffles;
    }

    private static float[] iota() {
        float[] iota = new float[L];
        for (int n = 0; n < L; n++) {
            iota[n] = n;
        }
        return iota;
    }
}
