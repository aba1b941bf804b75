package org.alibi4j.models.linalg;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

import org.alibi4j.models.checkpoint.WeightTensor;

/**
 * The matrix products of a model, on a pool of worker threads it owns. Thread-safe: several sessions
 * may call it at once; each call splits its output columns into one part per thread, runs one part
 * on the calling thread and the others on the pool, and returns when all are done.
 *
 * <p>The weights stay at their stored precision (F32, F16 or BF16) and are widened exactly to float as
 * they are read; products and sums are in float. The inner loops are {@link LinearKernels}: the Vector
 * API's where the JVM has the {@code jdk.incubator.vector} module, plain Java otherwise.
 */
public final class MatMul implements AutoCloseable {
    /** Below this many multiply-adds a call runs on the calling thread alone. */
    private static final long PARALLEL_THRESHOLD = 1 << 16;
    private static final AtomicInteger WORKERS = new AtomicInteger();

    private final int threads;
    private final LinearKernels kernels;
    /** Why the kernels are not the Vector API's, or null. */
    private final String fallbackReason;
    /** {@code threads - 1} workers (the caller is the last thread), or null for one thread. */
    private final ForkJoinPool pool;
    private volatile boolean closed;

    /**
     * @param threads the threads a call uses, at least 1: the caller's and {@code threads - 1} workers
     *                (daemon threads named {@code alibi4j-matmul-N})
     */
    public MatMul(int threads) {
        this(threads, Vectorization.kernels(), Vectorization.fallbackReason().orElse(null));
    }

    /** On the given kernels; {@code fallbackReason} says why they are the plain-Java ones (or null). */
    MatMul(int threads, LinearKernels kernels, String fallbackReason) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1 (was " + threads + ")");
        }
        this.threads = threads;
        this.kernels = kernels;
        this.fallbackReason = fallbackReason;
        this.pool = threads > 1 ? new ForkJoinPool(threads - 1, MatMul::newWorker, null, false) : null;
    }

    /** One thread per processor available to the JVM. */
    public static MatMul withAvailableProcessors() {
        return new MatMul(Runtime.getRuntime().availableProcessors());
    }

    private static ForkJoinWorkerThread newWorker(ForkJoinPool pool) {
        ForkJoinWorkerThread thread = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
        thread.setName("alibi4j-matmul-" + WORKERS.incrementAndGet());
        thread.setDaemon(true);
        return thread;
    }

    public int threads() {
        return threads;
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
        List<ForkJoinTask<?>> others = new ArrayList<>(parts - 1);
        try {
            for (int p = 1; p < parts; p++) {
                int from = split(w.out(), parts, p);
                int to = split(w.out(), parts, p + 1);
                others.add(pool.submit(() -> kernels.linear(w, bias, x, rows, y, from, to)));
            }
        } catch (RejectedExecutionException e) {
            others.forEach(task -> task.cancel(false));
            throw new IllegalStateException("this MatMul is closed", e);
        }
        kernels.linear(w, bias, x, rows, y, 0, split(w.out(), parts, 1));
        for (ForkJoinTask<?> task : others) {
            task.join();
        }
    }

    /** How many parts a call is split into: one per thread, fewer where there are too few blocks or too little work. */
    private int parts(Weights w, int rows) {
        if (threads == 1 || (long) rows * w.out() * w.in() < PARALLEL_THRESHOLD) {
            return 1;
        }
        int blocks = Math.ceilDiv(w.out(), kernels.columnBlock());
        return Math.min(threads, blocks);
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
        String what = kernels.describe() + ", " + threads + (threads == 1 ? " thread" : " threads");
        return fallbackReason == null ? what : what + ": " + fallbackReason;
    }

    /** Stops the workers; later calls of {@link #linear} throw {@link IllegalStateException}. */
    @Override
    public void close() {
        closed = true;
        if (pool != null) {
            pool.shutdown();
        }
    }
}
