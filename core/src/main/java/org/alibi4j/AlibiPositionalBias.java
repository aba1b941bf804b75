package org.alibi4j;

import org.alibi4j.internal.Arguments;

/**
 * ALiBi attention bias for a model with {@code heads} biased heads out of {@code totalHeads}: the Java
 * counterpart of x-transformers' {@code AlibiPositionalBias(heads, total_heads)}.
 *
 * <p>{@link #forward(int, int)} returns the {@code [totalHeads, i, j]} bias for {@code i} queries that
 * are the last {@code i} of {@code j} keys. Calls are served by a {@link BiasCache} (bottom-right
 * slices, never x-transformers' top-left bug). For engines that never want the tensor,
 * {@link #addBias}, {@link #addBiasCausal} and {@link #addBiasDecodeRow} add it into scores in place.
 *
 * <pre>{@code
 * try (var alibi = new AlibiPositionalBias(4, 8)) {
 *     BiasTensor bias = alibi.forward(3, 5);   // [8, 3, 5]
 *     float b = bias.get(0, 2, 4);             // 0.0f: the last query attends to itself
 * }
 * }</pre>
 *
 * <p>Safe for use by many threads at once. {@link #close()} releases the cache and, unless it was
 * given one, the backend.
 */
public final class AlibiPositionalBias implements AutoCloseable {

    private final AlibiSlopes slopes;
    private final int totalHeads;
    private final AlibiBackend backend;
    private final boolean ownsBackend;
    private final BiasCache symmetric;
    private final BiasCache causal;

    /** {@code heads} biased heads, no others, on the default backend. */
    public AlibiPositionalBias(int heads) {
        this(heads, heads);
    }

    /** {@code heads} biased heads of {@code totalHeads}, on the default backend. */
    public AlibiPositionalBias(int heads, int totalHeads) {
        this(builder(heads).totalHeads(totalHeads));
    }

    private AlibiPositionalBias(Builder b) {
        this.slopes = b.slopes != null ? b.slopes : AlibiSlopes.forHeads(b.heads, b.maxBias);
        this.totalHeads = b.totalHeads == 0 ? slopes.count() : b.totalHeads;
        new BiasSpec(slopes, totalHeads, 1, 1, BiasForm.SYMMETRIC); // checks totalHeads >= heads before opening anything
        this.ownsBackend = b.backend == null;
        this.backend = ownsBackend ? (b.backendName == null ? AlibiBackends.open() : AlibiBackends.open(b.backendName)) : b.backend;
        this.symmetric = new BiasCache(backend, slopes, totalHeads, BiasForm.SYMMETRIC, b.cacheMaxBytes);
        this.causal = new BiasCache(backend, slopes, totalHeads, BiasForm.CAUSAL, b.cacheMaxBytes);
    }

    /** A builder for {@code heads} biased heads. */
    public static Builder builder(int heads) {
        return new Builder(heads);
    }

    /** The {@code [totalHeads, i, j]} symmetric bias ({@link BiasForm#SYMMETRIC}). */
    public BiasTensor forward(int i, int j) {
        return symmetric.get(i, j);
    }

    /** The {@code [totalHeads, i, j]} causal bias ({@link BiasForm#CAUSAL}: future keys {@code -inf}). */
    public BiasTensor forwardCausal(int i, int j) {
        return causal.get(i, j);
    }

    /** Adds the symmetric bias to the dense {@code [totalHeads, i, j]} scores at {@code scores[offset]}. */
    public void addBias(float[] scores, int offset, int i, int j) {
        backend.addBias(spec(i, j, BiasForm.SYMMETRIC), scores, offset);
    }

    /** Adds the causal bias: as {@link #addBias} and future keys set to {@code -inf}. */
    public void addBiasCausal(float[] scores, int offset, int i, int j) {
        backend.addBias(spec(i, j, BiasForm.CAUSAL), scores, offset);
    }

    /**
     * Adds the bias of one decode step, a query at position {@code position} over keys
     * {@code 0 .. position}, to the dense {@code [totalHeads, position + 1]} score rows at
     * {@code scores[offset]}: key {@code k} of head {@code h} gets {@code -slope[h] * (position - k)}.
     */
    public void addBiasDecodeRow(float[] scores, int offset, int position) {
        if (position < 0 || position == Integer.MAX_VALUE) {
            throw new IllegalArgumentException("position must be in [0, " + (Integer.MAX_VALUE - 1) + "] (was " + position + ")");
        }
        addBias(scores, offset, 1, position + 1);
    }

    /**
     * The undecorated distances, x-transformers' {@code get_bias(i, j)}: a dense {@code [i, j]} array of
     * {@code -|k - (j - i + q)|}.
     */
    public static int[] distances(int i, int j) {
        Arguments.positive("i", i);
        Arguments.positive("j", j);
        if ((long) i * j > BiasSpec.MAX_ELEMENTS) {
            throw new IllegalArgumentException("i * j = " + i + " * " + j + " exceeds the largest array");
        }
        int[] out = new int[i * j];
        for (int q = 0; q < i; q++) {
            int position = j - i + q;
            for (int k = 0; k < j; k++) {
                out[q * j + k] = -Math.abs(k - position);
            }
        }
        return out;
    }

    /** The slopes of the biased heads. */
    public AlibiSlopes slopes() {
        return slopes;
    }

    /** Biased heads. */
    public int heads() {
        return slopes.count();
    }

    /** Heads in every tensor: the biased ones, then those without bias. */
    public int totalHeads() {
        return totalHeads;
    }

    /** The backend that computes the tensors and the fused adds. */
    public AlibiBackend backend() {
        return backend;
    }

    /** The symmetric cache's counters. */
    public BiasCache.Stats cacheStats() {
        return symmetric.stats();
    }

    /** The causal cache's counters. */
    public BiasCache.Stats causalCacheStats() {
        return causal.stats();
    }

    @Override
    public void close() {
        symmetric.close();
        causal.close();
        if (ownsBackend) {
            backend.close();
        }
    }

    private BiasSpec spec(int i, int j, BiasForm form) {
        return new BiasSpec(slopes, totalHeads, i, j, form);
    }

    /** Options of an {@link AlibiPositionalBias}; each setter checks its argument. */
    public static final class Builder {
        private final int heads;
        private int totalHeads;
        private double maxBias = AlibiSlopes.DEFAULT_MAX_BIAS;
        private AlibiSlopes slopes;
        private AlibiBackend backend;
        private String backendName;
        private long cacheMaxBytes = BiasCache.defaultMaxBytes();

        private Builder(int heads) {
            this.heads = Arguments.positive("heads", heads);
        }

        /** Heads in every tensor, {@code >= heads}; the extra ones carry no bias. Default: {@code heads}. */
        public Builder totalHeads(int totalHeads) {
            this.totalHeads = Arguments.totalHeads(totalHeads, heads);
            return this;
        }

        /** The maximum bias of the standard slopes (MPT's {@code alibi_bias_max}). Default 8. */
        public Builder maxBias(double maxBias) {
            AlibiSlopes.forHeads(heads, maxBias); // checks it
            this.maxBias = maxBias;
            return this;
        }

        /** Slopes of the caller's, e.g. a tensor-parallel shard's; their count must equal {@code heads}. */
        public Builder slopes(AlibiSlopes slopes) {
            this.slopes = Arguments.slopesFor(heads, slopes);
            return this;
        }

        /** A backend of the caller's, which the module uses but does not close. */
        public Builder backend(AlibiBackend backend) {
            if (backend == null) {
                throw new IllegalArgumentException("backend must not be null");
            }
            this.backend = backend;
            this.backendName = null;
            return this;
        }

        /** A backend by name ({@link AlibiBackends#open(String)}), opened and closed by the module. */
        public Builder backend(String name) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("backend name must not be blank; known: " + String.join(", ", AlibiBackends.names()));
            }
            this.backendName = name;
            this.backend = null;
            return this;
        }

        /** The largest tensor each cache keeps, in bytes; larger requests are computed uncached. */
        public Builder cacheMaxBytes(long cacheMaxBytes) {
            if (cacheMaxBytes < 0) {
                throw new IllegalArgumentException("cacheMaxBytes must be >= 0 (was " + cacheMaxBytes + ")");
            }
            this.cacheMaxBytes = cacheMaxBytes;
            return this;
        }

        /** The bias as configured; its backend is opened now unless one was given. */
        public AlibiPositionalBias build() {
            return new AlibiPositionalBias(this);
        }
    }
}
