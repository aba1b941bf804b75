package org.alibi4j.attention.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The pieces of the kernels that must be exact, or within a stated ulp count, on their own. */
class AttentionKernelsTest {

    @Test
    void widenGivesFloat16ToFloatForEveryHalf() {
        for (AttentionKernels kernels : List.of(new ScalarKernels(), new VectorKernels())) {
            short[] halves = new short[1 << 16];
            for (int n = 0; n < halves.length; n++) {
                halves[n] = (short) n;
            }
            float[] floats = new float[halves.length + 3];
            kernels.widen(halves, 0, floats, 3, halves.length);
            for (int n = 0; n < halves.length; n++) {
                assertEquals(Float.floatToRawIntBits(Float.float16ToFloat(halves[n])), Float.floatToRawIntBits(floats[n + 3]),
                        kernels.describe() + ": half 0x" + Integer.toHexString(n));
            }
        }
    }

    @Test
    void vectorExpIsWithinTwoUlpOfMathExpOnSoftmaxArgumentsAndZeroWhereNegligible() {
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        float[] x = new float[lanes];
        float[] y = new float[lanes];
        for (float start = -100f; start <= 0; start += lanes * 0.00731f) {
            for (int n = 0; n < lanes; n++) {
                x[n] = Math.min(0f, start + n * 0.00731f);
            }
            VectorKernels.exp(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, 0)).intoArray(y, 0);
            for (int n = 0; n < lanes; n++) {
                float expected = (float) Math.exp(x[n]);
                if (x[n] < ScalarKernels.NEGLIGIBLE) {
                    assertEquals(0f, y[n], "exp(" + x[n] + "): negligible, flushed");
                } else {
                    assertTrue(Math.abs(y[n] - expected) <= 2 * Math.ulp(expected), "exp(" + x[n] + ") = " + y[n] + ", Math.exp " + expected);
                }
            }
        }
        float[] edges = new float[lanes];
        edges[0] = Float.NEGATIVE_INFINITY;
        edges[1 % lanes] = -0.0f;
        VectorKernels.exp(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, edges, 0)).intoArray(y, 0);
        assertEquals(0f, y[0], "exp(-inf)");
        assertEquals(1f, y[1 % lanes], "exp(-0)");
        assertEquals(1f, y[lanes - 1], "exp(0)");
    }

    @Test
    void lanesAreSummedInAFixedOrder() {
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        float[] values = new float[lanes];
        double exact = 0;
        for (int n = 0; n < lanes; n++) {
            values[n] = 1f / (n + 3);
            exact += values[n];
        }
        float sum = VectorKernels.sum(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, values, 0));
        assertEquals(exact, sum, lanes * Math.ulp((float) exact));
        for (int rep = 0; rep < 20_000; rep++) { // the same bits interpreted and compiled
            assertEquals(Float.floatToRawIntBits(sum), Float.floatToRawIntBits(VectorKernels.sum(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, values, 0))));
        }
    }

    @Test
    void aTileWhoseWeightsAllFlushToZeroIsReportedAndChangesNoRunningState() {
        for (AttentionKernels kernels : List.of(new ScalarKernels(), new VectorKernels())) {
            int bq = kernels.queryTile(), keys = 5;
            float[] positions = new float[bq];
            float[] max = new float[bq];
            float[] sum = new float[bq];
            for (int r = 0; r < bq; r++) {
                positions[r] = 1000 + r;
                max[r] = 3.0f;   // seen before, at the diagonal
                sum[r] = 1.5f;
            }
            // keys 0..4 at a slope of 0.05 from queries at 1000 and beyond: 2 - 49.8 or less, over 44 below the max of 3
            float[] farScores = new float[keys * bq];
            java.util.Arrays.fill(farScores, 2.0f);
            float[] m = max.clone(), l = sum.clone(), alpha = new float[bq];
            assertFalse(kernels.softmax(farScores, bq, keys, 1.0f, 0.05f, 0, positions, false, m, l, alpha), kernels.describe());
            assertArrayEquals(max, m, kernels.describe() + ": the running max is left as it was");
            assertArrayEquals(sum, l, kernels.describe() + ": the running sum is left as it was");

            // one query whose largest weight is just above the flush still counts: the tile adds
            float[] scores = new float[keys * bq];
            java.util.Arrays.fill(scores, 2.0f);
            scores[4 * bq + 7] = 12.0f; // key 4 of query 7: 12 - 50.15, 41.15 below the max: not negligible
            assertTrue(kernels.softmax(scores, bq, keys, 1.0f, 0.05f, 0, positions, false, max.clone(), sum.clone(), alpha),
                    kernels.describe());

            // nothing seen yet (max -inf): never reported as negligible
            float[] none = new float[bq];
            java.util.Arrays.fill(none, Float.NEGATIVE_INFINITY);
            assertTrue(kernels.softmax(farScores.clone(), bq, keys, 1.0f, 0.05f, 0, positions, false, none, new float[bq], alpha),
                    kernels.describe());
        }
    }
}
