package org.alibi4j.attention;

import static org.alibi4j.attention.AttentionAssertions.assertWithinBound;
import static org.alibi4j.attention.AttentionAssertions.gaussian;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.alibi4j.AlibiSlopes;
import org.alibi4j.BiasForm;
import org.alibi4j.attention.cpu.CpuAttentionBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class AlibiAttentionTest {

    @Test
    void builderDefaultsAndOptions() {
        try (AlibiAttention attention = AlibiAttention.builder(12).totalHeads(16).kvHeads(4).headDim(80).causal().maxBias(16).backend("cpu").build()) {
            AttentionSpec spec = attention.spec();
            assertEquals(12, spec.heads());
            assertEquals(16, spec.totalHeads());
            assertEquals(4, spec.kvHeads());
            assertEquals((float) (1 / Math.sqrt(80)), spec.scale());
            assertEquals(BiasForm.CAUSAL, spec.form());
            assertEquals(AlibiSlopes.forHeads(12, 16), spec.slopes());
            assertEquals(3, spec.kvHeadOf(15));
            assertEquals(0f, spec.slopeOf(13));
        }
    }

    @Test
    void badArgumentsAreRefusedWithMessagesThatNameThem() {
        assertEquals("headDim must be set (the elements per head vector)", message(() -> AlibiAttention.builder(4).build()));
        assertEquals("kvHeads must divide totalHeads = 6 (was 4)", message(() -> AlibiAttention.builder(6).kvHeads(4).headDim(8).build()));
        assertEquals("scale must be a positive finite number (was NaN)", message(() -> AlibiAttention.builder(6).scale(Float.NaN)));
        assertEquals("scale must be a positive finite number (was -1.0)", message(() -> AlibiAttention.builder(6).scale(-1)));
        assertEquals("totalHeads must be >= heads = 6 (was 5)", message(() -> AlibiAttention.builder(6).totalHeads(5)));
        assertEquals("unknown attention backend 'gpu'; known: " + String.join(", ", AttentionBackends.names()),
                message(() -> AlibiAttention.builder(2).headDim(4).backend("gpu").build()));
        try (AlibiAttention attention = AlibiAttention.builder(4).kvHeads(2).headDim(8).backend("cpu").build()) {
            HeadTensor q = HeadTensor.of(new float[4 * 3 * 8], 4, 3, 8);
            HeadTensor k = HeadTensor.of(new float[2 * 5 * 8], 2, 5, 8);
            float[] outData = new float[4 * 3 * 8];
            HeadTensor out = HeadTensor.of(outData, 4, 3, 8);
            assertEquals("q must have totalHeads = 4 heads (had 2)", message(() -> attention.prefill(k, k, k, out)));
            assertEquals("k must have kvHeads = 2 heads (had 4)", message(() -> attention.prefill(q, q, k, out)));
            assertEquals("k and v must hold as many keys (were 5 and 4)",
                    message(() -> attention.prefill(q, k, HeadTensor.of(new float[2 * 4 * 8], 2, 4, 8), out)));
            assertEquals("v must have headDim = 8 (had 4)",
                    message(() -> attention.prefill(q, k, HeadTensor.of(new float[2 * 5 * 8], 2, 5, 4), out)));
            assertEquals("out must have 3 rows (had 2)", message(() -> attention.prefill(q, k, k, HeadTensor.of(new float[64], 4, 2, 8))));
            assertEquals("out must be a writable view of floats (was HeadTensor[4, 3, 8] of short[] (f16) from 0, strides (24, 8, 1))",
                    message(() -> attention.prefill(q, k, k, HeadTensor.ofHalves(new short[96], 4, 3, 8))));
            HeadTensor q1 = HeadTensor.of(new float[32], 4, 1, 8);
            HeadTensor out1 = HeadTensor.of(new float[32], 4, 1, 8);
            assertEquals("position must be in [0, 4], the caches' capacity less one (was 5)", message(() -> attention.decode(5, q1, k, k, out1)));
            assertEquals("position must be in [0, 4], the caches' capacity less one (was -1)", message(() -> attention.decode(-1, q1, k, k, out1)));
            assertEquals("q must have 1 row (had 3)", message(() -> attention.decode(2, q, k, k, out1)));
            for (float value : outData) {
                assertEquals(0f, value, "nothing written");
            }
        }
    }

    @Test
    void viewsCheckTheirBounds() {
        assertEquals("a [2, 3, 4] view from offset 0 with strides (12, 4, 1) needs 24 elements but the storage holds 23",
                message(() -> HeadTensor.of(new float[23], 2, 3, 4)));
        assertEquals("rowStride must be >= dim = 4 (was 3)", message(() -> HeadTensor.strided(new float[99], 0, 2, 3, 4, 12, 3)));
        assertEquals("count must be in [1, 3] (was 4)", message(() -> HeadTensor.of(new float[24], 2, 3, 4).firstRows(4)));
        HeadTensor positionMajor = HeadTensor.positionMajor(new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 3, 2, 2);
        assertEquals(6f, positionMajor.get(1, 1, 0)); // position 1, head 1: row 1 of [3, 2 * 2]
        assertEquals(9f, positionMajor.get(0, 2, 1));
    }

    @Test
    void arraysInArraysOut() {
        try (AlibiAttention attention = AlibiAttention.builder(3).headDim(16).causal().build()) {
            float[] q = gaussian(3 * 5 * 16, 1, 1);
            float[] k = gaussian(3 * 9 * 16, 1, 2);
            float[] v = gaussian(3 * 9 * 16, 1, 3);
            float[] out = attention.prefill(q, k, v, 5, 9);
            HeadTensor qt = HeadTensor.of(q, 3, 5, 16);
            HeadTensor kt = HeadTensor.of(k, 3, 9, 16);
            HeadTensor vt = HeadTensor.of(v, 3, 9, 16);
            assertWithinBound("arrays", AttentionReference.prefill(attention.spec(), qt, kt, vt),
                    AttentionReference.bound(attention.spec(), qt, kt, vt), out, 5, 16);
        }
    }

    @Test
    void anEngineLoopThroughAKvCache() {
        try (AlibiAttention attention = AlibiAttention.builder(4).kvHeads(2).headDim(16).causal().backend("cpu").build();
                KvCache cache = attention.openKvCache(12, HeadTensor.Precision.F16)) {
            assertEquals(12, cache.capacity());
            assertEquals(HeadTensor.Precision.F16, cache.precision());
            float[] k = gaussian(12 * 2 * 16, 1, 7); // an engine's position-major [positions, kvHeads * d]
            float[] v = gaussian(12 * 2 * 16, 1, 8);
            HeadTensor prompt = HeadTensor.of(gaussian(4 * 8 * 16, 1, 9), 4, 8, 16);
            cache.prefill(prompt, HeadTensor.positionMajor(k, 8, 2, 16), HeadTensor.positionMajor(v, 8, 2, 16),
                    HeadTensor.of(new float[4 * 8 * 16], 4, 8, 16));
            HeadTensor kAll = HeadTensor.positionMajorHalves(AttentionAssertions.halves(k), 12, 2, 16);
            HeadTensor vAll = HeadTensor.positionMajorHalves(AttentionAssertions.halves(v), 12, 2, 16);
            for (int p = 8; p < 12; p++) {
                cache.append(p, HeadTensor.strided(k, p * 32L, 2, 1, 16, 16, 32), HeadTensor.strided(v, p * 32L, 2, 1, 16, 16, 32));
                HeadTensor q = HeadTensor.of(gaussian(4 * 16, 1, p), 4, 1, 16);
                float[] step = new float[4 * 16];
                float[] stateless = new float[4 * 16];
                cache.decode(p, q, HeadTensor.of(step, 4, 1, 16));
                attention.decode(p, q, kAll, vAll, HeadTensor.of(stateless, 4, 1, 16)); // the same rows, as halves
                org.junit.jupiter.api.Assertions.assertArrayEquals(stateless, step, "step " + p);
            }
            assertEquals(12, cache.length());
        }
    }

    @Test
    void aClosedBackendRefusesWork() {
        CpuAttentionBackend backend = new CpuAttentionBackend(2);
        AlibiAttention attention = AlibiAttention.builder(1).headDim(4).backend(backend).build();
        attention.close(); // the caller's backend stays open
        HeadTensor one = HeadTensor.of(new float[4], 1, 1, 4);
        attention.decode(0, one, one, one, HeadTensor.of(new float[4], 1, 1, 4));
        backend.close();
        assertEquals("this attention backend is closed",
                assertThrows(IllegalStateException.class, () -> attention.decode(0, one, one, one, HeadTensor.of(new float[4], 1, 1, 4))).getMessage());
    }

    private static String message(Executable call) {
        return assertThrows(IllegalArgumentException.class, call).getMessage();
    }
}
