package org.alibi4j.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.alibi4j.AlibiReference;
import org.alibi4j.AlibiSlopes;
import org.alibi4j.BiasForm;
import org.alibi4j.BiasSpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;

/** The half-precision output against the float reference. */
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

    /** Slopes up to 2^-0.5 over 40000 keys reach -28000: inside fp16's range, where its spacing is 16. */
    private static final BiasSpec WIDE = new BiasSpec(AlibiSlopes.forHeads(12), 14, 3, 40_000, BiasForm.CAUSAL);

    /** The kernels are plain Java: the same two tasks on the host, where HalfFloat rounds as Java does. */
    @Test
    void theKernelsAsPlainJavaRoundToNearestWithinTheBound() {
        FloatArray bias = new FloatArray((int) WIDE.elementCount());
        AlibiKernels.fillBias(FloatArray.fromArray(WIDE.slopes().toArray()), bias, WIDE.heads(), WIDE.totalHeads(), WIDE.i(), WIDE.j(), 1);
        HalfFloatArray half = new HalfFloatArray(bias.getSize());
        AlibiKernels.toHalf(bias, half);
        assertRoundedWithinBound(WIDE, half);
    }

    @Test
    void onTheDeviceToo() {
        HalfFloatArray half;
        try {
            half = tornado.materializeHalf(WIDE);
        } catch (IllegalStateException e) {
            assumeFalse(e.getMessage().startsWith(TornadoBackend.HALF_UNSUPPORTED), e.getMessage());
            throw e;
        }
        assertRoundedWithinBound(WIDE, half);
    }

    private static void assertRoundedWithinBound(BiasSpec spec, HalfFloatArray half) {
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
        FloatArray bias = FloatArray.fromArray(new float[] {-79996f, -65520f, -65519f, 0f});
        HalfFloatArray half = new HalfFloatArray(4);
        AlibiKernels.toHalf(bias, half);
        assertEquals(Float.NEGATIVE_INFINITY, half.get(0).getFloat32());
        assertEquals(Float.NEGATIVE_INFINITY, half.get(1).getFloat32(), "-65520 is the tie that rounds to -inf");
        assertEquals(-65504f, half.get(2).getFloat32());
        assertEquals(0x0000, half.get(3).getHalfFloatValue(), "+0.0 stays +0.0");
    }
}
