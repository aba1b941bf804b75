package org.alibi4j.models.linalg;

import org.alibi4j.models.checkpoint.WeightTensor;
import org.alibi4j.parallel.WorkerTeam;

/**
 * The matrix products of a model, on a {@link WorkerTeam} (its own, or one shared with the model's
 * attention). Thread-safe: several sessions may call it at once; each call splits its output columns
 * into parts (contiguous column blocks) and runs them on the calling thread and the team's workers.
 *
 * <p>The weights stay at their stored precision (F32, F16 or BF16) and are widened exactly to float as
 * they are read; products and sums are in float. The inner loops are {@link LinearKernels}: the Vector
 * API's where the JVM has the {@code jdk.incubator.vector} module, plain Java otherwise.
 */
public final class MatMul implements AutoCloseable {
    /** Below this many multiply-adds a call runs on the calling thread alone. */
    private static final long PARALLEL_THRESHOLD = 1 << 16;
    /**
     * Below this many input rows (a decode step's one, a few), a product is a read of its weights, and is split
     * into {@value #PARTS_PER_THREAD_FEW_ROWS} parts per thread, which the threads take as they come: on a shared
     * machine a thread held up for a while leaves its remaining parts to the others, and one thread alone reads
     * nearly as fast as two (bench/models/RESULTS.md). Many rows stay one part per thread: each part packs all the
     * inputs again.
     */
    private static final int FEW_ROWS = 8;
    private static final int PARTS_PER_THREAD_FEW_ROWS = 4;

    private final LinearKernels kernels;
    /** Why the kernels are not the Vector API's, or null. */
    private final String fallbackReason;
    private final WorkerTeam team;
    /** Whether {@link #close()} closes the team (it was made here). */
    private final boolean ownsTeam;
    private volatile boolean closed;

    /**
     * @param threads the threads a call uses, at least 1: the caller's and {@code threads - 1} workers of
     *                a team of its own
     */
    public MatMul(int threads) {
        this(new WorkerTeam(threads), true, Vectorization.kernels(), Vectorization.fallbackReason().orElse(null));
    }

    /** On {@code team}'s threads; the team is not closed with this object. */
    public MatMul(WorkerTeam team) {
        this(checked(team), false, Vectorization.kernels(), Vectorization.fallbackReason().orElse(null));
    }

    /** On the given kernels; {@code fallbackReason} says why they are the plain-Java ones (or null). */
    MatMul(int threads, LinearKernels kernels, String fallbackReason) {
        this(new WorkerTeam(threads), true, kernels, fallbackReason);
    }

    private MatMul(WorkerTeam team, boolean ownsTeam, LinearKernels kernels, String fallbackReason) {
        this.team = team;
        this.ownsTeam = ownsTeam;
        this.kernels = kernels;
        this.fallbackReason = fallbackReason;
    }

    private static WorkerTeam checked(WorkerTeam team) {
        if (team == null) {
            throw new IllegalArgumentException("team must not be null");
        }
        return team;
    }

    /** One thread per processor available to the JVM. */
    public static MatMul withAvailableProcessors() {
        return new MatMul(Runtime.getRuntime().availableProcessors());
    }

    public int threads() {
        return team.threads();
    }

    /**
     * {@code y[r][o] = sum_i x[r][i] * W[o][i] + (bias == null ? 0 : bias[o])} for {@code r < rows}:
     * {@code W = weight}, shape {@code [out, in]}, F32, F16 or BF16, widened exactly; {@code x} is
     * {@code [rows, in]} row-major, {@code y} is {@code [rows, out]} (the arrays may be longer; only
     * their first {@code rows * in} and {@code rows * out} elements are read and written). Checks every
     * argument before it writes anything (an {@link IllegalArgumentException} naming the argument);
     * {@code y} must not be {@code x}.
     *
     * @throws IllegalStateException after {@link #close()}
     */
    public void linear(WeightTensor weight, float[] bias, float[] x, int rows, float[] y) {
        Weights w = Weights.of(weight);
        if (bias != null && bias.length != w.out()) {
            throw new IllegalArgumentException("bias has " + bias.length + " elements; weight " + w.name() + " has " + w.out() + " output rows");
        }
        if (x == null) {
            throw new IllegalArgumentException("x must not be null");
        }
        if (y == null) {
            throw new IllegalArgumentException("y must not be null");
        }
        if (rows < 0) {
            throw new IllegalArgumentException("rows must be >= 0 (was " + rows + ")");
        }
        if (x.length < (long) rows * w.in()) {
            throw new IllegalArgumentException("x has " + x.length + " elements; " + rows + " rows of weight " + w.name() + "'s "
                    + w.in() + " inputs need " + (long) rows * w.in());
        }
        if (y.length < (long) rows * w.out()) {
            throw new IllegalArgumentException("y has " + y.length + " elements; " + rows + " rows of weight " + w.name() + "'s "
                    + w.out() + " outputs need " + (long) rows * w.out());
        }
        if (y == x) {
            throw new IllegalArgumentException("y must not be the same array as x");
        }
        if (closed) {
            throw new IllegalStateException("this MatMul is closed");
        }
        if (rows == 0) {
            return;
        }
        int parts = parts(w, rows);
        if (parts == 1) {
            kernels.linear(w, bias, x, rows, y, 0, w.out());
            return;
        }
        team.run(parts, p -> kernels.linear(w, bias, x, rows, y, split(w.out(), parts, p), split(w.out(), parts, p + 1)));
    }

    /**
     * How many parts a call is split into: one per thread, or {@value #PARTS_PER_THREAD_FEW_ROWS} per thread for a
     * few input rows; fewer where there are too few column blocks or too little work.
     */
    private int parts(Weights w, int rows) {
        if (threads() == 1 || (long) rows * w.out() * w.in() < PARALLEL_THRESHOLD) {
            return 1;
        }
        int blocks = Math.ceilDiv(w.out(), kernels.columnBlock());
        return Math.min(threads() * (rows < FEW_ROWS ? PARTS_PER_THREAD_FEW_ROWS : 1), blocks);
    }

    /** The first column of part {@code p} of {@code parts}: a multiple of the kernels' column block (or {@code out}). */
    private int split(int out, int parts, int p) {
        if (p == parts) {
            return out;
        }
        int block = kernels.columnBlock();
        long blocks = Math.ceilDiv(out, block);
        return (int) Math.min(out, blocks * p / parts * block);
    }

    /**
     * What runs, e.g. {@code "Vector API 512-bit (16 floats), 2 threads"} or
     * {@code "plain Java, 2 threads: <why the Vector API is not used>"}.
     */
    public String describe() {
        String what = kernels.describe() + ", " + threads() + (threads() == 1 ? " thread" : " threads");
        return fallbackReason == null ? what : what + ": " + fallbackReason;
    }

    /** Refuses later calls of {@link #linear} ({@link IllegalStateException}); closes the team if it made it. */
    @Override
    public void close() {
        closed = true;
        if (ownsTeam) {
            team.close();
        }
    }
}
