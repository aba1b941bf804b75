package org.alibi4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.alibi4j.AlibiSlopes;
import org.alibi4j.BiasForm;
import org.alibi4j.attention.AttentionReference;
import org.alibi4j.attention.AttentionSpec;
import org.alibi4j.attention.HeadTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The attention baselines compute what they claim to, so that the ratios against them mean something. */
class BaselinesTest {

    static Stream<AttentionShape> shapes() {
        return Stream.of(
                new AttentionShape("gqa", 6, 2, 13, 37, 40, true),        // rows and keys off the block sizes
                new AttentionShape("symmetric", 5, 5, 9, 9, 64, false),   // a non-power-of-two head count
                new AttentionShape("mqa", 4, 1, 70, 50, 24, true),        // i > j: the first rows see no key
                new AttentionShape("blocks", 4, 4, 64, 130, 128, true),   // full 4 x 4 blocks and tails
                AttentionShape.TINY_PREFILL);
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void materializedAttentionMatchesTheReference(AttentionShape s) {
        SplittableRandom random = new SplittableRandom(7);
        float[] q = AttentionBenchmark.random(random, (long) s.heads() * s.i() * s.d());
        float[] k = AttentionBenchmark.random(random, (long) s.kvHeads() * s.j() * s.d());
        float[] v = AttentionBenchmark.random(random, (long) s.kvHeads() * s.j() * s.d());
        AlibiSlopes slopes = AlibiSlopes.forHeads(s.heads());
        AttentionSpec spec = new AttentionSpec(slopes, s.heads(), s.kvHeads(), s.d(), AttentionSpec.defaultScale(s.d()),
                s.causal() ? BiasForm.CAUSAL : BiasForm.SYMMETRIC);
        float[] out = new float[q.length];
        try (var m = new MaterializedAttention(s, slopes, spec.scale(), 3)) {
            m.attend(q, k, v, out);
            m.attend(q, k, v, out); // the second call reads the cached bias
        }
        HeadTensor qt = HeadTensor.of(q, s.heads(), s.i(), s.d());
        HeadTensor kt = HeadTensor.of(k, s.kvHeads(), s.j(), s.d());
        HeadTensor vt = HeadTensor.of(v, s.kvHeads(), s.j(), s.d());
        double[] expected = AttentionReference.prefill(spec, qt, kt, vt);
        double[] bound = AttentionReference.bound(spec, qt, kt, vt);
        for (int h = 0; h < s.heads(); h++) {
            for (int r = 0; r < s.i(); r++) {
                for (int c = 0; c < s.d(); c++) {
                    int at = (h * s.i() + r) * s.d() + c;
                    if (!(Math.abs(out[at] - expected[at]) <= bound[h * s.i() + r])) {
                        fail("(head, query, c) = (" + h + ", " + r + ", " + c + "): expected " + expected[at] + " but was "
                                + out[at] + ", bound " + bound[h * s.i() + r]);
                    }
                }
            }
        }
    }

    @Test
    void fmaChainsStayFinite() {
        float sum = FmaPeak.chains(1, 1 << 20);
        assertTrue(Float.isFinite(sum) && sum > 0, "sum " + sum);
        assertEquals(2 * FmaPeak.FLOPS_PER_THREAD, FmaPeak.flopsPerCall(2));
    }

    @Test
    void readBandwidthSumsEveryFloatOfASegment() {
        try (var arena = java.lang.foreign.Arena.ofShared(); var bandwidth = new ReadBandwidth(3)) {
            long floats = 100_003;
            var segment = arena.allocate(floats * Float.BYTES + 3); // and a partial float, not read
            for (long n = 0; n < floats; n++) {
                segment.set(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), n * 4, n % 3);
            }
            // 33 334 ones and 33 334 twos: every partial sum is an integer below 2^24, exact in float
            assertEquals(100_002, bandwidth.sum(segment));
        }
    }

    @Test
    void readBandwidthSumsEveryFloat() {
        float[] a = new float[100_003];
        float[] b = new float[77];
        java.util.Arrays.fill(a, 1);
        java.util.Arrays.fill(b, 2);
        try (var bandwidth = new ReadBandwidth(2)) {
            assertEquals(100_003 + 154, bandwidth.sum(a, b));
        }
    }
}
