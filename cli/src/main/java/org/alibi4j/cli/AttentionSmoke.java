package org.alibi4j.cli;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import org.alibi4j.AlibiSlopes;
import org.alibi4j.BiasForm;
import org.alibi4j.attention.AlibiAttention;
import org.alibi4j.attention.AttentionBackend;
import org.alibi4j.attention.AttentionReference;
import org.alibi4j.attention.AttentionSpec;
import org.alibi4j.attention.HeadTensor;

/**
 * The attention cases of {@code smoke}: shapes that break attention kernels (heads that are not a power of
 * two, heads without bias, GQA and MQA, queries before the first key, one query, head dimensions that are
 * not a multiple of a vector, halves, a decode step through a position-major cache, an engine loop through
 * a {@link org.alibi4j.attention.KvCache} of floats and of halves), each run on a backend and checked element
 * by element against {@link AttentionReference} within {@link AttentionReference#bound}.
 */
final class AttentionSmoke {
    private AttentionSmoke() {
    }

    /**
     * One check. {@code capacity > 0} makes it a decode step at position {@code j - 1} through position-major
     * caches of {@code capacity} positions, the positions after it NaN (a step must not read them).
     * {@code steps > 0} makes it an engine loop through a {@link org.alibi4j.attention.KvCache} of
     * {@code capacity} positions ({@link KvCacheSmoke}): a causal prefill of {@code j} positions, then
     * {@code steps} appends and decode steps; {@code halves} keeps the cache in halves.
     */
    record Case(String name, int heads, int totalHeads, int kvHeads, int i, int j, int d, BiasForm form, boolean halves, int capacity,
                int steps) {
        static Case prefill(String name, int heads, int totalHeads, int kvHeads, int i, int j, int d, BiasForm form, boolean halves) {
            return new Case(name, heads, totalHeads, kvHeads, i, j, d, form, halves, 0, 0);
        }

        static Case decode(String name, int heads, int totalHeads, int kvHeads, int position, int capacity, int d, boolean halves) {
            return new Case(name, heads, totalHeads, kvHeads, 1, position + 1, d, BiasForm.CAUSAL, halves, capacity, 0);
        }

        static Case kvCache(String name, int heads, int totalHeads, int kvHeads, int prompt, int steps, int capacity, int d,
                            boolean halves) {
            return new Case(name, heads, totalHeads, kvHeads, prompt, prompt, d, BiasForm.CAUSAL, halves, capacity, steps);
        }

        String shape() {
            if (steps > 0) {
                return "T" + totalHeads + " G" + kvHeads + " j" + j + "+" + steps + " d" + d;
            }
            return capacity > 0
                    ? "T" + totalHeads + " G" + kvHeads + " p" + (j - 1) + " d" + d
                    : "T" + totalHeads + " G" + kvHeads + " i" + i + " j" + j + " d" + d;
        }

        /** The outputs it checks: the call's, or the prefill's and each decode step's. */
        int outputs() {
            return steps + 1;
        }

        AttentionSpec spec() {
            return new AttentionSpec(AlibiSlopes.forHeads(heads), totalHeads, kvHeads, d, AttentionSpec.defaultScale(d), form);
        }
    }

    static final List<Case> CASES = List.of(
            Case.prefill("prefill, 12 of 16 heads", 12, 16, 16, 67, 67, 64, BiasForm.SYMMETRIC, false),
            Case.prefill("prefill causal, 5 heads", 5, 5, 5, 130, 130, 32, BiasForm.CAUSAL, false),
            Case.prefill("causal, 6 of 8 heads", 6, 8, 8, 48, 80, 64, BiasForm.CAUSAL, false),
            Case.prefill("GQA 12 over 4, causal", 12, 12, 4, 33, 97, 64, BiasForm.CAUSAL, false),
            Case.prefill("MQA 8 over 1", 8, 8, 1, 17, 50, 128, BiasForm.SYMMETRIC, false),
            Case.prefill("i > j causal (zero rows)", 4, 4, 4, 9, 4, 16, BiasForm.CAUSAL, false),
            Case.prefill("i > j", 3, 3, 3, 7, 3, 16, BiasForm.SYMMETRIC, false),
            Case.prefill("i = 1, 20 heads over 4", 20, 20, 4, 1, 300, 64, BiasForm.SYMMETRIC, false),
            Case.prefill("head dim 80, causal", 6, 6, 2, 40, 40, 80, BiasForm.CAUSAL, false),
            Case.prefill("head dim 100", 3, 3, 3, 20, 45, 100, BiasForm.SYMMETRIC, false),
            Case.prefill("f16 K/V, causal", 8, 8, 2, 64, 64, 64, BiasForm.CAUSAL, true),
            Case.decode("decode, position-major cache", 32, 32, 8, 199, 256, 128, false),
            Case.decode("decode, f16 position-major", 12, 16, 4, 999, 1024, 64, true),
            Case.kvCache("KV cache f32, GQA 12 over 4", 12, 12, 4, 40, 6, 64, 64, false),
            Case.kvCache("KV cache f16, 12 of 16 over 4", 12, 16, 4, 33, 6, 48, 64, true));

    /** What one case gave: the largest error, its largest ratio to the bound, the elements over it, the calls' time. */
    record Result(double maxError, double maxRatio, long overBound, double millis) {
        boolean passed() {
            return overBound == 0;
        }
    }

    /** The errors of the outputs a case checks, each element against the reference within its row's bound. */
    static final class Tally {
        private double maxError;
        private double maxRatio;
        private long over;

        /** Adds one output: {@code bound} holds a bound per row of {@code d} elements. */
        void check(float[] out, double[] expected, double[] bound, int d) {
            for (int n = 0; n < expected.length; n++) {
                double error = Math.abs(out[n] - expected[n]);
                double limit = bound[n / d];
                if (!(error <= limit)) { // NaN too
                    over++;
                }
                maxError = Double.isNaN(error) ? Double.POSITIVE_INFINITY : Math.max(maxError, error);
                maxRatio = Double.isNaN(error) ? Double.POSITIVE_INFINITY : Math.max(maxRatio, error / limit);
            }
        }

        Result result(long nanos) {
            return new Result(maxError, maxRatio, over, nanos / 1e6);
        }
    }

    static Result run(AttentionBackend backend, Case c, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        if (c.steps() > 0) {
            return KvCacheSmoke.run(backend, c, random);
        }
        AttentionSpec spec = c.spec();
        float[] q = values(random, c.totalHeads() * c.i() * c.d(), 2);
        HeadTensor query = HeadTensor.of(q, c.totalHeads(), c.i(), c.d());
        float[] out = new float[q.length];
        Arrays.fill(out, Float.NaN); // every element must be written
        HeadTensor output = HeadTensor.of(out, c.totalHeads(), c.i(), c.d());
        HeadTensor k;
        HeadTensor v;
        double[] expected;
        double[] bound;
        long start;
        long end;
        try (AlibiAttention attention = AlibiAttention.builder(c.heads()).totalHeads(c.totalHeads()).kvHeads(c.kvHeads())
                .headDim(c.d()).form(c.form()).backend(backend).build()) {
            if (c.capacity() > 0) {
                int position = c.j() - 1;
                k = cache(random, c, 2);
                v = cache(random, c, 1);
                start = System.nanoTime();
                attention.decode(position, query, k, v, output);
                end = System.nanoTime();
                expected = AttentionReference.decode(spec, position, query, k, v);
                bound = AttentionReference.decodeBound(spec, position, query, k, v);
            } else {
                k = dense(random, c, 2);
                v = dense(random, c, 1);
                start = System.nanoTime();
                attention.prefill(query, k, v, output);
                end = System.nanoTime();
                expected = AttentionReference.prefill(spec, query, k, v);
                bound = AttentionReference.bound(spec, query, k, v);
            }
        }
        Tally tally = new Tally();
        tally.check(out, expected, bound, c.d());
        return tally.result(end - start);
    }

    private static HeadTensor dense(SplittableRandom random, Case c, double amplitude) {
        float[] data = values(random, c.kvHeads() * c.j() * c.d(), amplitude);
        return c.halves() ? HeadTensor.ofHalves(halves(data), c.kvHeads(), c.j(), c.d()) : HeadTensor.of(data, c.kvHeads(), c.j(), c.d());
    }

    /** A position-major {@code [capacity, G * d]} cache holding positions {@code 0 .. j - 1}, NaN after them. */
    private static HeadTensor cache(SplittableRandom random, Case c, double amplitude) {
        int filled = c.j() * c.kvHeads() * c.d();
        float[] data = Arrays.copyOf(values(random, filled, amplitude), c.capacity() * c.kvHeads() * c.d());
        Arrays.fill(data, filled, data.length, Float.NaN);
        return c.halves()
                ? HeadTensor.positionMajorHalves(halves(data), c.capacity(), c.kvHeads(), c.d())
                : HeadTensor.positionMajor(data, c.capacity(), c.kvHeads(), c.d());
    }

    static float[] values(SplittableRandom random, int n, double amplitude) {
        float[] a = new float[n];
        for (int x = 0; x < n; x++) {
            a[x] = (float) random.nextDouble(-amplitude, amplitude);
        }
        return a;
    }

    private static short[] halves(float[] data) {
        short[] h = new short[data.length];
        for (int n = 0; n < data.length; n++) {
            h[n] = Float.floatToFloat16(data[n]);
        }
        return h;
    }
}
