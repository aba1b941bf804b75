package org.alibi4j.tornado;

import static org.alibi4j.attention.AttentionAssertions.assertWithinBound;
import static org.alibi4j.attention.AttentionAssertions.gaussian;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.alibi4j.AlibiSlopes;
import org.alibi4j.BiasForm;
import org.alibi4j.attention.AttentionBackend;
import org.alibi4j.attention.AttentionBackends;
import org.alibi4j.attention.AttentionContract;
import org.alibi4j.attention.AttentionReference;
import org.alibi4j.attention.AttentionSpec;
import org.alibi4j.attention.HeadTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The core's attention contract on TornadoVM's default device, through the provider as the CLI opens it. */
class TornadoAttentionBackendTest extends AttentionContract {
    @Override
    protected AttentionBackend openBackend() {
        assumeTrue(System.getenv("TORNADOVM_HOME") != null, "TORNADOVM_HOME is not set: no TornadoVM to test");
        // a bailout must fail the test, never run the kernel as plain Java
        assertEquals("False", System.getProperty(TornadoProviderSupport.BAILOUT_PROPERTY));
        return AttentionBackends.open(TornadoAttentionBackend.NAME);
    }

    @Test
    void isTheDefaultWhereTornadoRuns() {
        try (AttentionBackend chosen = AttentionBackends.open()) {
            assertEquals(TornadoAttentionBackend.NAME, chosen.name());
        }
    }

    @Test
    void aRepeatedShapeReusesItsPlanAndAGrowingDecodeBuildsOnePerDoubling() {
        try (var tornado = new TornadoAttentionBackend()) {
            AttentionSpec spec = new AttentionSpec(AlibiSlopes.forHeads(4), 4, 2, 16, 0.25f, BiasForm.CAUSAL);
            HeadTensor q = HeadTensor.of(gaussian(4 * 8 * 16, 1, 1), 4, 8, 16);
            HeadTensor k = HeadTensor.of(gaussian(2 * 20 * 16, 1, 2), 2, 20, 16);
            HeadTensor v = HeadTensor.of(gaussian(2 * 20 * 16, 1, 3), 2, 20, 16);
            HeadTensor out = HeadTensor.of(new float[4 * 8 * 16], 4, 8, 16);
            tornado.prefill(spec, q, k, v, out);
            tornado.prefill(spec, q, k, v, out);
            assertEquals(1, tornado.planBuilds());
            HeadTensor q1 = HeadTensor.of(gaussian(4 * 16, 1, 4), 4, 1, 16);
            HeadTensor out1 = HeadTensor.of(new float[4 * 16], 4, 1, 16);
            for (int p = 0; p < 20; p++) { // 1, 2, 4, 8, 16, 32 keys: six decode plans
                tornado.decode(spec, p, q1, k, v, out1);
            }
            assertEquals(1 + 6, tornado.planBuilds());
            assertEquals(7, tornado.plansKept());
            tornado.close();
            assertEquals(0, tornado.plansKept());
            assertThrows(IllegalStateException.class, () -> tornado.prefill(spec, q, k, v, out));
        }
    }

    /** Past the tiled kernel's head dimension (128) the backend runs the per-work-item prefill. */
    @ParameterizedTest
    @EnumSource(BiasForm.class)
    void headDimensionsPastTheTilesRunThePerWorkItemPrefill(BiasForm form) {
        int heads = 6, kvHeads = 2, i = 37, j = 45, d = 160;
        AttentionSpec spec = new AttentionSpec(AlibiSlopes.forHeads(5), heads, kvHeads, d, AttentionSpec.defaultScale(d), form);
        HeadTensor q = HeadTensor.of(gaussian(heads * i * d, 1, 71), heads, i, d);
        HeadTensor k = HeadTensor.of(gaussian(kvHeads * j * d, 1, 72), kvHeads, j, d);
        HeadTensor v = HeadTensor.of(gaussian(kvHeads * j * d, 1, 73), kvHeads, j, d);
        float[] out = new float[heads * i * d];
        backend.prefill(spec, q, k, v, HeadTensor.of(out, heads, i, d));
        assertWithinBound("d = 160, " + form, AttentionReference.prefill(spec, q, k, v), AttentionReference.bound(spec, q, k, v), out, i, d);
    }
}
