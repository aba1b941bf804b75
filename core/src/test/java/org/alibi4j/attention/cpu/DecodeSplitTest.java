package org.alibi4j.attention.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.alibi4j.AlibiSlopes;
import org.alibi4j.BiasForm;
import org.alibi4j.attention.AttentionSpec;
import org.alibi4j.attention.HeadTensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The two-pass decode step: value rows whose weights are all zero are skipped, and the result does not change. */
class DecodeSplitTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 2}) // query heads per key/value head
    void valueRowsWhoseWeightsAllFlushToZeroAreNotRead(int group) {
        int kvHeads = 2, heads = kvHeads * group, d = 32, keys = 4000, position = keys - 1, near = 300;
        // steep slopes: past ~100 keys of distance every weight is below e^-44 of the head's largest
        AttentionSpec spec = new AttentionSpec(AlibiSlopes.of(java.util.Arrays.copyOf(new float[] {1.0f, 0.5f, 0.75f, 0.625f}, heads)), heads, kvHeads, d,
                0.25f, BiasForm.CAUSAL);
        SplittableRandom random = new SplittableRandom(11);
        float[] q = gaussian(random, heads * d);
        float[] k = gaussian(random, kvHeads * keys * d);
        float[] v = gaussian(random, kvHeads * keys * d);
        float[] poisoned = v.clone();
        for (int g = 0; g < kvHeads; g++) {
            for (int n = 0; n < keys - near; n++) {
                java.util.Arrays.fill(poisoned, (g * keys + n) * d, (g * keys + n + 1) * d, Float.NaN);
            }
        }
        for (CpuAttentionBackend backend : new CpuAttentionBackend[] {new CpuAttentionBackend(2), CpuAttentionBackend.plainJava(2)}) {
            try (backend) {
                float[] expected = decode(backend, spec, position, q, k, v);
                float[] seen = decode(backend, spec, position, q, k, poisoned);
                for (int n = 0; n < expected.length; n++) {
                    assertTrue(Float.isFinite(seen[n]), backend.kernels() + ": a NaN value row was read, element " + n);
                    assertEquals(Float.floatToRawIntBits(expected[n]), Float.floatToRawIntBits(seen[n]), backend.kernels() + ", element " + n);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3})
    void aStepGivesTheSameBitsOnEveryCall(int threads) {
        int heads = 8, kvHeads = 2, d = 64, keys = 5000;
        AttentionSpec spec = new AttentionSpec(AlibiSlopes.forHeads(heads), heads, kvHeads, d, 0.125f, BiasForm.CAUSAL);
        SplittableRandom random = new SplittableRandom(12);
        float[] q = gaussian(random, heads * d);
        float[] k = gaussian(random, kvHeads * keys * d);
        float[] v = gaussian(random, kvHeads * keys * d);
        try (CpuAttentionBackend backend = new CpuAttentionBackend(threads)) {
            float[] first = decode(backend, spec, keys - 1, q, k, v);
            for (int call = 0; call < 200; call++) { // interpreted, then compiled: the same bits
                float[] again = decode(backend, spec, keys - 1, q, k, v);
                for (int n = 0; n < first.length; n++) {
                    assertEquals(Float.floatToRawIntBits(first[n]), Float.floatToRawIntBits(again[n]), "call " + call + ", element " + n);
                }
            }
        }
    }

    @org.junit.jupiter.api.Test
    void aStepWhoseLogitsWouldNotFitAnArrayIsRefusedByName() {
        int heads = 256, position = (1 << 23) + 1;
        AttentionSpec spec = new AttentionSpec(AlibiSlopes.forHeads(heads), heads, heads, 1, 1.0f, BiasForm.CAUSAL);
        HeadTensor one = HeadTensor.of(new float[heads], heads, 1, 1);
        try (CpuAttentionBackend backend = new CpuAttentionBackend(1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> backend.decode(spec, position, one, one, one, one));
            assertTrue(e.getMessage().contains("position " + position), e.getMessage());
        }
    }

    private static float[] decode(CpuAttentionBackend backend, AttentionSpec spec, int position, float[] q, float[] k, float[] v) {
        int keys = position + 1;
        float[] out = new float[spec.totalHeads() * spec.headDim()];
        backend.decode(spec, position, HeadTensor.of(q, spec.totalHeads(), 1, spec.headDim()),
                HeadTensor.of(k, spec.kvHeads(), keys, spec.headDim()), HeadTensor.of(v, spec.kvHeads(), keys, spec.headDim()),
                HeadTensor.of(out, spec.totalHeads(), 1, spec.headDim()));
        return out;
    }

    private static float[] gaussian(SplittableRandom random, int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }
}
