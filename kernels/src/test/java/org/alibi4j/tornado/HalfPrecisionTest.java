package org.alibi4j.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.alibi4j.AlibiReference;
import org.alibi4j.AlibiSlopes;
import org.alibi4j.BiasForm;
import org.alibi4j.BiasSpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;

/** The half-precision output against the float reference, and the device-memory limit. */
class HalfPrecisionTest {
    private static TornadoBackend tornado;

    @BeforeAll
    static void open() {
        assumeTrue(System.getenv("TORNADOVM_HOME") != null, "TORNADOVM_HOME is not set: no TornadoVM to test");
        tornado = (TornadoBackend) new TornadoBackendProvider().open();
    }

    @AfterAll
    static void close() {
        if (tornado != null) {
            tornado.close();
        }
    }

    @Test
    void halfIsTheFloatBiasRoundedToNearestWithinTheStatedBound() {
        // slopes up to 2^-0.5 over 40000 keys reach -28000: inside fp16's range, where its spacing is 16
        BiasSpec spec = new BiasSpec(AlibiSlopes.forHeads(12), 14, 3, 40_000, BiasForm.CAUSAL);
        HalfFloatArray half = tornado.materializeHalf(spec);
        int n = 0;
        double worstRelative = 0;
        for (int h = 0; h < spec.totalHeads(); h++) {
            for (int q = 0; q < spec.i(); q++) {
                for (int k = 0; k < spec.j(); k++, n++) {
                    float exact = AlibiReference.bias(spec, h, q, k);
                    short bits = half.get(n).getHalfFloatValue();
                    assertEquals(Float.floatToFloat16(exact), bits, "(" + h + ", " + q + ", " + k + ") of " + exact);
                    float value = Float.float16ToFloat(bits);
                    if (Float.isFinite(exact) && Math.abs(exact) >= 0x1p-14f) {
                        worstRelative = Math.max(worstRelative, Math.abs(value - exact) / Math.abs(exact));
                    }
                }
            }
        }
        assertTrue(worstRelative <= 0x1p-11, "relative error " + worstRelative + " > 2^-11");
        assertTrue(worstRelative > 0, "the test reaches values that half precision rounds");
    }

    @Test
    void biasesBeyondHalfPrecisionsRangeBecomeMinusInfinity() {
        BiasSpec spec = new BiasSpec(AlibiSlopes.of(4f), 1, 1, 20_000, BiasForm.SYMMETRIC); // down to -79996
        HalfFloatArray half = tornado.materializeHalf(spec);
        assertEquals(Float.NEGATIVE_INFINITY, half.get(0).getFloat32());
        assertEquals(0.0f, half.get(19_999).getFloat32());
    }

    @Test
    void aTensorLargerThanTheDeviceAllowsNamesBoth() {
        BiasSpec spec = new BiasSpec(AlibiSlopes.forHeads(1), 1, 46_000, 46_000, BiasForm.SYMMETRIC); // 8.5 GB of floats
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tornado.materialize(spec));
        assertTrue(e.getMessage().matches("a \\[1, 46000, 46000\\] tensor needs 8464000000 bytes; the largest buffer .+ allocates is \\d+ bytes"),
                e.getMessage());
    }
}
