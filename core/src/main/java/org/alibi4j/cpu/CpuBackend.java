package org.alibi4j.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;

import org.alibi4j.AlibiBackend;
import org.alibi4j.BiasForm;
import org.alibi4j.BiasSpec;
import org.alibi4j.BiasStorage;
import org.alibi4j.HeapBiasStorage;
import org.alibi4j.internal.Arguments;

/**
 * The plain-Java backend: always available, multi-threaded, and written so that C2 vectorises it.
 *
 * <p>Work is split into runs of consecutive rows of the flattened {@code [totalHeads * i]} row space,
 * a few per thread. Within a run each head's values come from one {@link BiasLine} window and every
 * row is an {@link System#arraycopy} (or a vector add) of a slice of it, so the tensor is written at
 * about the speed of {@code Arrays.fill}.
 */
public final class CpuBackend implements AlibiBackend {
    /** The backend's name, for {@code backend(name)} and {@code alibi4j.backend}. */
    public static final String NAME = "cpu";

    /** Below this many floats a single thread is faster than handing work to the pool. */
    private static final long PARALLEL_THRESHOLD = 1 << 16;
    /** Runs per thread: a few, so that a thread slowed by the machine's other work is caught up on. */
    private static final int RUNS_PER_THREAD = 4;

    private final int threads;
    private final ForkJoinPool pool;

    /** One thread per available processor. */
    public CpuBackend() {
        this(Runtime.getRuntime().availableProcessors());
    }

    /** {@code threads} threads (1 runs every call on the caller's thread). */
    public CpuBackend(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1 (was " + threads + ")");
        }
        this.threads = threads;
        this.pool = threads > 1 ? new ForkJoinPool(threads) : null;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String device() {
        return describe(threads);
    }

    /** What a CPU backend with {@code threads} threads runs on, e.g. {@code "Java 25, 2 threads"}. */
    static String describe(int threads) {
        return "Java " + Runtime.version().feature() + ", " + threads + (threads == 1 ? " thread" : " threads");
    }

    /** The threads a call may use. */
    public int threads() {
        return threads;
    }

    @Override
    public BiasStorage materialize(BiasSpec spec) {
        long bytes = spec.elementCount() * Float.BYTES;
        long maxHeap = Runtime.getRuntime().maxMemory();
        if (bytes > maxHeap) {
            throw new IllegalArgumentException("a [" + spec.totalHeads() + ", " + spec.i() + ", " + spec.j() + "] tensor needs "
                    + bytes + " bytes, more than the JVM's maximum heap of " + maxHeap + " bytes (raise -Xmx)");
        }
        float[] data = new float[(int) spec.elementCount()];
        // a new array is already +0.0: heads without a slope need no writing in the symmetric form
        run(spec, (first, end) -> writeRows(spec, data, 0, first, end, Mode.FILL_SKIPPING_ZERO_HEADS));
        return new HeapBiasStorage(data);
    }

    /** Writes the dense tensor of {@code spec} into {@code out} from {@code offset} on. */
    public void fill(BiasSpec spec, float[] out, int offset) {
        Arguments.fits("out", out, offset, spec.elementCount());
        run(spec, (first, end) -> writeRows(spec, out, offset, first, end, Mode.FILL));
    }

    @Override
    public void addBias(BiasSpec spec, float[] scores, int offset) {
        Arguments.fits("scores", scores, offset, spec.elementCount());
        run(spec, (first, end) -> writeRows(spec, scores, offset, first, end, Mode.ADD));
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.close();
        }
    }

    @Override
    public String toString() {
        return "CpuBackend[" + device() + "]";
    }

    private enum Mode { FILL, FILL_SKIPPING_ZERO_HEADS, ADD }

    @FunctionalInterface
    private interface RowRun {
        void rows(int first, int end);
    }

    /** Calls {@code work} over runs of rows that together cover {@code [0, totalHeads * i)}. */
    private void run(BiasSpec spec, RowRun work) {
        int rows = spec.totalHeads() * spec.i();
        if (pool == null || spec.elementCount() < PARALLEL_THRESHOLD) {
            work.rows(0, rows);
            return;
        }
        int runs = Math.min(rows, threads * RUNS_PER_THREAD);
        List<ForkJoinTask<?>> tasks = new ArrayList<>(runs);
        for (int n = 0; n < runs; n++) {
            int first = (int) ((long) rows * n / runs);
            int end = (int) ((long) rows * (n + 1) / runs);
            tasks.add(pool.submit(() -> work.rows(first, end)));
        }
        for (ForkJoinTask<?> task : tasks) {
            task.join(); // rethrows what the run threw
        }
    }

    /** Writes (or adds) rows {@code [first, end)} of the flattened row space. */
    private static void writeRows(BiasSpec spec, float[] out, int offset, int first, int end, Mode mode) {
        int i = spec.i();
        int j = spec.j();
        float[] window = null;
        for (int row = first; row < end; ) {
            int h = row / i;
            int q0 = row % i;
            int q1 = Math.min(i, q0 + (end - row));
            row += q1 - q0;
            if (mode == Mode.FILL_SKIPPING_ZERO_HEADS && h >= spec.heads() && spec.form() == BiasForm.SYMMETRIC) {
                continue;
            }
            int base = offset + (h * i + q0) * j;
            if (mode == Mode.ADD) {
                for (int q = q0; q < q1; q++) { // row q starts at line coordinate t = i - 1 - q
                    BiasLine.add(spec, h, i - 1 - q, out, base + (q - q0) * j, j);
                }
                continue;
            }
            int t0 = i - q1; // the line coordinate of row q1 - 1, key 0
            if (q1 - q0 == 1) {
                BiasLine.write(spec, h, t0, out, base, j);
                continue;
            }
            int length = q1 - q0 + j - 1;
            if (window == null || window.length < length) {
                window = new float[length];
            }
            BiasLine.write(spec, h, t0, window, 0, length);
            for (int q = q0; q < q1; q++) {
                System.arraycopy(window, q1 - 1 - q, out, base + (q - q0) * j, j);
            }
        }
    }
}
