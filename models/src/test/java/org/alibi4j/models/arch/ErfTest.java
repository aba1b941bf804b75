package org.alibi4j.models.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ErfTest {

    /** erf by its Taylor series in double: slow, independent of the table, accurate to about 1e-13 for |x| <= 4.5. */
    private static double seriesErf(double x) {
        double term = x;
        double sum = x;
        for (int n = 1; n < 200; n++) {
            term *= -x * x / n;
            sum += term / (2 * n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    @Test
    void withinOneUlpOfTheSeriesOverTheWholeRange() {
        float worst = 0;
        for (int i = -45000; i <= 45000; i++) {
            float x = i * 1e-4f;
            float expected = (float) seriesErf(x);
            float actual = Erf.erf(x);
            float ulps = Math.abs(actual - expected) / Math.ulp(expected);
            worst = Math.max(worst, ulps);
            assertTrue(ulps <= 1, "erf(" + x + ") = " + actual + ", series " + expected);
        }
        assertTrue(worst <= 1);
    }

    @Test
    void oddSaturatedAndSignedZero() {
        assertEquals(1.0f, Erf.erf(4.0f));
        assertEquals(-1.0f, Erf.erf(-100f));
        assertEquals(1.0f, Erf.erf(Float.POSITIVE_INFINITY));
        assertEquals(Float.floatToRawIntBits(0.0f), Float.floatToRawIntBits(Erf.erf(0.0f)));
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(Erf.erf(-0.0f)));
        assertEquals(-Erf.erf(0.7f), Erf.erf(-0.7f));
        assertTrue(Float.isNaN(Erf.erf(Float.NaN)));
    }

    @Test
    void geluVariantsMatchTheirFormulasAtKnownPoints() {
        // GELU(1) = 0.5 * (1 + erf(1/sqrt 2)) = 0.8413447..., the tanh form gives 0.8411920...
        assertEquals(0.8413447f, Activation.GELU_ERF.apply(1f), 1e-7f);
        assertEquals(0.841192f, Activation.GELU_TANH.apply(1f), 1e-6f);
        assertEquals(0f, Activation.GELU_ERF.apply(0f));
        assertEquals(-0.15865526f, Activation.GELU_ERF.apply(-1f), 1e-7f);
    }
}
