package org.alibi4j;

import java.util.concurrent.atomic.LongAdder;

/**
 * Keeps one computed bias tensor and serves every request it covers as a bottom-right slice of it:
 * no recomputation, no copy.
 *
 * <p>A request {@code (i, j)} with {@code i <= I} and {@code j <= J} of the cached {@code [T, I, J]} is
 * a hit. A miss computes a tensor that covers both the request and the old capacity, doubling a
 * dimension that has to grow, so that a decode loop ({@code j} growing by one per step) or shapes that
 * alternate rebuild a logarithmic number of times, not at every call as x-transformers does. The
 * tensor never exceeds {@code maxBytes}: a larger capacity is tried first, then the smallest that
 * covers the request, and a request whose own tensor is over the bound is computed and returned
 * without being cached.
 *
 * <p>Hits read one volatile field and take no lock, so any number of threads may call
 * {@link #get(int, int)}; misses are computed by one thread at a time. A view handed out stays valid
 * after the cache grows: it keeps the old tensor alive.
 */
public final class BiasCache implements AutoCloseable {

    /** The default bound: 1 GiB, or a quarter of the maximum heap if that is smaller. */
    public static long defaultMaxBytes() {
        return Math.min(1L << 30, Runtime.getRuntime().maxMemory() / 4);
    }

    /** What the cache has done so far. */
    public record Stats(long hits, long builds, long uncached, int capacityI, int capacityJ, long bytes) {
    }

    private record Entry(BiasStorage storage, int capacityI, int capacityJ) {
        boolean covers(int i, int j) {
            return i <= capacityI && j <= capacityJ;
        }
    }

    private final AlibiBackend backend;
    private final BiasSpec template;
    private final long maxBytes;
    private final Object buildLock = new Object();
    private final LongAdder hits = new LongAdder();
    private final LongAdder builds = new LongAdder();
    private final LongAdder uncached = new LongAdder();
    private volatile Entry entry;
    private volatile boolean closed;

    /**
     * @param backend  computes the tensors; the cache does not close it
     * @param slopes   slopes of the biased heads
     * @param totalHeads heads in each tensor
     * @param form     symmetric or causal
     * @param maxBytes the largest tensor to keep, in bytes
     */
    public BiasCache(AlibiBackend backend, AlibiSlopes slopes, int totalHeads, BiasForm form, long maxBytes) {
        if (backend == null) {
            throw new IllegalArgumentException("backend must not be null");
        }
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes must be >= 0 (was " + maxBytes + ")");
        }
        this.backend = backend;
        this.template = new BiasSpec(slopes, totalHeads, 1, 1, form);
        this.maxBytes = maxBytes;
    }

    /** The {@code [totalHeads, i, j]} bias, from the cache where it covers {@code (i, j)}. */
    public BiasTensor get(int i, int j) {
        BiasSpec request = template.withShape(i, j); // validates i and j
        Entry current = entry;
        if (current != null && current.covers(i, j)) {
            hits.increment();
            return slice(current, i, j);
        }
        synchronized (buildLock) {
            if (closed) {
                throw new IllegalStateException("the cache is closed");
            }
            current = entry;
            if (current != null && current.covers(i, j)) {
                hits.increment();
                return slice(current, i, j);
            }
            BiasSpec capacity = capacityFor(current, request);
            if (capacity == null) {
                uncached.increment();
                return BiasTensor.dense(backend.materialize(request), request.totalHeads(), i, j);
            }
            Entry grown = new Entry(backend.materialize(capacity), capacity.i(), capacity.j());
            builds.increment();
            entry = grown;
            if (current != null) {
                current.storage().release();
            }
            return slice(grown, i, j);
        }
    }

    /** Counters and the current capacity. */
    public Stats stats() {
        Entry current = entry;
        int capacityI = current == null ? 0 : current.capacityI();
        int capacityJ = current == null ? 0 : current.capacityJ();
        return new Stats(hits.sum(), builds.sum(), uncached.sum(), capacityI, capacityJ,
                bytes(template.totalHeads(), capacityI, capacityJ));
    }

    /** Drops the cached tensor; views handed out stay as readable as {@link BiasStorage#release()} says. */
    @Override
    public void close() {
        synchronized (buildLock) {
            closed = true;
            Entry current = entry;
            entry = null;
            if (current != null) {
                current.storage().release();
            }
        }
    }

    private BiasTensor slice(Entry e, int i, int j) {
        return BiasTensor.bottomRight(e.storage(), template.totalHeads(), e.capacityI(), e.capacityJ(), i, j);
    }

    /** The shape to cache for {@code request}, or null to compute it uncached. */
    private BiasSpec capacityFor(Entry current, BiasSpec request) {
        int i = request.i();
        int j = request.j();
        int oldI = current == null ? 0 : current.capacityI();
        int oldJ = current == null ? 0 : current.capacityJ();
        int[][] candidates = {
                {grow(oldI, i), grow(oldJ, j)}, // room to grow into
                {Math.max(oldI, i), Math.max(oldJ, j)}, // the old shapes and this one
                {i, j}, // this one
        };
        for (int[] c : candidates) {
            if (fits(c[0], c[1])) {
                return template.withShape(c[0], c[1]);
            }
        }
        return null;
    }

    private static int grow(int capacity, int needed) {
        if (needed <= capacity) {
            return capacity;
        }
        return (int) Math.min(Integer.MAX_VALUE, Math.max(needed, 2L * capacity));
    }

    private boolean fits(int i, int j) {
        long elements = (long) i * j;
        return elements <= BiasSpec.MAX_ELEMENTS / template.totalHeads()
                && bytes(template.totalHeads(), i, j) <= maxBytes;
    }

    private static long bytes(int totalHeads, int i, int j) {
        return (long) totalHeads * i * j * Float.BYTES;
    }
}
