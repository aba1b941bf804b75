package org.alibi4j.bench;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The read-bandwidth baseline of a decode step: the sum of every float of some arrays, each array split
 * into one contiguous range per thread, each range summed with {@value #ACCUMULATORS} Vector API
 * accumulators (independent adds, so the loop waits on loads, not on the add latency). Its time is the
 * time to read those bytes from memory with that many threads. Loaded only with the Vector API module.
 */
final class ReadBandwidth implements AutoCloseable {
    static final int ACCUMULATORS = 8;
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int L = SPECIES.length();

    private final int threads;
    private final ForkJoinPool pool;

    ReadBandwidth(int threads) {
        this.threads = threads;
        this.pool = new ForkJoinPool(threads);
    }

    /** The sum of every float of {@code arrays} (returned so that the reads are not dead). */
    float sum(float[]... arrays) {
        List<ForkJoinTask<Float>> parts = new ArrayList<>(threads * arrays.length);
        for (float[] a : arrays) {
            for (int t = 0; t < threads; t++) {
                int from = (int) ((long) a.length * t / threads);
                int to = (int) ((long) a.length * (t + 1) / threads);
                parts.add(pool.submit(() -> sumRange(a, from, to)));
            }
        }
        float sum = 0;
        for (ForkJoinTask<Float> part : parts) {
            sum += part.join();
        }
        return sum;
    }

    /**
     * The sum of the floats in {@code segment} (its bytes read as little-endian floats, whatever they
     * hold; a trailing partial float is not read), split as {@link #sum(float[]...)} splits an array:
     * the read bandwidth over memory outside the heap, such as a mapped checkpoint's weights.
     */
    float sum(MemorySegment segment) {
        long floats = segment.byteSize() / Float.BYTES;
        List<ForkJoinTask<Float>> parts = new ArrayList<>(threads);
        for (int t = 0; t < threads; t++) {
            long from = floats * t / threads;
            long to = floats * (t + 1) / threads;
            parts.add(pool.submit(() -> sumRange(segment, from, to)));
        }
        float sum = 0;
        for (ForkJoinTask<Float> part : parts) {
            sum += part.join();
        }
        return sum;
    }

    static float sumRange(MemorySegment segment, long from, long to) {
        float sum = 0;
        for (long n = from; n < to; n += PIECE) {
            sum += sumPiece(segment, n, Math.min(to, n + PIECE));
        }
        return sum;
    }

    /** The floats {@code [from, to)} of {@code segment}, as {@link #sumPiece(float[], int, int)} sums an array's. */
    static float sumPiece(MemorySegment segment, long from, long to) {
        FloatVector s0 = FloatVector.zero(SPECIES), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
        long n = from;
        ByteOrder le = ByteOrder.LITTLE_ENDIAN;
        for (; n + ACCUMULATORS * L <= to; n += ACCUMULATORS * L) {
            long at = n * Float.BYTES;
            s0 = s0.add(FloatVector.fromMemorySegment(SPECIES, segment, at, le));
            s1 = s1.add(FloatVector.fromMemorySegment(SPECIES, segment, at + 4L * L, le));
            s2 = s2.add(FloatVector.fromMemorySegment(SPECIES, segment, at + 8L * L, le));
            s3 = s3.add(FloatVector.fromMemorySegment(SPECIES, segment, at + 12L * L, le));
            s4 = s4.add(FloatVector.fromMemorySegment(SPECIES, segment, at + 16L * L, le));
            s5 = s5.add(FloatVector.fromMemorySegment(SPECIES, segment, at + 20L * L, le));
            s6 = s6.add(FloatVector.fromMemorySegment(SPECIES, segment, at + 24L * L, le));
            s7 = s7.add(FloatVector.fromMemorySegment(SPECIES, segment, at + 28L * L, le));
        }
        float sum = s0.add(s1).add(s2).add(s3).add(s4).add(s5).add(s6).add(s7).reduceLanes(VectorOperators.ADD);
        for (; n < to; n++) {
            sum += segment.get(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(le), n * Float.BYTES);
        }
        return sum;
    }

    /**
     * Sums {@code [from, to)} in pieces of {@value #PIECE} floats: many calls of a short loop get the
     * method compiled normally, where one long loop would run compiled on stack replacement, where C2
     * may keep vectors boxed.
     */
    static float sumRange(float[] a, int from, int to) {
        float sum = 0;
        for (int n = from; n < to; n += PIECE) {
            sum += sumPiece(a, n, Math.min(to, n + PIECE));
        }
        return sum;
    }

    private static final int PIECE = 1 << 14;

    static float sumPiece(float[] a, int from, int to) {
        FloatVector s0 = FloatVector.zero(SPECIES), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
        int n = from;
        for (; n + ACCUMULATORS * L <= to; n += ACCUMULATORS * L) {
            s0 = s0.add(FloatVector.fromArray(SPECIES, a, n));
            s1 = s1.add(FloatVector.fromArray(SPECIES, a, n + L));
            s2 = s2.add(FloatVector.fromArray(SPECIES, a, n + 2 * L));
            s3 = s3.add(FloatVector.fromArray(SPECIES, a, n + 3 * L));
            s4 = s4.add(FloatVector.fromArray(SPECIES, a, n + 4 * L));
            s5 = s5.add(FloatVector.fromArray(SPECIES, a, n + 5 * L));
            s6 = s6.add(FloatVector.fromArray(SPECIES, a, n + 6 * L));
            s7 = s7.add(FloatVector.fromArray(SPECIES, a, n + 7 * L));
        }
        float sum = s0.add(s1).add(s2).add(s3).add(s4).add(s5).add(s6).add(s7).reduceLanes(VectorOperators.ADD);
        for (; n < to; n++) {
            sum += a[n];
        }
        return sum;
    }

    @Override
    public void close() {
        pool.close();
    }
}
