package org.alibi4j.attention.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
}
