package org.alibi4j.attention;

import static org.alibi4j.attention.AttentionAssertions.assertWithinBound;
import static org.alibi4j.attention.AttentionAssertions.gaussian;
import static org.alibi4j.attention.AttentionAssertions.halves;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import org.alibi4j.AlibiSlopes;
import org.alibi4j.BiasForm;
import org.alibi4j.attention.HeadTensor.Precision;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What every backend's {@link KvCache} must do: a prefill and then decode steps through the cache give
 * what the stateless {@link AttentionBackend#decode} gives over the same rows at the cache's precision
 * (bit for bit where the backend says the same kernels run, within twice the reference's bound otherwise)
 * and stay within {@link AttentionReference}'s bound; appends of chunks and rewinds; refused arguments that
 * change nothing; a closed cache. A backend's test extends this and says how to open the backend.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class KvCacheContract {

    protected AttentionBackend backend;

    /** A new instance of the backend under test. */
    protected abstract AttentionBackend openBackend();

    /** Whether a decode step through the cache runs the very kernels of the stateless decode (bit-identical results). */
    protected boolean decodesBitForBitAsStateless() {
        return false;
    }

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

    /** How the engine's rows lie: {@code [heads, positions, d]} or {@code [positions, heads * d]}. */
    public enum Layout {
        HEAD_MAJOR, POSITION_MAJOR
    }

    /**
     * A sequence: {@code heads} biased of {@code totalHeads} query heads over {@code kvHeads}, a prompt of
     * {@code prompt} positions, then {@code steps} decode steps, the last at the capacity less one; the
     * cache keeps {@code cache}, the engine's rows are {@code input} in {@code layout}.
     */
    public record Case(int heads, int totalHeads, int kvHeads, int d, int prompt, int steps, BiasForm form, Precision cache,
                       Precision input, Layout layout) {
        int capacity() {
            return prompt + steps;
        }

        AttentionSpec spec() {
            return new AttentionSpec(AlibiSlopes.forHeads(heads), totalHeads, kvHeads, d, AttentionSpec.defaultScale(d), form);
        }

        @Override
        public String toString() {
            return heads + "/" + totalHeads + " heads, " + kvHeads + " kv, d " + d + ", prompt " + prompt + " + " + steps + " steps, "
                    + form + ", " + cache + " cache of " + input + " " + layout;
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case(4, 4, 4, 16, 5, 4, BiasForm.CAUSAL, Precision.F32, Precision.F32, Layout.HEAD_MAJOR),
                new Case(6, 8, 2, 40, 33, 6, BiasForm.CAUSAL, Precision.F32, Precision.F32, Layout.POSITION_MAJOR),   // GQA, padded heads
                new Case(5, 5, 1, 7, 1, 5, BiasForm.SYMMETRIC, Precision.F32, Precision.F32, Layout.HEAD_MAJOR),      // MQA, one-row prompt
                new Case(12, 12, 4, 64, 700, 4, BiasForm.CAUSAL, Precision.F32, Precision.F16, Layout.POSITION_MAJOR), // long prompt, halves in
                new Case(8, 8, 2, 32, 40, 5, BiasForm.CAUSAL, Precision.F16, Precision.F32, Layout.HEAD_MAJOR),       // floats rounded to halves
                new Case(3, 6, 3, 100, 20, 4, BiasForm.SYMMETRIC, Precision.F16, Precision.F16, Layout.POSITION_MAJOR),
                new Case(4, 4, 2, 128, 600, 3, BiasForm.CAUSAL, Precision.F16, Precision.F32, Layout.POSITION_MAJOR));
    }

    /** An engine's K or V rows for every position of a case, as it holds them, and as the cache holds them. */
    record Rows(Case c, float[] floats, short[] halfBits) {
        static Rows of(Case c, long seed) {
            float[] values = gaussian(c.capacity() * c.kvHeads() * c.d(), 1, seed);
            return new Rows(c, values, c.input() == Precision.F16 || c.cache() == Precision.F16 ? halves(values) : null);
        }

        /** Positions {@code [from, from + n)} as the engine gives them. */
        HeadTensor input(int from, int n) {
            return c.input() == Precision.F16 ? view(halfBits, null, from, n) : view(null, floats, from, n);
        }

        /** Every position at the cache's precision, as a stateless decode reads them. */
        HeadTensor asCached() {
            return c.cache() == Precision.F16 || c.input() == Precision.F16 ? view(halfBits, null, 0, c.capacity())
                    : view(null, floats, 0, c.capacity());
        }

        private HeadTensor view(short[] h, float[] f, int from, int n) {
            int g = c.kvHeads();
            int d = c.d();
            long offset = c.layout() == Layout.HEAD_MAJOR ? (long) from * d : (long) from * g * d;
            long headStride = c.layout() == Layout.HEAD_MAJOR ? (long) c.capacity() * d : d;
            long rowStride = c.layout() == Layout.HEAD_MAJOR ? d : (long) g * d;
            return h != null ? HeadTensor.stridedHalves(h, offset, g, n, d, headStride, rowStride)
                    : HeadTensor.strided(f, offset, g, n, d, headStride, rowStride);
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void prefillThenDecodeStepsGiveTheStatelessDecode(Case c) {
        AttentionSpec spec = c.spec();
        int t = c.totalHeads();
        int d = c.d();
        Rows k = Rows.of(c, 1 + c.prompt());
        Rows v = Rows.of(c, 2 + c.d());
        HeadTensor q = HeadTensor.of(gaussian(t * c.prompt() * d, 1, 3), t, c.prompt(), d);
        float[] prefilled = new float[t * c.prompt() * d];
        float[] stateless = new float[prefilled.length];
        try (KvCache cache = new KvCache(spec, backend, c.capacity(), c.cache())) {
            cache.prefill(q, k.input(0, c.prompt()), v.input(0, c.prompt()), HeadTensor.of(prefilled, t, c.prompt(), d));
            backend.prefill(spec, q, k.input(0, c.prompt()), v.input(0, c.prompt()), HeadTensor.of(stateless, t, c.prompt(), d));
            assertArrayEquals(stateless, prefilled, c + ": the prefill is the stateless prefill");
            assertEquals(c.prompt(), cache.length());
            for (int p = c.prompt(); p < c.capacity(); p++) {
                cache.append(p, k.input(p, 1), v.input(p, 1));
                assertEquals(p + 1, cache.length());
                assertStepAsStateless(c + ", step at " + p, cache, spec, p, k.asCached(), v.asCached(), 100 + p);
            }
            assertStepAsStateless(c + ", again at 0", cache, spec, 0, k.asCached(), v.asCached(), 99); // an earlier position
        }
    }

    @Test
    void appendsOfChunksAndARewindGiveTheStatelessDecodeOfWhatWasStored() {
        Case c = new Case(3, 4, 2, 24, 0, 50, BiasForm.CAUSAL, Precision.F32, Precision.F32, Layout.POSITION_MAJOR);
        AttentionSpec spec = c.spec();
        Rows k = Rows.of(c, 11);
        Rows v = Rows.of(c, 12);
        try (KvCache cache = new KvCache(spec, backend, c.capacity(), c.cache())) {
            cache.append(0, k.input(0, 3), v.input(0, 3));
            cache.append(3, k.input(3, 3), v.input(3, 3));
            cache.append(6, k.input(6, 4), v.input(6, 4));
            assertEquals(10, cache.length());
            assertStepAsStateless("after chunks of 3, 3 and 4", cache, spec, 9, k.asCached(), v.asCached(), 21);
            assertStepAsStateless("at an earlier position", cache, spec, 5, k.asCached(), v.asCached(), 22);

            // a rejected draft: positions 6 and 7 are replaced, 8 and 9 dropped
            Rows k2 = Rows.of(c, 13);
            Rows v2 = Rows.of(c, 14);
            cache.append(6, k2.input(6, 2), v2.input(6, 2));
            assertEquals(8, cache.length());
            float[] kNow = k.floats().clone();
            float[] vNow = v.floats().clone();
            int width = c.kvHeads() * c.d();
            System.arraycopy(k2.floats(), 6 * width, kNow, 6 * width, 2 * width);
            System.arraycopy(v2.floats(), 6 * width, vNow, 6 * width, 2 * width);
            HeadTensor kExpected = HeadTensor.positionMajor(kNow, c.capacity(), c.kvHeads(), c.d());
            HeadTensor vExpected = HeadTensor.positionMajor(vNow, c.capacity(), c.kvHeads(), c.d());
            assertStepAsStateless("after the rewind", cache, spec, 7, kExpected, vExpected, 23);
            HeadTensor q = HeadTensor.of(new float[4 * 24], 4, 1, 24);
            assertThrows(IllegalStateException.class, () -> cache.decode(8, q, HeadTensor.of(new float[4 * 24], 4, 1, 24)));

            // a new sequence from position 0 over the same cache
            cache.append(0, k2.input(0, 1), v2.input(0, 1));
            assertEquals(1, cache.length());
            assertStepAsStateless("a new sequence", cache, spec, 0, k2.asCached(), v2.asCached(), 24);
        }
    }

    @Test
    void badArgumentsAreRefusedWithMessagesThatNameThemAndChangeNothing() {
        Case c = new Case(4, 4, 2, 8, 3, 2, BiasForm.CAUSAL, Precision.F32, Precision.F32, Layout.HEAD_MAJOR);
        AttentionSpec spec = c.spec();
        assertEquals("capacity must be >= 1 (was 0)", argument(() -> new KvCache(spec, backend, 0, Precision.F32)));
        assertEquals("precision must not be null", argument(() -> new KvCache(spec, backend, 4, null)));
        Rows k = Rows.of(c, 31);
        Rows v = Rows.of(c, 32);
        try (KvCache cache = new KvCache(spec, backend, c.capacity(), c.cache())) {
            HeadTensor q3 = HeadTensor.of(gaussian(4 * 3 * 8, 1, 33), 4, 3, 8);
            cache.prefill(q3, k.input(0, 3), v.input(0, 3), HeadTensor.of(new float[4 * 3 * 8], 4, 3, 8));
            HeadTensor q = HeadTensor.of(gaussian(4 * 8, 1, 34), 4, 1, 8);
            float[] before = new float[4 * 8];
            cache.decode(2, q, HeadTensor.of(before, 4, 1, 8));

            HeadTensor row = k.input(3, 1);
            HeadTensor wrongHeads = HeadTensor.of(new float[4 * 8], 4, 1, 8);
            HeadTensor wrongDim = HeadTensor.of(new float[2 * 4], 2, 1, 4);
            HeadTensor twoRows = k.input(3, 2);
            assertEquals("k must have kvHeads = 2 heads (had 4)", argument(() -> cache.append(3, wrongHeads, row)));
            assertEquals("v must have headDim = 8 (had 4)", argument(() -> cache.append(3, row, wrongDim)));
            assertEquals("k and v must hold as many keys (were 2 and 1)", argument(() -> cache.append(3, twoRows, row)));
            assertEquals("k must not be null", argument(() -> cache.append(3, null, row)));
            assertEquals("position must be >= 0 (was -1)", argument(() -> cache.append(-1, row, row)));
            assertEquals("2 rows at position 4 would end at 5, past the capacity's last position (4)", argument(() -> cache.append(4, twoRows, twoRows)));
            assertEquals("1 row at position 5 would end at 5, past the capacity's last position (4)", argument(() -> cache.append(5, row, row)));
            assertEquals("append at position 4 would leave a gap: the cache holds positions 0 .. 2 (append at 3, or earlier to replace "
                    + "the positions from there)", state(() -> cache.append(4, row, row)));
            float[] untouched = new float[4 * 8];
            Arrays.fill(untouched, Float.NaN);
            HeadTensor out = HeadTensor.of(untouched, 4, 1, 8);
            assertEquals("position must be in [0, 4], the capacity less one (was 5)", argument(() -> cache.decode(5, q, out)));
            assertEquals("position must be in [0, 4], the capacity less one (was -1)", argument(() -> cache.decode(-1, q, out)));
            assertEquals("decode at position 3 needs keys 0 .. 3 but the cache holds 0 .. 2: append the step's key and value first",
                    state(() -> cache.decode(3, q, out)));
            assertEquals("q must have 1 row (had 3)", argument(() -> cache.decode(2, q3, out)));
            assertEquals("out must have totalHeads = 4 heads (had 2)", argument(() -> cache.decode(2, q, wrongDim)));
            assertEquals("out must be a writable view of floats (was HeadTensor[4, 1, 8] of short[] (f16) from 0, strides (8, 8, 1))",
                    argument(() -> cache.decode(2, q, HeadTensor.ofHalves(new short[32], 4, 1, 8))));
            HeadTensor k6 = HeadTensor.of(new float[2 * 6 * 8], 2, 6, 8);
            HeadTensor q6 = HeadTensor.of(new float[4 * 6 * 8], 4, 6, 8);
            assertEquals("6 rows at position 0 would end at 5, past the capacity's last position (4)",
                    argument(() -> cache.prefill(q6, k6, k6, HeadTensor.of(new float[4 * 6 * 8], 4, 6, 8))));
            for (float value : untouched) {
                assertTrue(Float.isNaN(value), "a refused decode wrote its output");
            }
            assertEquals(3, cache.length(), "a refused call changed what the cache holds");
            float[] after = new float[4 * 8];
            cache.decode(2, q, HeadTensor.of(after, 4, 1, 8));
            assertArrayEquals(before, after, "a refused call changed the cached rows");
        }
        try (KvCache empty = new KvCache(spec, backend, 4, Precision.F16)) {
            HeadTensor q = HeadTensor.of(new float[32], 4, 1, 8);
            assertEquals("decode at position 0 needs keys 0 .. 0 but the cache holds none: append the step's key and value first",
                    state(() -> empty.decode(0, q, HeadTensor.of(new float[32], 4, 1, 8))));
        }
    }

    @Test
    void aClosedCacheRefusesEveryCall() {
        Case c = new Case(2, 2, 2, 4, 1, 1, BiasForm.CAUSAL, Precision.F32, Precision.F32, Layout.HEAD_MAJOR);
        KvCache cache = new KvCache(c.spec(), backend, 2, Precision.F32);
        HeadTensor row = HeadTensor.of(new float[8], 2, 1, 4);
        cache.append(0, row, row);
        cache.close();
        cache.close(); // again: nothing
        assertEquals("this KV cache is closed", state(() -> cache.append(1, row, row)));
        assertEquals("this KV cache is closed", state(() -> cache.decode(0, row, HeadTensor.of(new float[8], 2, 1, 4))));
        assertEquals("this KV cache is closed", state(() -> cache.prefill(row, row, row, HeadTensor.of(new float[8], 2, 1, 4))));
        assertEquals(2, cache.capacity());
    }

    @Test
    void cachesOfOneBackendServeSequencesOnSeveralThreads() throws Exception {
        Case c = new Case(4, 8, 2, 32, 30, 8, BiasForm.CAUSAL, Precision.F32, Precision.F32, Layout.POSITION_MAJOR);
        AttentionSpec spec = c.spec();
        List<float[]> expected = new ArrayList<>();
        for (int seq = 0; seq < 3; seq++) {
            expected.add(sequence(c, spec, seq));
        }
        try (ExecutorService callers = Executors.newFixedThreadPool(3)) {
            List<Future<float[]>> results = new ArrayList<>();
            for (int seq = 0; seq < 3; seq++) {
                int s = seq;
                results.add(callers.submit(() -> sequence(c, spec, s)));
            }
            for (int seq = 0; seq < 3; seq++) {
                assertArrayEquals(expected.get(seq), results.get(seq).get(), "sequence " + seq);
            }
        }
    }

    /** A sequence of its own cache: the outputs of every decode step, one after the other. */
    private float[] sequence(Case c, AttentionSpec spec, int seed) {
        Rows k = Rows.of(c, 40 + seed);
        Rows v = Rows.of(c, 50 + seed);
        int t = c.totalHeads();
        int d = c.d();
        float[] outputs = new float[c.steps() * t * d];
        try (KvCache cache = new KvCache(spec, backend, c.capacity(), c.cache())) {
            cache.append(0, k.input(0, c.prompt()), v.input(0, c.prompt()));
            for (int step = 0; step < c.steps(); step++) {
                int p = c.prompt() + step;
                cache.append(p, k.input(p, 1), v.input(p, 1));
                float[] out = new float[t * d];
                cache.decode(p, HeadTensor.of(gaussian(t * d, 1, 60 + p), t, 1, d), HeadTensor.of(out, t, 1, d));
                System.arraycopy(out, 0, outputs, step * t * d, t * d);
            }
        }
        return outputs;
    }

    /**
     * A decode step at {@code p} through the cache, against the stateless decode over {@code k} and {@code v}
     * (bit for bit, or within twice the bound) and against the reference (within the bound).
     */
    protected final void assertStepAsStateless(String what, KvCache cache, AttentionSpec spec, int p, HeadTensor k, HeadTensor v,
                                               long seed) {
        int t = spec.totalHeads();
        int d = spec.headDim();
        HeadTensor q = HeadTensor.of(gaussian(t * d, 1, seed), t, 1, d);
        float[] cached = new float[t * d];
        float[] stateless = new float[t * d];
        cache.decode(p, q, HeadTensor.of(cached, t, 1, d));
        backend.decode(spec, p, q, k, v, HeadTensor.of(stateless, t, 1, d));
        double[] bound = AttentionReference.decodeBound(spec, p, q, k, v);
        if (decodesBitForBitAsStateless()) {
            assertArrayEquals(stateless, cached, what + ": bit for bit the stateless decode");
        } else {
            double[] doubled = bound.clone();
            for (int n = 0; n < doubled.length; n++) {
                doubled[n] *= 2; // each within the bound of the reference
            }
            double[] expected = new double[stateless.length];
            for (int n = 0; n < expected.length; n++) {
                expected[n] = stateless[n];
            }
            assertWithinBound(what + " vs stateless", expected, doubled, cached, 1, d);
        }
        double worst = assertWithinBound(what + " vs reference", AttentionReference.decode(spec, p, q, k, v), bound, cached, 1, d);
        assertTrue(worst < AttentionContract.TYPICAL_FRACTION_OF_BOUND, what + ": error reached " + worst + " of the bound");
    }

    private static String argument(Executable call) {
        return assertThrows(IllegalArgumentException.class, call).getMessage();
    }

    private static String state(Executable call) {
        return assertThrows(IllegalStateException.class, call).getMessage();
    }
}
