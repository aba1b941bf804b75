package org.alibi4j.bench;

import java.util.Arrays;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;

/**
 * The baseline: {@link Arrays#fill} split evenly over one thread per processor, the fastest plain-Java
 * way to write a large float array, so the ceiling for any bias written to memory. Like the CPU
 * backend, it stays on the calling thread below {@value #PARALLEL_THRESHOLD} floats, where handing
 * work to a pool costs more than the work.
 */
final class ParallelFill implements AutoCloseable {
    static final int PARALLEL_THRESHOLD = 1 << 16;

    private final int threads = Runtime.getRuntime().availableProcessors();
    private final ForkJoinPool pool = new ForkJoinPool(threads);

    void fill(float[] array, float value) {
        if (array.length < PARALLEL_THRESHOLD) {
            Arrays.fill(array, value);
            return;
        }
        ForkJoinTask<?>[] parts = new ForkJoinTask<?>[threads];
        for (int t = 0; t < threads; t++) {
            int from = (int) ((long) array.length * t / threads);
            int to = (int) ((long) array.length * (t + 1) / threads);
            parts[t] = pool.submit(() -> Arrays.fill(array, from, to, value));
        }
        for (ForkJoinTask<?> part : parts) {
            part.join();
        }
    }

    /** {@code scores[n] += bias[n]} over one thread per processor: the naive add after materialising. */
    void add(float[] scores, float[] bias) {
        if (scores.length < PARALLEL_THRESHOLD) {
            addRange(scores, bias, 0, scores.length);
            return;
        }
        ForkJoinTask<?>[] parts = new ForkJoinTask<?>[threads];
        for (int t = 0; t < threads; t++) {
            int from = (int) ((long) scores.length * t / threads);
            int to = (int) ((long) scores.length * (t + 1) / threads);
            parts[t] = pool.submit(() -> addRange(scores, bias, from, to));
        }
        for (ForkJoinTask<?> part : parts) {
            part.join();
        }
    }

    private static void addRange(float[] scores, float[] bias, int from, int to) {
        for (int n = from; n < to; n++) {
            scores[n] += bias[n];
        }
    }

    @Override
    public void close() {
        pool.close();
    }
}
