package org.alibi4j.models.arch;

import org.alibi4j.attention.AlibiAttention;
import org.alibi4j.attention.HeadTensor;
import org.alibi4j.attention.KvCache;

/**
 * One sequence's state: a {@link KvCache} per layer, and the activations of the rows being run (grown to the
 * largest prefill seen). Not for use by two threads at once; {@link #close()} frees the caches.
 */
public final class DecoderState implements AutoCloseable {
    private final DecoderSpec spec;
    final KvCache[] caches;
    float[] x = new float[0];
    float[] normed = new float[0];
    float[] qkv = new float[0];
    float[] context = new float[0];
    float[] projected = new float[0];
    float[] attended = new float[0];
    float[] inner = new float[0];
    private int rows;

    DecoderState(DecoderSpec spec, AlibiAttention attention, int capacity, HeadTensor.Precision precision) {
        this.spec = spec;
        this.caches = new KvCache[spec.layers()];
        try {
            for (int l = 0; l < caches.length; l++) {
                caches[l] = attention.openKvCache(capacity, precision);
            }
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    /** Buffers for {@code n} rows. */
    void reserve(int n) {
        if (n <= rows) {
            return;
        }
        int h = spec.hidden();
        x = new float[n * h];
        normed = new float[n * h];
        qkv = new float[n * 3 * h];
        context = new float[n * h];
        projected = new float[n * h];
        attended = spec.parallelAttention() ? new float[n * h] : attended;
        inner = new float[Math.multiplyExact(n, spec.ffn())];
        rows = n;
    }

    /** The most positions a sequence may hold. */
    public int capacity() {
        return caches[0].capacity();
    }

    @Override
    public void close() {
        for (KvCache cache : caches) {
            if (cache != null) {
                cache.close();
            }
        }
    }
}
