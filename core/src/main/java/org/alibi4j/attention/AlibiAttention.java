package org.alibi4j.attention;

import org.alibi4j.AlibiSlopes;
import org.alibi4j.BiasForm;
import org.alibi4j.internal.Arguments;

/**
 * ALiBi attention with the bias fused in: {@code out = softmax(scale * Q K^T + bias) V} per query head,
 * where {@code bias} is exactly what {@link org.alibi4j.AlibiPositionalBias#forward} (or
 * {@code forwardCausal}) gives for the same heads and slopes, and neither the bias nor the scores are
 * ever materialised (FlashAttention 2's online softmax over key blocks).
 *
 * <pre>{@code
 * try (var attention = AlibiAttention.builder(32).kvHeads(8).headDim(128).causal().build()) {
 *     attention.prefill(HeadTensor.of(q, 32, i, 128), HeadTensor.of(k, 8, j, 128), HeadTensor.of(v, 8, j, 128),
 *             HeadTensor.of(out, 32, i, 128));
 *     attention.decode(position, query, kCache, vCache, output);   // one step over keys 0..position
 * }
 * }</pre>
 *
 * <p>A decode loop that keeps its keys and values where the backend computes (on a device: sent once,
 * not at every step) uses a {@link KvCache} from {@link #openKvCache(int)}.
 *
 * <ul>
 *   <li><b>Alignment</b>: the {@code i} queries of a prefill are the last {@code i} of the {@code j}
 *       keys (bottom-right, as {@code forward(i, j)}); {@code i > j} is allowed.</li>
 *   <li><b>Causal</b>: keys after a query's position are excluded. A query that sees no key (causal with
 *       {@code i > j}) outputs zeros, as FlashAttention does.</li>
 *   <li><b>GQA / MQA</b>: query head {@code h} reads key/value head {@code h / (totalHeads / kvHeads)}.</li>
 *   <li><b>Precision</b>: float32 arithmetic; K and V may be IEEE halves, widened exactly on load.
 *       Results agree with the float64 {@link AttentionReference} within {@link AttentionReference#bound}.</li>
 * </ul>
 *
 * <p>Safe for use by many threads at once. {@link #close()} releases the backend unless it was given one.
 */
public final class AlibiAttention implements AutoCloseable {

    private final AttentionSpec spec;
    private final AttentionBackend backend;
    private final boolean ownsBackend;

    private AlibiAttention(Builder b) {
        if (b.headDim == 0) {
            throw new IllegalArgumentException("headDim must be set (the elements per head vector)");
        }
        AlibiSlopes slopes = b.slopes != null ? b.slopes : AlibiSlopes.forHeads(b.heads, b.maxBias);
        int totalHeads = b.totalHeads == 0 ? slopes.count() : b.totalHeads;
        this.spec = new AttentionSpec(slopes, totalHeads, b.kvHeads == 0 ? totalHeads : b.kvHeads, b.headDim,
                Float.isNaN(b.scale) ? AttentionSpec.defaultScale(b.headDim) : b.scale, b.form);
        this.ownsBackend = b.backend == null;
        this.backend = ownsBackend ? (b.backendName == null ? AttentionBackends.open() : AttentionBackends.open(b.backendName)) : b.backend;
    }

    /** A builder for {@code heads} biased heads. */
    public static Builder builder(int heads) {
        return new Builder(heads);
    }

    /** What this attention computes. */
    public AttentionSpec spec() {
        return spec;
    }

    /** The backend that computes it. */
    public AttentionBackend backend() {
        return backend;
    }

    /**
     * Prefill: {@code q} is {@code [totalHeads, i, d]}, {@code k} and {@code v} are {@code [kvHeads, j, d]},
     * {@code out} is {@code [totalHeads, i, d]} of floats.
     *
     * @throws IllegalArgumentException if a shape does not fit the spec or the others (nothing is written)
     */
    public void prefill(HeadTensor q, HeadTensor k, HeadTensor v, HeadTensor out) {
        ShapeChecks.queries(spec, "q", q, -1);
        ShapeChecks.keysAndValues(spec, k, v);
        ShapeChecks.queries(spec, "out", out, q.rows());
        ShapeChecks.writable(out);
        backend.prefill(spec, q, k, v, out);
    }

    /** Prefill of dense head-major arrays: returns the new {@code [totalHeads, i, d]} output. */
    public float[] prefill(float[] q, float[] k, float[] v, int i, int j) {
        int d = spec.headDim();
        float[] out = new float[Math.toIntExact((long) spec.totalHeads() * Arguments.positive("i", i) * d)];
        prefill(HeadTensor.of(q, spec.totalHeads(), i, d), HeadTensor.of(k, spec.kvHeads(), Arguments.positive("j", j), d),
                HeadTensor.of(v, spec.kvHeads(), j, d), HeadTensor.of(out, spec.totalHeads(), i, d));
        return out;
    }

    /**
     * One decode step: the query {@code q} ({@code [totalHeads, 1, d]}) at {@code position} attends over
     * keys {@code 0 .. position} of the caches {@code kCache} and {@code vCache} ({@code [kvHeads, capacity, d]},
     * {@code capacity > position}, in any layout {@link HeadTensor} describes); the result goes to
     * {@code out} ({@code [totalHeads, 1, d]}). The caches are read in place, only up to {@code position}.
     */
    public void decode(int position, HeadTensor q, HeadTensor kCache, HeadTensor vCache, HeadTensor out) {
        ShapeChecks.queries(spec, "q", q, 1);
        ShapeChecks.keys(spec, "kCache", kCache);
        ShapeChecks.keys(spec, "vCache", vCache);
        int capacity = Math.min(kCache.rows(), vCache.rows());
        if (position < 0 || position >= capacity) {
            throw new IllegalArgumentException("position must be in [0, " + (capacity - 1) + "], the caches' capacity less one (was "
                    + position + ")");
        }
        ShapeChecks.queries(spec, "out", out, 1);
        ShapeChecks.writable(out);
        backend.decode(spec, position, q, kCache, vCache, out);
    }

    /**
     * A cache of {@code capacity} positions of keys and values in floats, kept where the backend computes,
     * for a decode loop that sends each key and value once ({@link KvCache}). The caller closes it.
     *
     * @throws IllegalArgumentException if {@code capacity < 1}, or the cache cannot be that large on the backend
     */
    public KvCache openKvCache(int capacity) {
        return openKvCache(capacity, HeadTensor.Precision.F32);
    }

    /** {@link #openKvCache(int)} keeping K and V at {@code precision}: {@link HeadTensor.Precision#F16} keeps IEEE halves. */
    public KvCache openKvCache(int capacity, HeadTensor.Precision precision) {
        return new KvCache(spec, backend, capacity, precision);
    }

    @Override
    public void close() {
        if (ownsBackend) {
            backend.close();
        }
    }

    @Override
    public String toString() {
        return "AlibiAttention[" + spec + " on " + backend.name() + "]";
    }

    /** Options of an {@link AlibiAttention}; each setter checks its argument. */
    public static final class Builder {
        private final int heads;
        private int totalHeads;
        private int kvHeads;
        private int headDim;
        private float scale = Float.NaN;
        private double maxBias = AlibiSlopes.DEFAULT_MAX_BIAS;
        private AlibiSlopes slopes;
        private BiasForm form = BiasForm.SYMMETRIC;
        private AttentionBackend backend;
        private String backendName;

        private Builder(int heads) {
            this.heads = Arguments.positive("heads", heads);
        }

        /** Query heads, {@code >= heads}; the extra ones carry no bias. Default: {@code heads}. */
        public Builder totalHeads(int totalHeads) {
            this.totalHeads = Arguments.totalHeads(totalHeads, heads);
            return this;
        }

        /** Key/value heads, dividing {@code totalHeads} (checked at {@link #build()}). Default: {@code totalHeads}. */
        public Builder kvHeads(int kvHeads) {
            this.kvHeads = Arguments.positive("kvHeads", kvHeads);
            return this;
        }

        /** Elements per head vector. Required. */
        public Builder headDim(int headDim) {
            this.headDim = Arguments.positive("headDim", headDim);
            return this;
        }

        /** The factor on {@code Q K^T}; positive and finite. Default {@code 1 / sqrt(headDim)}. */
        public Builder scale(float scale) {
            if (!(scale > 0) || Float.isInfinite(scale)) {
                throw new IllegalArgumentException("scale must be a positive finite number (was " + scale + ")");
            }
            this.scale = scale;
            return this;
        }

        /** The maximum bias of the standard slopes (MPT's {@code alibi_bias_max}). Default 8. */
        public Builder maxBias(double maxBias) {
            AlibiSlopes.forHeads(heads, maxBias); // checks it
            this.maxBias = maxBias;
            return this;
        }

        /** Slopes of the caller's; their count must equal {@code heads}. */
        public Builder slopes(AlibiSlopes slopes) {
            this.slopes = Arguments.slopesFor(heads, slopes);
            return this;
        }

        /** Keys after a query's position are excluded ({@link BiasForm#CAUSAL}). */
        public Builder causal() {
            return form(BiasForm.CAUSAL);
        }

        /** Symmetric (the default: every key visible) or causal. */
        public Builder form(BiasForm form) {
            if (form == null) {
                throw new IllegalArgumentException("form must not be null");
            }
            this.form = form;
            return this;
        }

        /** A backend of the caller's, used but not closed. */
        public Builder backend(AttentionBackend backend) {
            if (backend == null) {
                throw new IllegalArgumentException("backend must not be null");
            }
            this.backend = backend;
            this.backendName = null;
            return this;
        }

        /** A backend by name ({@link AttentionBackends#open(String)}), opened and closed by the module. */
        public Builder backend(String name) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("backend name must not be blank; known: " + String.join(", ", AttentionBackends.names()));
            }
            this.backendName = name;
            this.backend = null;
            return this;
        }

        /** The attention as configured; its backend is opened now unless one was given. */
        public AlibiAttention build() {
            return new AlibiAttention(this);
        }
    }
}
