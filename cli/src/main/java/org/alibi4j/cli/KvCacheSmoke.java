package org.alibi4j.cli;

import java.util.Arrays;
import java.util.SplittableRandom;

import org.alibi4j.attention.AlibiAttention;
import org.alibi4j.attention.AttentionBackend;
import org.alibi4j.attention.AttentionReference;
import org.alibi4j.attention.AttentionSpec;
import org.alibi4j.attention.HeadTensor;
import org.alibi4j.attention.HeadTensor.Precision;
import org.alibi4j.attention.KvCache;

/**
 * The {@link KvCache} cases of {@code smoke}: an engine's loop on one backend, a causal prefill of the prompt
 * and then one append and one decode step per position, every output checked against
 * {@link AttentionReference} within its bound. The prefill is checked over K and V as given; each decode
 * step over the keys and values appended so far as the cache holds them (for a cache of halves, rounded to
 * half first), so a step that reads a stale, missing or unrounded row fails.
 */
final class KvCacheSmoke {
    private KvCacheSmoke() {
    }

    /** Runs {@code c} ({@code c.steps() > 0}); the time is that of the cache's calls alone. */
    static AttentionSmoke.Result run(AttentionBackend backend, AttentionSmoke.Case c, SplittableRandom random) {
        AttentionSpec spec = c.spec();
        int kvHeads = c.kvHeads();
        int d = c.d();
        int prompt = c.j();
        // what the cache holds, head-major [kvHeads, capacity, d]: the reference's keys and values
        float[] kHeld = new float[kvHeads * c.capacity() * d];
        float[] vHeld = new float[kHeld.length];
        Arrays.fill(kHeld, Float.NaN);
        Arrays.fill(vHeld, Float.NaN);
        HeadTensor kReference = HeadTensor.of(kHeld, kvHeads, c.capacity(), d);
        HeadTensor vReference = HeadTensor.of(vHeld, kvHeads, c.capacity(), d);
        AttentionSmoke.Tally tally = new AttentionSmoke.Tally();
        long nanos = 0;
        try (AlibiAttention attention = AlibiAttention.builder(c.heads()).totalHeads(c.totalHeads()).kvHeads(kvHeads)
                .headDim(d).form(c.form()).backend(backend).build();
             KvCache cache = attention.openKvCache(c.capacity(), c.halves() ? Precision.F16 : Precision.F32)) {
            HeadTensor q = HeadTensor.of(AttentionSmoke.values(random, c.totalHeads() * prompt * d, 2), c.totalHeads(), prompt, d);
            HeadTensor k = HeadTensor.of(AttentionSmoke.values(random, kvHeads * prompt * d, 2), kvHeads, prompt, d);
            HeadTensor v = HeadTensor.of(AttentionSmoke.values(random, kvHeads * prompt * d, 1), kvHeads, prompt, d);
            float[] out = unwritten(c.totalHeads() * prompt * d);
            long start = System.nanoTime();
            cache.prefill(q, k, v, HeadTensor.of(out, c.totalHeads(), prompt, d));
            nanos += System.nanoTime() - start;
            tally.check(out, AttentionReference.prefill(spec, q, k, v), AttentionReference.bound(spec, q, k, v), d);
            hold(k, 0, c, kHeld);
            hold(v, 0, c, vHeld);

            for (int position = prompt; position < prompt + c.steps(); position++) {
                HeadTensor kRow = HeadTensor.of(AttentionSmoke.values(random, kvHeads * d, 2), kvHeads, 1, d);
                HeadTensor vRow = HeadTensor.of(AttentionSmoke.values(random, kvHeads * d, 1), kvHeads, 1, d);
                HeadTensor query = HeadTensor.of(AttentionSmoke.values(random, c.totalHeads() * d, 2), c.totalHeads(), 1, d);
                float[] step = unwritten(c.totalHeads() * d);
                start = System.nanoTime();
                cache.append(position, kRow, vRow);
                cache.decode(position, query, HeadTensor.of(step, c.totalHeads(), 1, d));
                nanos += System.nanoTime() - start;
                hold(kRow, position, c, kHeld);
                hold(vRow, position, c, vHeld);
                tally.check(step, AttentionReference.decode(spec, position, query, kReference, vReference),
                        AttentionReference.decodeBound(spec, position, query, kReference, vReference), d);
            }
        }
        return tally.result(nanos);
    }

    /** An output's array, NaN until written: every element must be. */
    private static float[] unwritten(int n) {
        float[] a = new float[n];
        Arrays.fill(a, Float.NaN);
        return a;
    }

    /** Copies the rows of {@code rows} ({@code [kvHeads, n, d]}) to {@code position ..} of {@code held}, as the cache keeps them. */
    private static void hold(HeadTensor rows, int position, AttentionSmoke.Case c, float[] held) {
        int d = c.d();
        for (int h = 0; h < c.kvHeads(); h++) {
            for (int r = 0; r < rows.rows(); r++) {
                int at = (h * c.capacity() + position + r) * d;
                rows.readRow(h, r, held, at);
                if (c.halves()) {
                    for (int x = at; x < at + d; x++) {
                        held[x] = Float.float16ToFloat(Float.floatToFloat16(held[x]));
                    }
                }
            }
        }
    }
}
