package org.alibi4j.attention;

import static org.alibi4j.attention.AttentionAssertions.assertWithinBound;
import static org.alibi4j.attention.AttentionAssertions.gaussian;
import static org.alibi4j.attention.AttentionAssertions.halves;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import org.alibi4j.AlibiPositionalBias;
import org.alibi4j.AlibiSlopes;
import org.alibi4j.BiasForm;
import org.alibi4j.BiasTensor;
import org.alibi4j.attention.HeadTensor.Precision;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The cases every attention backend must pass, within {@link AttentionReference}'s bound of the float64
 * reference. A backend's test extends this and says how to open the backend.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class AttentionContract {

    protected AttentionBackend backend;

    /** A new instance of the backend under test. */
    protected abstract AttentionBackend openBackend();

    @BeforeAll
    void open() {
        backend = openBackend();
    }

    @AfterAll
    void close() {
        if (backend != null) {
            backend.close();
        }
    }

    /**
     * One prefill case: {@code heads} biased of {@code totalHeads} query heads, {@code kvHeads}, {@code i}
     * queries over {@code j} keys of {@code d} elements, values of {@code magnitude}, K/V in halves or not.
     */
    public record Case(int heads, int totalHeads, int kvHeads, int i, int j, int d, BiasForm form, double magnitude, boolean halves) {
        @Override
        public String toString() {
            return heads + "/" + totalHeads + " heads, " + kvHeads + " kv, " + i + "x" + j + ", d " + d + ", " + form
                    + (magnitude != 1 ? ", x" + magnitude : "") + (halves ? ", f16 K/V" : "");
        }
    }

    static Stream<Case> cases() {
        List<Case> cases = new ArrayList<>();
        for (BiasForm form : BiasForm.values()) {
            cases.add(new Case(1, 1, 1, 1, 1, 1, form, 1, false));            // j = 1, i = 1
            cases.add(new Case(3, 3, 3, 5, 7, 16, form, 1, false));           // non-power-of-two heads
            cases.add(new Case(5, 8, 8, 17, 33, 7, form, 1, false));          // padded heads, d off the vector width
            cases.add(new Case(12, 12, 4, 40, 40, 80, form, 1, false));       // GQA, d = 80
            cases.add(new Case(6, 6, 1, 33, 70, 96, form, 1, false));         // MQA, d = 96
            cases.add(new Case(20, 20, 5, 9, 130, 100, form, 1, false));      // d = 100
            cases.add(new Case(4, 4, 2, 70, 70, 128, form, 1, false));        // d = 128: K/V rows read in place
            cases.add(new Case(3, 3, 3, 20, 50, 160, form, 1, false));        // d = 160: two column chunks
            cases.add(new Case(2, 4, 2, 9, 30, 256, form, 1, true));          // d = 256, f16 K/V: staged chunks
            cases.add(new Case(4, 6, 2, 40, 13, 32, form, 1, false));         // i > j (causal: leading rows see nothing)
            cases.add(new Case(2, 2, 2, 1, 100, 64, form, 1, false));         // one query: the decode path
            cases.add(new Case(4, 4, 2, 3, 3000, 64, form, 1, false));        // long rows
            cases.add(new Case(3, 4, 1, 50, 50, 40, form, 30, false));        // large scores: softmax must subtract the max
            cases.add(new Case(12, 12, 4, 37, 91, 80, form, 1, true));        // f16 K/V
            cases.add(new Case(5, 5, 5, 2, 600, 100, form, 1, true));
            cases.add(new Case(3, 3, 3, 1, 1531, 100, form, 1, true));       // decode of halves, a KV head per query head
        }
        return cases.stream();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void prefillIsWithinTheBoundOfTheReference(Case c) {
        AttentionSpec spec = spec(c);
        HeadTensor q = HeadTensor.of(gaussian(c.totalHeads() * c.i() * c.d(), c.magnitude(), 1 + c.i()), c.totalHeads(), c.i(), c.d());
        float[] kf = gaussian(c.kvHeads() * c.j() * c.d(), c.magnitude(), 2 + c.j());
        float[] vf = gaussian(c.kvHeads() * c.j() * c.d(), 1, 3 + c.d());
        HeadTensor k = c.halves() ? HeadTensor.ofHalves(halves(kf), c.kvHeads(), c.j(), c.d()) : HeadTensor.of(kf, c.kvHeads(), c.j(), c.d());
        HeadTensor v = c.halves() ? HeadTensor.ofHalves(halves(vf), c.kvHeads(), c.j(), c.d()) : HeadTensor.of(vf, c.kvHeads(), c.j(), c.d());
        float[] out = new float[c.totalHeads() * c.i() * c.d()];
        backend.prefill(spec, q, k, v, HeadTensor.of(out, c.totalHeads(), c.i(), c.d()));
        double worst = assertWithinBound(c.toString(), AttentionReference.prefill(spec, q, k, v), AttentionReference.bound(spec, q, k, v),
                out, c.i(), c.d());
        // the bound is the worst case; rounding errors seen are a few percent of it at most, so a kernel
        // bug that stays under the bound (a small slope off, a key dropped from a long row) still shows
        assertTrue(worst < TYPICAL_FRACTION_OF_BOUND, c + ": error reached " + worst + " of the bound");
    }

    /** The largest error, as a fraction of the bound, that float32 rounding gives on these seeded cases. */
    static final double TYPICAL_FRACTION_OF_BOUND = 0.1;

    @Test
    void causalQueriesThatSeeNoKeyOutputZeros() {
        AttentionSpec spec = new AttentionSpec(AlibiSlopes.forHeads(2), 2, 2, 8, 0.5f, BiasForm.CAUSAL);
        int i = 9, j = 4; // queries at positions -5 .. 3: the first five see no key
        float[] out = new float[2 * i * 8];
        java.util.Arrays.fill(out, Float.NaN);
        backend.prefill(spec, HeadTensor.of(gaussian(2 * i * 8, 1, 5), 2, i, 8), HeadTensor.of(gaussian(2 * j * 8, 1, 6), 2, j, 8),
                HeadTensor.of(gaussian(2 * j * 8, 1, 7), 2, j, 8), HeadTensor.of(out, 2, i, 8));
        for (int h = 0; h < 2; h++) {
            for (int row = 0; row < i; row++) {
                for (int c = 0; c < 8; c++) {
                    float value = out[(h * i + row) * 8 + c];
                    if (row < 5) {
                        assertEquals(0, Float.floatToRawIntBits(value), "+0.0 at head " + h + ", row " + row);
                    } else {
                        assertTrue(Float.isFinite(value) && value != 0, "head " + h + ", row " + row + " was " + value);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void fusedEqualsMaterialisedBiasThenSoftmaxWithinTheBound(Case c) {
        if (c.halves() || c.j() > 1000) {
            return; // covered by the f32 cases; the materialised path below is O(i j d) in plain loops
        }
        AttentionSpec spec = spec(c);
        float[] q = gaussian(c.totalHeads() * c.i() * c.d(), c.magnitude(), 11);
        float[] k = gaussian(c.kvHeads() * c.j() * c.d(), c.magnitude(), 12);
        float[] v = gaussian(c.kvHeads() * c.j() * c.d(), 1, 13);
        float[] fused = new float[q.length];
        HeadTensor qt = HeadTensor.of(q, c.totalHeads(), c.i(), c.d());
        HeadTensor kt = HeadTensor.of(k, c.kvHeads(), c.j(), c.d());
        HeadTensor vt = HeadTensor.of(v, c.kvHeads(), c.j(), c.d());
        backend.prefill(spec, qt, kt, vt, HeadTensor.of(fused, c.totalHeads(), c.i(), c.d()));
        double[] materialised = materialisedThenSoftmax(spec, q, k, v, c.i(), c.j());
        double[] bound = AttentionReference.bound(spec, qt, kt, vt);
        double[] doubled = new double[bound.length];
        for (int n = 0; n < bound.length; n++) {
            doubled[n] = 2 * bound[n]; // both sides are float32 computations, each within the bound
        }
        assertWithinBound(c + " vs materialised", materialised, doubled, fused, c.i(), c.d());
    }

    @Test
    void decodeStepsThroughAPositionMajorCacheMatchTheReference() {
        int heads = 6, kvHeads = 2, d = 48, capacity = 1500;
        AttentionSpec spec = new AttentionSpec(AlibiSlopes.forHeads(5), heads, kvHeads, d, AttentionSpec.defaultScale(d), BiasForm.CAUSAL);
        // llama3.java's layout: [positions, kvHeads * d]; only the first position + 1 rows are read
        HeadTensor k = HeadTensor.positionMajor(gaussian(capacity * kvHeads * d, 1, 21), capacity, kvHeads, d);
        HeadTensor v = HeadTensor.positionMajor(gaussian(capacity * kvHeads * d, 1, 22), capacity, kvHeads, d);
        for (int position : new int[] {0, 1, 63, 511, 512, 1024, 1499}) {
            HeadTensor q = HeadTensor.of(gaussian(heads * d, 1, position), heads, 1, d);
            float[] out = new float[heads * d];
            backend.decode(spec, position, q, k, v, HeadTensor.of(out, heads, 1, d));
            assertWithinBound("decode at " + position, AttentionReference.decode(spec, position, q, k, v),
                    AttentionReference.decodeBound(spec, position, q, k, v), out, 1, d);
        }
    }

    @Test
    void decodeOfHalvesInAPositionMajorCacheMatchesTheReference() {
        assertDecodeOfPositionMajorHalves("decode of position-major halves", 4, 2, 700, 650, 61);
    }

    @Test
    void decodeOfHalvesInAPositionMajorCacheWithAKvHeadPerQueryHeadMatchesTheReference() {
        // the kernels read these halves in place, rows kvHeads * d apart, widening as they go
        assertDecodeOfPositionMajorHalves("decode of position-major halves, no groups", 3, 3, 1300, 1210, 64);
    }

    /** A decode step over caches of halves laid out [capacity, kvHeads, d] (d = 72), K, V and Q drawn from {@code seed} on. */
    private void assertDecodeOfPositionMajorHalves(String what, int heads, int kvHeads, int capacity, int position, int seed) {
        int d = 72;
        AttentionSpec spec = new AttentionSpec(AlibiSlopes.forHeads(heads), heads, kvHeads, d, 0.2f, BiasForm.CAUSAL);
        HeadTensor k = HeadTensor.positionMajorHalves(halves(gaussian(capacity * kvHeads * d, 1, seed)), capacity, kvHeads, d);
        HeadTensor v = HeadTensor.positionMajorHalves(halves(gaussian(capacity * kvHeads * d, 1, seed + 1)), capacity, kvHeads, d);
        HeadTensor q = HeadTensor.of(gaussian(heads * d, 1, seed + 2), heads, 1, d);
        float[] out = new float[heads * d];
        backend.decode(spec, position, q, k, v, HeadTensor.of(out, heads, 1, d));
        assertWithinBound(what, AttentionReference.decode(spec, position, q, k, v),
                AttentionReference.decodeBound(spec, position, q, k, v), out, 1, d);
    }

    @Test
    void decodeBeyondExactFloatPositionsUsesTheIntegerBias() {
        // past 2^24 float positions round; the bias must still be forward's (float) -|k - p| * slope
        int position = (1 << 24) + 5;
        AttentionSpec spec = new AttentionSpec(AlibiSlopes.of(0.75f), 1, 1, 1, 1.0f, BiasForm.CAUSAL);
        float[] keys = new float[position + 1];
        float[] values = new float[position + 1];
        for (int n = position - 8; n <= position; n++) {
            values[n] = n - position + 8; // the near keys carry distinct values; the rest are zero
        }
        HeadTensor k = HeadTensor.of(keys, 1, position + 1, 1);
        HeadTensor v = HeadTensor.of(values, 1, position + 1, 1);
        HeadTensor q = HeadTensor.of(new float[] {1f}, 1, 1, 1);
        float[] out = new float[1];
        backend.decode(spec, position, q, k, v, HeadTensor.of(out, 1, 1, 1));
        // the worst-case bound grows with the 2^24 keys; here every far key adds an exact zero, so the
        // result is as good as float gets, and a distance off by one (float positions) moves it by ~0.3
        assertEquals(AttentionReference.decode(spec, position, q, k, v)[0], out[0], 1e-5);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void decodeOfHalvesInASegmentMatchesTheReference(boolean shared) {
        int heads = 8, d = 100, capacity = 3000, position = 2900;
        AttentionSpec spec = new AttentionSpec(AlibiSlopes.forHeads(8), heads, 8, d, 0.1f, BiasForm.SYMMETRIC);
        // a confined arena's segments can only be read on this thread: the backend must cope with both
        try (Arena arena = shared ? Arena.ofShared() : Arena.ofConfined()) {
            HeadTensor k = segmentOfHalves(arena, gaussian(heads * capacity * d, 1, 31), heads, capacity, d);
            HeadTensor v = segmentOfHalves(arena, gaussian(heads * capacity * d, 1, 32), heads, capacity, d);
            HeadTensor q = HeadTensor.of(gaussian(heads * d, 1, 33), heads, 1, d);
            MemorySegment outSegment = arena.allocate((long) heads * d * Float.BYTES);
            backend.decode(spec, position, q, k, v, HeadTensor.of(outSegment, Precision.F32, heads, 1, d));
            float[] out = outSegment.toArray(ValueLayout.JAVA_FLOAT);
            assertWithinBound("decode of halves", AttentionReference.decode(spec, position, q, k, v),
                    AttentionReference.decodeBound(spec, position, q, k, v), out, 1, d);
        }
    }

    @Test
    void prefillOfAStridedViewWritesOnlyItsRows() {
        // out is rows 2..5 of a wider [heads, 8, d] buffer; the rest must stay untouched
        int heads = 3, i = 4, j = 9, d = 20;
        AttentionSpec spec = new AttentionSpec(AlibiSlopes.forHeads(3), heads, 3, d, 0.3f, BiasForm.CAUSAL);
        HeadTensor q = HeadTensor.of(gaussian(heads * i * d, 1, 41), heads, i, d);
        HeadTensor k = HeadTensor.of(gaussian(heads * j * d, 1, 42), heads, j, d);
        HeadTensor v = HeadTensor.of(gaussian(heads * j * d, 1, 43), heads, j, d);
        float[] wide = new float[heads * 8 * d];
        java.util.Arrays.fill(wide, 7f);
        backend.prefill(spec, q, k, v, HeadTensor.strided(wide, 2L * d, heads, i, d, 8L * d, d));
        float[] out = new float[heads * i * d];
        for (int h = 0; h < heads; h++) {
            for (int row = 0; row < 8; row++) {
                for (int c = 0; c < d; c++) {
                    float value = wide[(h * 8 + row) * d + c];
                    if (row >= 2 && row < 2 + i) {
                        out[(h * i + row - 2) * d + c] = value;
                    } else {
                        assertEquals(7f, value, "untouched (head " + h + ", row " + row + ")");
                    }
                }
            }
        }
        assertWithinBound("strided", AttentionReference.prefill(spec, q, k, v), AttentionReference.bound(spec, q, k, v), out, i, d);
    }

    @Test
    void concurrentCallsGiveTheSameResults() throws Exception {
        Case c = new Case(12, 12, 4, 70, 200, 64, BiasForm.CAUSAL, 1, false);
        AttentionSpec spec = spec(c);
        HeadTensor q = HeadTensor.of(gaussian(12 * 70 * 64, 1, 51), 12, 70, 64);
        HeadTensor k = HeadTensor.of(gaussian(4 * 200 * 64, 1, 52), 4, 200, 64);
        HeadTensor v = HeadTensor.of(gaussian(4 * 200 * 64, 1, 53), 4, 200, 64);
        float[] expected = new float[12 * 70 * 64];
        backend.prefill(spec, q, k, v, HeadTensor.of(expected, 12, 70, 64));
        try (ExecutorService callers = Executors.newFixedThreadPool(4)) {
            List<Future<float[]>> results = new ArrayList<>();
            for (int n = 0; n < 8; n++) {
                results.add(callers.submit(() -> {
                    float[] out = new float[expected.length];
                    backend.prefill(spec, q, k, v, HeadTensor.of(out, 12, 70, 64));
                    return out;
                }));
            }
            for (Future<float[]> result : results) {
                assertArrayEquals(expected, result.get());
            }
        }
    }

    private static AttentionSpec spec(Case c) {
        return new AttentionSpec(AlibiSlopes.forHeads(c.heads()), c.totalHeads(), c.kvHeads(), c.d(), AttentionSpec.defaultScale(c.d()),
                c.form());
    }

    /** What an engine without fusion does: the bias tensor from forward, scores, softmax in float, times V. */
    private static double[] materialisedThenSoftmax(AttentionSpec spec, float[] q, float[] k, float[] v, int i, int j) {
        int heads = spec.totalHeads();
        int d = spec.headDim();
        double[] out = new double[heads * i * d];
        try (AlibiPositionalBias alibi = AlibiPositionalBias.builder(spec.heads()).slopes(spec.slopes()).totalHeads(heads)
                .backend("cpu").build()) {
            BiasTensor bias = spec.form() == BiasForm.CAUSAL ? alibi.forwardCausal(i, j) : alibi.forward(i, j);
            float[] scores = new float[j];
            for (int h = 0; h < heads; h++) {
                int g = spec.kvHeadOf(h);
                for (int row = 0; row < i; row++) {
                    float max = Float.NEGATIVE_INFINITY;
                    for (int key = 0; key < j; key++) {
                        float dot = 0;
                        for (int c = 0; c < d; c++) {
                            dot += q[(h * i + row) * d + c] * k[(g * j + key) * d + c];
                        }
                        scores[key] = dot * spec.scale() + bias.get(h, row, key);
                        max = Math.max(max, scores[key]);
                    }
                    if (max == Float.NEGATIVE_INFINITY) {
                        continue; // no visible key: zeros
                    }
                    float sum = 0;
                    for (int key = 0; key < j; key++) {
                        scores[key] = (float) Math.exp(scores[key] - max);
                        sum += scores[key];
                    }
                    for (int key = 0; key < j; key++) {
                        for (int c = 0; c < d; c++) {
                            out[(h * i + row) * d + c] += (double) (scores[key] / sum) * v[(g * j + key) * d + c];
                        }
                    }
                }
            }
        }
        return out;
    }

    private static HeadTensor segmentOfHalves(Arena arena, float[] values, int heads, int rows, int d) {
        MemorySegment segment = arena.allocate((long) values.length * Short.BYTES);
        ValueLayout.OfShort layout = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (int n = 0; n < values.length; n++) {
            segment.setAtIndex(layout, n, Float.floatToFloat16(values[n]));
        }
        return HeadTensor.of(segment, Precision.F16, heads, rows, d);
    }
}
