package org.alibi4j.bench;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link ReadBandwidth} over memory segments (a mapped checkpoint, an off-heap buffer): every byte of some
 * segments read once, each segment split into one contiguous range per thread, each range summed as ints
 * with {@value #ACCUMULATORS} Vector API accumulators. Ints rather than floats: the bytes are halves, whose
 * pairs may read as subnormal floats, and an integer add never slows down. Its time is the time to read
 * those bytes from memory with that many threads. Loaded only with the Vector API module.
 */
final class SegmentReadBandwidth implements AutoCloseable {
    static final int ACCUMULATORS = 8;
    private static final VectorSpecies<Integer> SPECIES = IntVector.SPECIES_PREFERRED;
    private static final int BYTES = SPECIES.vectorByteSize();
    /** Bytes per call of {@link #sumPiece}: short loops get compiled normally (see {@link ReadBandwidth#sumRange}). */
    private static final long PIECE = 1 << 16;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final int threads;
    private final ForkJoinPool pool;

    SegmentReadBandwidth(int threads) {
        this.threads = threads;
        this.pool = new ForkJoinPool(threads);
    }

    /**
     * The sum of every little-endian int of {@code segments}, and of the last {@code byteSize % 4} bytes of each
     * as bytes (returned so that the reads are not dead).
     */
    int sum(MemorySegment... segments) {
        List<ForkJoinTask<Integer>> parts = new ArrayList<>(threads * segments.length);
        for (MemorySegment s : segments) {
            for (int t = 0; t < threads; t++) {
                long from = s.byteSize() * t / threads / BYTES * BYTES;
                long to = t == threads - 1 ? s.byteSize() : s.byteSize() * (t + 1) / threads / BYTES * BYTES;
                parts.add(pool.submit(() -> sumRange(s, from, to)));
            }
        }
        int sum = 0;
        for (ForkJoinTask<Integer> part : parts) {
            sum += part.join();
        }
        return sum;
    }

    static int sumRange(MemorySegment s, long from, long to) {
        int sum = 0;
        for (long n = from; n < to; n += PIECE) {
            sum += sumPiece(s, n, Math.min(to, n + PIECE));
        }
        return sum;
    }

    static int sumPiece(MemorySegment s, long from, long to) {
        ByteOrder le = ByteOrder.LITTLE_ENDIAN;
        IntVector s0 = IntVector.zero(SPECIES), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
        long n = from;
        for (; n + ACCUMULATORS * BYTES <= to; n += ACCUMULATORS * BYTES) {
            s0 = s0.add(IntVector.fromMemorySegment(SPECIES, s, n, le));
            s1 = s1.add(IntVector.fromMemorySegment(SPECIES, s, n + BYTES, le));
            s2 = s2.add(IntVector.fromMemorySegment(SPECIES, s, n + 2 * BYTES, le));
            s3 = s3.add(IntVector.fromMemorySegment(SPECIES, s, n + 3 * BYTES, le));
            s4 = s4.add(IntVector.fromMemorySegment(SPECIES, s, n + 4 * BYTES, le));
            s5 = s5.add(IntVector.fromMemorySegment(SPECIES, s, n + 5 * BYTES, le));
            s6 = s6.add(IntVector.fromMemorySegment(SPECIES, s, n + 6 * BYTES, le));
            s7 = s7.add(IntVector.fromMemorySegment(SPECIES, s, n + 7 * BYTES, le));
        }
        int sum = s0.add(s1).add(s2).add(s3).add(s4).add(s5).add(s6).add(s7).reduceLanes(VectorOperators.ADD);
        for (; n + 4 <= to; n += 4) {
            sum += s.get(INT, n);
        }
        for (; n < to; n++) {
            sum += s.get(ValueLayout.JAVA_BYTE, n);
        }
        return sum;
    }

    @Override
    public void close() {
        pool.close();
    }
}
