package org.alibi4j.attention.cpu;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

import org.alibi4j.attention.AttentionBackend;
import org.alibi4j.attention.AttentionSpec;
import org.alibi4j.attention.HeadTensor;
import org.alibi4j.parallel.WorkerTeam;

/**
 * Fused ALiBi attention in plain Java, multi-threaded: prefill in parallel over (query head, query
 * tile), decode in two passes split over key chunks ({@link DecodeSplit}) so that one query uses every
 * core and value rows whose weights are all zero are not read. The inner loops are
 * {@link AttentionKernels}: the Vector API's where the JVM has the module, plain Java otherwise.
 *
 * <p>Threads: a {@link WorkerTeam}, its own or one shared with other work (a model's matrix products), so
 * that a decode step's short calls find their threads awake.
 *
 * <p>Memory beyond the inputs and the output is one {@link Scratch} per thread (a few tiles), reused
 * from call to call: for a decode step also its logits ({@code heads x keys} floats, one float per key and
 * head where K holds {@code d}); plus a decode step's partial results ({@code kvHeads x chunks x group x d} floats).
 */
public final class CpuAttentionBackend implements AttentionBackend {
    /** The backend's name, for {@code backend(name)} and {@code alibi4j.attention.backend}. */
    public static final String NAME = "cpu";

    /** Below this many multiply-adds a call runs on the calling thread. */
    private static final long PARALLEL_THRESHOLD = 1 << 18;
    /** A thread that is not the caller: a segment it cannot reach is confined to the caller's thread. */
    private static final Thread ELSEWHERE = Thread.ofVirtual().unstarted(() -> { });

    private final WorkerTeam team;
    /** Whether {@link #close()} closes the team (it was made here). */
    private final boolean ownsTeam;
    private final AttentionKernels kernels;
    private final ConcurrentLinkedQueue<Scratch> scratch = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;

    /** One thread per available processor, the best kernels this JVM has. */
    public CpuAttentionBackend() {
        this(Runtime.getRuntime().availableProcessors());
    }

    /** {@code threads} threads (1 runs every call on the caller's thread), the best kernels this JVM has. */
    public CpuAttentionBackend(int threads) {
        this(threads, Vectorization.kernels());
    }

    /** On {@code team}'s threads, which it shares with other work; the team is not closed with the backend. */
    public CpuAttentionBackend(WorkerTeam team) {
        this(checked(team), false, Vectorization.kernels());
    }

    CpuAttentionBackend(int threads, AttentionKernels kernels) {
        this(new WorkerTeam(threads), true, kernels);
    }

    private CpuAttentionBackend(WorkerTeam team, boolean ownsTeam, AttentionKernels kernels) {
        this.team = team;
        this.ownsTeam = ownsTeam;
        this.kernels = kernels;
    }

    private static WorkerTeam checked(WorkerTeam team) {
        if (team == null) {
            throw new IllegalArgumentException("team must not be null");
        }
        return team;
    }

    /** A backend on the plain-Java kernels whatever the JVM offers: the baseline of the vector ones. */
    public static CpuAttentionBackend plainJava(int threads) {
        return new CpuAttentionBackend(threads, new ScalarKernels());
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String device() {
        return describe(threads(), kernels);
    }

    /** E.g. {@code "Java 25, 2 threads, Vector API 512-bit (16 floats)"}. */
    static String describe(int threads, AttentionKernels kernels) {
        return "Java " + Runtime.version().feature() + ", " + threads + (threads == 1 ? " thread, " : " threads, ") + kernels.describe();
    }

    /** What the kernels are, e.g. {@code "Vector API 512-bit (16 floats)"} or {@code "plain Java"}. */
    public String kernels() {
        return kernels.describe();
    }

    /** The threads a call may use. */
    public int threads() {
        return team.threads();
    }

    @Override
    public void prefill(AttentionSpec spec, HeadTensor q, HeadTensor k, HeadTensor v, HeadTensor out) {
        checkOpen();
        if (q.rows() == 1) { // one query, the last of the keys: exactly a decode step
            decode(spec, k.rows() - 1, q, k, v, out);
            return;
        }
        int tiles = (q.rows() + kernels.queryTile() - 1) / kernels.queryTile();
        int heads = spec.totalHeads();
        long work = confined(q, k, v, out) ? 0 : (long) heads * q.rows() * k.rows() * spec.headDim();
        if (PrefillTile.stagesWholeHeads(kernels, spec, k, v, threads())) {
            parallel(heads, work, (h, s) -> PrefillTile.runHead(kernels, spec, q, k, v, out, h, s));
            return;
        }
        // a head's tiles one after the other, so that its K and V stay in cache; within a head the last
        // tiles, which see the most keys under a causal mask, first, so that the cheap ones end the call
        parallel(heads * tiles, work, (item, s) -> PrefillTile.run(kernels, spec, q, k, v, out,
                item / tiles, (tiles - 1 - item % tiles) * kernels.queryTile(), s));
    }

    @Override
    public void decode(AttentionSpec spec, int position, HeadTensor q, HeadTensor k, HeadTensor v, HeadTensor out) {
        checkOpen();
        long logits = DecodeSplit.logitsLength(spec, position + 1);
        if (logits > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("position " + position + " is too far for one decode step on the CPU: the "
                    + spec.totalHeads() + " heads' logits would be " + logits + " floats, more than a Java array holds");
        }
        Scratch step = take();
        try {
            step.logits = Scratch.atLeast(step.logits, (int) logits);
            DecodeSplit split = new DecodeSplit(spec, position, threads(), kernels.keyTile(), step.logits);
            long work = confined(q, k, v, out) ? 0 : (long) spec.totalHeads() * (position + 1) * spec.headDim();
            parallel(split.items(), work, (item, s) -> split.score(kernels, q, k, item, s));
            split.findMax();
            parallel(split.items(), work, (item, s) -> split.accumulate(kernels, v, item, s));
            step.row = Scratch.atLeast(step.row, spec.headDim());
            split.merge(out, step.row);
        } finally {
            scratch.add(step);
        }
    }

    /** Stops the threads if the team is its own (waiting for calls under way) and drops the scratch; later calls are refused. */
    @Override
    public void close() {
        closed = true;
        if (ownsTeam) {
            team.close();
        }
        scratch.clear();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this attention backend is closed");
        }
    }

    @Override
    public String toString() {
        return "CpuAttentionBackend[" + device() + "]";
    }

    /** Whether a view is a segment of a confined arena, which only the calling thread may read. */
    private static boolean confined(HeadTensor... views) {
        for (HeadTensor view : views) {
            if (view.segment() != null && !view.segment().isAccessibleBy(ELSEWHERE)) {
                return true;
            }
        }
        return false;
    }

    @FunctionalInterface
    private interface Item {
        void run(int item, Scratch s);
    }

    /** Runs items {@code [0, items)}, pulled one at a time by up to {@code threads} threads, the caller's among them. */
    private void parallel(int items, long work, Item body) {
        int workers = work < PARALLEL_THRESHOLD ? 1 : Math.min(threads(), items);
        AtomicInteger next = new AtomicInteger();
        team.run(workers, worker -> {
            Scratch s = take();
            try {
                for (int item = next.getAndIncrement(); item < items; item = next.getAndIncrement()) {
                    body.run(item, s);
                }
            } finally {
                scratch.add(s);
            }
        });
    }

    private Scratch take() {
        Scratch s = scratch.poll();
        return s != null ? s : new Scratch();
    }
}
