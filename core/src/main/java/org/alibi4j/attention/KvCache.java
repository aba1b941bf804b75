package org.alibi4j.attention;

import org.alibi4j.attention.HeadTensor.Precision;
import org.alibi4j.internal.Arguments;

/**
 * The keys and values of one sequence, kept where the backend computes: an engine sends each position's
 * key and value once, and every decode step after that sends only its query and gets back its output.
 * Opened by {@link AlibiAttention#openKvCache(int)}; the same on every backend (the CPU keeps the rows on
 * the Java heap; {@code tornado} keeps them in device memory, so a decode step copies neither K nor V).
 *
 * <pre>{@code
 * try (KvCache cache = attention.openKvCache(4096)) {
 *     cache.prefill(q, k, v, out);              // the prompt: its j keys and values become positions 0 .. j-1
 *     for (int p = j; p < end; p++) {
 *         cache.append(p, kRow, vRow);          // [kvHeads, 1, headDim]: the step's key and value
 *         cache.decode(p, query, step);         // the query at p over keys 0 .. p
 *     }
 * }
 * }</pre>
 *
 * <ul>
 *   <li><b>Positions</b>: the cache holds positions {@code 0 .. length() - 1}. {@link #append} writes at
 *       any position up to {@link #length()}: at {@code length()} it extends the sequence; earlier, it
 *       replaces the positions from there on and drops the rest (a rejected speculative draft, or a new
 *       sequence from 0). A position past {@code length()} would leave a gap and is refused.</li>
 *   <li><b>Precision</b>: {@link Precision#F32} keeps floats; {@link Precision#F16} keeps IEEE halves (rows
 *       given as floats are rounded to nearest, even; halves are kept as they are). Queries and outputs are
 *       floats, and any {@link HeadTensor} layout and precision may be appended.</li>
 *   <li><b>Results</b>: a decode step gives what {@link AlibiAttention#decode} gives over views of the same
 *       rows at the same precision, within {@link AttentionReference#bound} (on the CPU backend, bit for
 *       bit: the same kernels run).</li>
 *   <li><b>Errors</b>: {@link IllegalArgumentException} for an argument that is wrong whatever the cache
 *       holds (a shape, a position below 0 or at or past the capacity); {@link IllegalStateException} for
 *       one that depends on what it holds (a gap before an append, a decode at a position not yet
 *       appended) and for any call after {@link #close()}. Every check runs before anything is written,
 *       so a refused call changes nothing. An append that fails on the way (a device error) leaves the
 *       cache holding positions {@code 0 .. position - 1} at most.</li>
 *   <li><b>Threads</b>: a cache is one sequence. Its methods may be called from any thread; calls made at
 *       the same time run one after the other. Caches of one backend are independent of each other.</li>
 * </ul>
 *
 * <p>{@link #close()} frees the cache's memory (device memory on {@code tornado}). Closing the backend
 * ends its caches too: their decode steps are refused after that ({@code tornado} frees their memory).
 */
public final class KvCache implements AutoCloseable {

    private final AttentionSpec spec;
    private final AttentionBackend backend;
    private final int capacity;
    private final Precision precision;
    private final BackendKvCache storage;
    private int length;
    private boolean closed;

    KvCache(AttentionSpec spec, AttentionBackend backend, int capacity, Precision precision) {
        Arguments.positive("capacity", capacity);
        if (precision == null) {
            throw new IllegalArgumentException("precision must not be null");
        }
        this.spec = spec;
        this.backend = backend;
        this.capacity = capacity;
        this.precision = precision;
        this.storage = backend.openKvCache(spec, capacity, precision);
    }

    /**
     * Prefill of a new sequence: stores {@code k} and {@code v} ({@code [kvHeads, j, headDim]}) as positions
     * {@code 0 .. j - 1}, replacing what the cache held, and computes the prefill of {@code q}
     * ({@code [totalHeads, i, headDim]}, the last {@code i} of the {@code j} positions, as
     * {@link AlibiAttention#prefill}) into {@code out} ({@code [totalHeads, i, headDim]}). The prefill
     * attends over {@code k} and {@code v} as given; later decode steps read them at the cache's precision.
     *
     * @throws IllegalArgumentException if a shape does not fit the spec or the others, or {@code j} exceeds the capacity
     */
    public synchronized void prefill(HeadTensor q, HeadTensor k, HeadTensor v, HeadTensor out) {
        checkOpen();
        ShapeChecks.queries(spec, "q", q, -1);
        ShapeChecks.keysAndValues(spec, k, v);
        checkFits(0, k.rows());
        ShapeChecks.queries(spec, "out", out, q.rows());
        ShapeChecks.writable(out);
        store(0, k, v);
        backend.prefill(spec, q, k, v, out);
    }

    /**
     * Stores rows {@code 0 .. n - 1} of {@code k} and {@code v} ({@code [kvHeads, n, headDim]}: a decode
     * step's one row, or a chunk of a prompt) as positions {@code position .. position + n - 1}; the cache
     * then holds positions {@code 0 .. position + n - 1}.
     *
     * @throws IllegalArgumentException if a shape does not fit the spec, {@code position} is negative, or the
     *                                  rows would pass the capacity
     * @throws IllegalStateException    if {@code position} is past {@link #length()} (a gap)
     */
    public synchronized void append(int position, HeadTensor k, HeadTensor v) {
        checkOpen();
        ShapeChecks.keysAndValues(spec, k, v);
        if (position < 0) {
            throw new IllegalArgumentException("position must be >= 0 (was " + position + ")");
        }
        checkFits(position, k.rows());
        if (position > length) {
            throw new IllegalStateException("append at position " + position + " would leave a gap: the cache holds positions 0 .. "
                    + (length - 1) + " (append at " + length + ", or earlier to replace the positions from there)");
        }
        store(position, k, v);
    }

    /**
     * One decode step: the query {@code q} ({@code [totalHeads, 1, headDim]}) at {@code position} attends over
     * the cached keys {@code 0 .. position}; the result goes to {@code out} ({@code [totalHeads, 1, headDim]}
     * of floats). The step's own key must have been appended.
     *
     * @throws IllegalArgumentException if a shape does not fit the spec or {@code position} is outside
     *                                  {@code [0, capacity - 1]}
     * @throws IllegalStateException    if the cache does not hold {@code position} yet
     */
    public synchronized void decode(int position, HeadTensor q, HeadTensor out) {
        checkOpen();
        ShapeChecks.queries(spec, "q", q, 1);
        ShapeChecks.queries(spec, "out", out, 1);
        ShapeChecks.writable(out);
        if (position < 0 || position >= capacity) {
            throw new IllegalArgumentException("position must be in [0, " + (capacity - 1) + "], the capacity less one (was "
                    + position + ")");
        }
        if (position >= length) {
            throw new IllegalStateException("decode at position " + position + " needs keys 0 .. " + position + " but the cache holds "
                    + (length == 0 ? "none" : "0 .. " + (length - 1)) + ": append the step's key and value first");
        }
        storage.decode(position, q, out);
    }

    /** Positions held: {@code 0 .. length() - 1}. */
    public synchronized int length() {
        return length;
    }

    /** The most positions the cache holds. */
    public int capacity() {
        return capacity;
    }

    /** How the keys and values are kept. */
    public Precision precision() {
        return precision;
    }

    /** The attention the cache serves. */
    public AttentionSpec spec() {
        return spec;
    }

    /** Frees the cache's memory; later calls are refused. Closing again does nothing. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            storage.close();
        }
    }

    @Override
    public String toString() {
        return "KvCache[" + capacity + " positions of " + precision + ", " + spec + " on " + backend.name() + ": " + storage + "]";
    }

    private void store(int position, HeadTensor k, HeadTensor v) {
        try {
            storage.append(position, k, v);
        } catch (RuntimeException | Error e) {
            length = Math.min(length, position); // the rows from position on may be half written
            throw e;
        }
        length = position + k.rows();
    }

    private void checkFits(int position, int rows) {
        if ((long) position + rows > capacity) {
            throw new IllegalArgumentException(rows + (rows == 1 ? " row" : " rows") + " at position " + position + " would end at "
                    + ((long) position + rows - 1) + ", past the capacity's last position (" + (capacity - 1) + ")");
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this KV cache is closed");
        }
    }
}
