package org.alibi4j.attention.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/**
 * The decode kernels that share key and value rows among the heads of a group, against the plainest form
 * of the same arithmetic: they must give its bits exactly, so that a key's score or a head's output never
 * depends on the kernel or the block of keys it fell in.
 */
class DecodeKernelsTest {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int L = SPECIES.length();

    @Test
    void scoresOfManyKeysAndHeadsAreEachDotProductSummedAsOneVector() {
        VectorKernels kernels = new VectorKernels();
        SplittableRandom random = new SplittableRandom(5);
        for (int d : new int[] {L, 4 * L, 8 * L, 64, 100}) {
            for (int heads : new int[] {1, 2, 3, 4, 5, 8, 9}) {
                for (int keys : new int[] {1, 2, 3, 7, 8, 15, 16, 17, 33, 48}) {
                    int stride = d + 3 * (keys % 3); // rows in place, at the tensor's stride, or packed
                    float[] q = random(random, heads * d);
                    float[] k = random(random, 5 + keys * stride);
                    int sStride = keys + 2;
                    float[] s = new float[7 + heads * sStride];
                    kernels.decodeScores(q, heads, d, k, 5, stride, keys, s, 7, sStride);
                    for (int hh = 0; hh < heads; hh++) {
                        for (int kk = 0; kk < keys; kk++) {
                            float expected = dotAsOneVector(q, hh * d, k, 5 + kk * stride, d);
                            String what = "d " + d + ", heads " + heads + ", keys " + keys + ": head " + hh + ", key " + kk;
                            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(s[7 + hh * sStride + kk]), what);
                            double exact = 0;
                            for (int c = 0; c < d; c++) {
                                exact += (double) q[hh * d + c] * k[5 + kk * stride + c];
                            }
                            assertEquals(exact, s[7 + hh * sStride + kk], 1e-5 * d, what);
                        }
                    }
                }
            }
        }
    }

    @Test
    void scoresOfHalvesAreThoseOfTheWidenedRows() {
        VectorKernels kernels = new VectorKernels();
        SplittableRandom random = new SplittableRandom(6);
        int d = 4 * L, keys = 45, stride = d + 8;
        float[] q = random(random, d);
        short[] halves = new short[keys * stride];
        float[] widened = new float[halves.length];
        for (int n = 0; n < halves.length; n++) {
            halves[n] = Float.floatToFloat16((float) random.nextGaussian());
            widened[n] = Float.float16ToFloat(halves[n]);
        }
        float[] fromHalves = new float[keys + 1];
        float[] fromFloats = new float[keys + 1];
        kernels.decodeScores(q, d, halves, 0, stride, keys, fromHalves, 1, new float[kernels.keyTile() * d]);
        kernels.decodeScores(q, 1, d, widened, 0, stride, keys, fromFloats, 1, 0);
        for (int kk = 1; kk <= keys; kk++) {
            assertEquals(Float.floatToRawIntBits(fromFloats[kk]), Float.floatToRawIntBits(fromHalves[kk]), "key " + kk);
        }
    }

    @Test
    void valueRowsSharedByFourHeadsAddAsForOneHeadAtATime() {
        SplittableRandom random = new SplittableRandom(7);
        for (AttentionKernels kernels : new AttentionKernels[] {new VectorKernels(), new ScalarKernels()}) {
            for (int d : new int[] {4 * L, 8 * L, 100}) {
                for (int heads : new int[] {1, 3, 4, 6, 8}) {
                    int keys = 37, stride = d + 5, pStride = keys + 3;
                    float[] p = random(random, 2 + heads * pStride);
                    float[] v = random(random, 4 + keys * stride);
                    float[] start = random(random, heads * d);
                    float[] together = start.clone();
                    kernels.decodeAccumulate(p, 2, pStride, heads, d, v, 4, stride, keys, together);
                    for (int hh = 0; hh < heads; hh++) {
                        float[] alone = new float[d];
                        System.arraycopy(start, hh * d, alone, 0, d);
                        kernels.decodeAccumulate(p, 2 + hh * pStride, pStride, 1, d, v, 4, stride, keys, alone);
                        for (int c = 0; c < d; c++) {
                            String what = kernels.describe() + ", d " + d + ", heads " + heads + ": head " + hh + ", column " + c;
                            assertEquals(Float.floatToRawIntBits(alone[c]), Float.floatToRawIntBits(together[hh * d + c]), what);
                            double exact = start[hh * d + c];
                            for (int kk = 0; kk < keys; kk++) {
                                exact += (double) p[2 + hh * pStride + kk] * v[4 + kk * stride + c];
                            }
                            assertEquals(exact, together[hh * d + c], 1e-5 * keys, what);
                        }
                    }
                }
            }
        }
    }

    @Test
    void logitsAndWeightsAreTheFormulaAndTheirSumOnEveryKernel() {
        SplittableRandom random = new SplittableRandom(8);
        int keys = 3 * L + 5;
        float[] raw = random(random, keys);
        float[] fromScalar = raw.clone();
        float[] fromVector = raw.clone();
        float scale = 0.125f, slope = 0.0625f, firstKey = 1000f, position = 1040f;
        float maxScalar = new ScalarKernels().decodeLogits(fromScalar, 0, keys, scale, slope, firstKey, position);
        float maxVector = new VectorKernels().decodeLogits(fromVector, 0, keys, scale, slope, firstKey, position);
        float max = Float.NEGATIVE_INFINITY;
        for (int kk = 0; kk < keys; kk++) {
            float expected = raw[kk] * scale + (0.0f - slope * Math.abs(firstKey + kk - position));
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(fromScalar[kk]), "plain Java, key " + kk);
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(fromVector[kk]), "Vector API, key " + kk);
            max = Math.max(max, expected);
        }
        assertEquals(max, maxScalar);
        assertEquals(max, maxVector);

        float sumScalar = new ScalarKernels().decodeWeights(fromScalar, 0, keys, max);
        float sumVector = new VectorKernels().decodeWeights(fromVector, 0, keys, max);
        double exact = 0;
        for (int kk = 0; kk < keys; kk++) {
            double expected = Math.exp(raw[kk] * scale + (0.0f - slope * Math.abs(firstKey + kk - position)) - max);
            assertEquals(expected, fromScalar[kk], 2 * Math.ulp((float) expected), "plain Java weight " + kk);
            assertEquals(expected, fromVector[kk], 2 * Math.ulp((float) expected), "Vector API weight " + kk);
            exact += expected;
        }
        assertEquals(exact, sumScalar, 1e-5 * exact);
        assertEquals(exact, sumVector, 1e-5 * exact);
        assertTrue(sumVector >= 1.0f, "the largest logit's weight is 1");
    }

    /** Lane-wise multiply-adds over the whole vectors of the row, the lanes added by {@link VectorKernels#sum}, then the rest. */
    private static float dotAsOneVector(float[] q, int q0, float[] k, int k0, int d) {
        FloatVector a = FloatVector.zero(SPECIES);
        int c = 0;
        for (; c + L <= d; c += L) {
            a = FloatVector.fromArray(SPECIES, k, k0 + c).fma(FloatVector.fromArray(SPECIES, q, q0 + c), a);
        }
        float dot = VectorKernels.sum(a);
        for (; c < d; c++) {
            dot += q[q0 + c] * k[k0 + c];
        }
        return dot;
    }

    private static float[] random(SplittableRandom random, int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }
}
