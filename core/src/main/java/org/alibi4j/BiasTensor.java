package org.alibi4j;

import org.alibi4j.internal.Arguments;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.FloatBuffer;

/**
 * A read-only {@code [totalHeads, i, j]} view of bias values: either a whole tensor or the
 * bottom-right slice of a larger cached one. Element {@code (h, q, k)} is at
 * {@code offset() + h * strides()[0] + q * strides()[1] + k} floats into {@link #segment()}.
 */
public final class BiasTensor {
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfFloat FLOAT_UNALIGNED = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final BiasStorage storage;
    private final int totalHeads;
    private final int i;
    private final int j;
    private final long offset;
    private final long headStride;
    private final long rowStride;

    BiasTensor(BiasStorage storage, int totalHeads, int i, int j, long offset, long headStride, long rowStride) {
        this.storage = storage;
        this.totalHeads = totalHeads;
        this.i = i;
        this.j = j;
        this.offset = offset;
        this.headStride = headStride;
        this.rowStride = rowStride;
    }

    /** A view of a whole dense tensor. */
    public static BiasTensor dense(BiasStorage storage, int totalHeads, int i, int j) {
        return new BiasTensor(storage, totalHeads, i, j, 0, (long) i * j, j);
    }

    /**
     * The bottom-right {@code [totalHeads, i, j]} slice of a dense {@code [totalHeads, capacityI,
     * capacityJ]} tensor. For ALiBi it equals a fresh computation of {@code (i, j)}: the bias depends
     * only on {@code k - q} measured from the diagonal that both tensors end on.
     */
    static BiasTensor bottomRight(BiasStorage storage, int totalHeads, int capacityI, int capacityJ, int i, int j) {
        long offset = (long) (capacityI - i) * capacityJ + (capacityJ - j);
        return new BiasTensor(storage, totalHeads, i, j, offset, (long) capacityI * capacityJ, capacityJ);
    }

    /** Heads, the first dimension. */
    public int totalHeads() {
        return totalHeads;
    }

    /** Queries, the second dimension. */
    public int i() {
        return i;
    }

    /** Keys, the third dimension. */
    public int j() {
        return j;
    }

    /** {@code {totalHeads, i, j}}. */
    public int[] shape() {
        return new int[] {totalHeads, i, j};
    }

    /** {@code totalHeads * i * j}. */
    public long elementCount() {
        return (long) totalHeads * i * j;
    }

    /** Element offset of {@code (0, 0, 0)} in {@link #segment()}. */
    public long offset() {
        return offset;
    }

    /** Element strides of the head, row and column dimensions. */
    public long[] strides() {
        return new long[] {headStride, rowStride, 1};
    }

    /** Whether the elements are one dense run (rows not padded by a larger cached tensor). */
    public boolean isContiguous() {
        return rowStride == j && headStride == (long) i * j;
    }

    /**
     * The read-only floats behind this view, in native byte order, for zero-copy consumers; see
     * {@link #offset()} and {@link #strides()}. A device backend brings them to the host here.
     */
    public MemorySegment segment() {
        return storage.hostSegment();
    }

    /** {@code bias[h][q][k]}. */
    public float get(int h, int q, int k) {
        checkIndex("h", h, totalHeads);
        checkIndex("q", q, i);
        checkIndex("k", k, j);
        return segment().getAtIndex(FLOAT, index(h, q) + k);
    }

    /** A new dense row-major copy. */
    public float[] toArray() {
        float[] out = new float[Math.toIntExact(elementCount())];
        copyTo(out, 0);
        return out;
    }

    /** Copies the tensor, dense and row-major, into {@code dst} from {@code dstOffset} on. */
    public void copyTo(float[] dst, int dstOffset) {
        Arguments.fits("dst", dst, dstOffset, elementCount());
        MemorySegment src = segment();
        int n = dstOffset;
        for (int h = 0; h < totalHeads; h++) {
            if (rowStride == j) { // the rows of one head are adjacent: one copy per head
                MemorySegment.copy(src, FLOAT, index(h, 0) * Float.BYTES, dst, n, i * j);
                n += i * j;
                continue;
            }
            for (int q = 0; q < i; q++, n += j) {
                MemorySegment.copy(src, FLOAT, index(h, q) * Float.BYTES, dst, n, j);
            }
        }
    }

    /** Copies the tensor, dense and row-major, into {@code dst} at its position, advancing it. */
    public void copyTo(FloatBuffer dst) {
        if (dst.remaining() < elementCount()) {
            throw new IllegalArgumentException("dst needs " + elementCount() + " floats but has " + dst.remaining() + " remaining");
        }
        // a segment over the buffer's remaining floats, in the buffer's own byte order
        copyTo(MemorySegment.ofBuffer(dst), 0, FLOAT_UNALIGNED.withOrder(dst.order()));
        dst.position(dst.position() + (int) elementCount());
    }

    /**
     * Copies the tensor, dense and row-major, into {@code dst} from byte {@code dstByteOffset} on, as
     * native-order floats (no alignment needed).
     */
    public void copyTo(MemorySegment dst, long dstByteOffset) {
        long bytes = elementCount() * Float.BYTES;
        if (dstByteOffset < 0 || dst.byteSize() - dstByteOffset < bytes) {
            throw new IllegalArgumentException("dst needs " + bytes + " bytes from offset " + dstByteOffset
                    + " but has " + dst.byteSize());
        }
        copyTo(dst, dstByteOffset, FLOAT_UNALIGNED);
    }

    private void copyTo(MemorySegment dst, long dstByteOffset, ValueLayout.OfFloat dstLayout) {
        MemorySegment src = segment();
        long n = dstByteOffset;
        for (int h = 0; h < totalHeads; h++) {
            for (int q = 0; q < i; q++, n += (long) j * Float.BYTES) {
                MemorySegment.copy(src, FLOAT, index(h, q) * Float.BYTES, dst, dstLayout, n, j);
            }
        }
    }

    @Override
    public String toString() {
        return "BiasTensor[" + totalHeads + ", " + i + ", " + j + "]";
    }

    private long index(int h, int q) {
        return offset + h * headStride + q * rowStride;
    }

    private static void checkIndex(String name, int value, int size) {
        if (value < 0 || value >= size) {
            throw new IndexOutOfBoundsException(name + " = " + value + " is outside [0, " + size + ")");
        }
    }
}
