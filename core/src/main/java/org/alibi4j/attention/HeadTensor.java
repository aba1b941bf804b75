package org.alibi4j.attention;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import org.alibi4j.internal.Arguments;

/**
 * A {@code [heads, rows, dim]} view of an engine's own memory, with no copy: a {@code float[]}, a
 * {@code short[]} of IEEE halves, or a {@link MemorySegment} of either. Each head vector is contiguous
 * ({@code dim} elements with stride 1); heads and rows have strides of their own, so both KV-cache
 * layouts engines use work as they are:
 *
 * <ul>
 *   <li>head-major {@code [heads, positions, dim]} (PyTorch, HF): {@link #of(float[], int, int, int)};</li>
 *   <li>position-major {@code [positions, heads * dim]} (llama3.java's cache):
 *       {@link #positionMajor(float[], int, int, int)}.</li>
 * </ul>
 *
 * <p>Strides and offsets count elements, not bytes. Segments hold little-endian values; a segment of a
 * confined arena can only be read by its owner thread, so a multi-threaded backend runs such a call on
 * the calling thread alone (use a shared or global arena to let it use every core). A view used as an
 * output must be {@link Precision#F32} and must not overlap the inputs.
 */
public final class HeadTensor {

    /** The element type. */
    public enum Precision {
        /** IEEE binary32. */
        F32(Float.BYTES),
        /** IEEE binary16 (half), widened to float on load. */
        F16(Short.BYTES);

        private final int bytes;

        Precision(int bytes) {
            this.bytes = bytes;
        }

        /** Bytes per element. */
        public int bytes() {
            return bytes;
        }
    }

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort F16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final float[] floats;
    private final short[] halves;
    private final MemorySegment segment;
    private final Precision precision;
    private final long offset;
    private final int heads;
    private final int rows;
    private final int dim;
    private final long headStride;
    private final long rowStride;

    private HeadTensor(float[] floats, short[] halves, MemorySegment segment, Precision precision, long offset,
                       int heads, int rows, int dim, long headStride, long rowStride, long capacity) {
        this.floats = floats;
        this.halves = halves;
        this.segment = segment;
        this.precision = precision;
        this.offset = offset;
        this.heads = Arguments.positive("heads", heads);
        this.rows = Arguments.positive("rows", rows);
        this.dim = Arguments.positive("dim", dim);
        this.headStride = headStride;
        this.rowStride = rowStride;
        if (offset < 0 || headStride < 0 || rowStride < 0) {
            throw new IllegalArgumentException("offset, headStride and rowStride must be >= 0 (were " + offset + ", "
                    + headStride + ", " + rowStride + ")");
        }
        if (rowStride < dim && rows > 1) {
            throw new IllegalArgumentException("rowStride must be >= dim = " + dim + " (was " + rowStride + ")");
        }
        // the last element, computed so that it cannot overflow quietly
        long last = Math.addExact(offset, Math.addExact(Math.multiplyExact(heads - 1L, headStride),
                Math.addExact(Math.multiplyExact(rows - 1L, rowStride), dim - 1L)));
        if (last >= capacity) {
            throw new IllegalArgumentException("a [" + heads + ", " + rows + ", " + dim + "] view from offset " + offset
                    + " with strides (" + headStride + ", " + rowStride + ", 1) needs " + (last + 1)
                    + " elements but the storage holds " + capacity);
        }
    }

    /** A dense head-major {@code [heads, rows, dim]} tensor of floats. */
    public static HeadTensor of(float[] data, int heads, int rows, int dim) {
        return strided(data, 0, heads, rows, dim, (long) rows * dim, dim);
    }

    /** A dense head-major {@code [heads, rows, dim]} tensor of IEEE halves. */
    public static HeadTensor ofHalves(short[] data, int heads, int rows, int dim) {
        return stridedHalves(data, 0, heads, rows, dim, (long) rows * dim, dim);
    }

    /** A dense head-major {@code [heads, rows, dim]} tensor in a segment. */
    public static HeadTensor of(MemorySegment data, Precision precision, int heads, int rows, int dim) {
        return strided(data, precision, 0, heads, rows, dim, (long) rows * dim, dim);
    }

    /** A position-major {@code [positions, heads * dim]} float cache, viewed as {@code [heads, positions, dim]}. */
    public static HeadTensor positionMajor(float[] data, int positions, int heads, int dim) {
        return strided(data, 0, heads, positions, dim, dim, (long) heads * dim);
    }

    /** A position-major {@code [positions, heads * dim]} cache of halves, viewed as {@code [heads, positions, dim]}. */
    public static HeadTensor positionMajorHalves(short[] data, int positions, int heads, int dim) {
        return stridedHalves(data, 0, heads, positions, dim, dim, (long) heads * dim);
    }

    /** Any strided float layout: element {@code (h, r, c)} is {@code data[offset + h * headStride + r * rowStride + c]}. */
    public static HeadTensor strided(float[] data, long offset, int heads, int rows, int dim, long headStride, long rowStride) {
        notNull(data);
        return new HeadTensor(data, null, null, Precision.F32, offset, heads, rows, dim, headStride, rowStride, data.length);
    }

    /** Any strided layout of halves, as {@link #strided(float[], long, int, int, int, long, long)}. */
    public static HeadTensor stridedHalves(short[] data, long offset, int heads, int rows, int dim, long headStride, long rowStride) {
        notNull(data);
        return new HeadTensor(null, data, null, Precision.F16, offset, heads, rows, dim, headStride, rowStride, data.length);
    }

    /** Any strided layout in a segment of little-endian values; strides and offset count elements. */
    public static HeadTensor strided(MemorySegment data, Precision precision, long offset, int heads, int rows, int dim,
                                     long headStride, long rowStride) {
        notNull(data);
        if (precision == null) {
            throw new IllegalArgumentException("precision must not be null");
        }
        return new HeadTensor(null, null, data, precision, offset, heads, rows, dim, headStride, rowStride,
                data.byteSize() / precision.bytes());
    }

    /** The first {@code count} rows of this view (a decode step's window of a KV cache): no copy. */
    public HeadTensor firstRows(int count) {
        if (count < 1 || count > rows) {
            throw new IllegalArgumentException("count must be in [1, " + rows + "] (was " + count + ")");
        }
        return count == rows ? this : new HeadTensor(floats, halves, segment, precision, offset, heads, count, dim,
                headStride, rowStride, capacity());
    }

    /** Heads, the first dimension. */
    public int heads() {
        return heads;
    }

    /** Rows (positions) per head, the second dimension. */
    public int rows() {
        return rows;
    }

    /** Elements per row, the third dimension. */
    public int dim() {
        return dim;
    }

    /** How the elements are stored. */
    public Precision precision() {
        return precision;
    }

    /** The element index of {@code (0, 0, 0)} in the storage. */
    public long offset() {
        return offset;
    }

    /** Elements from one head to the next in the storage. */
    public long headStride() {
        return headStride;
    }

    /** Elements from one row to the next in the storage. */
    public long rowStride() {
        return rowStride;
    }

    /** The index of element {@code (h, r, 0)} in the storage. */
    public long index(int h, int r) {
        return offset + h * headStride + r * rowStride;
    }

    /** The {@code float[]} behind this view, or {@code null} if it is halves or a segment. */
    public float[] heapFloats() {
        return floats;
    }

    /** The {@code short[]} of halves behind this view, or {@code null}. */
    public short[] heapHalves() {
        return halves;
    }

    /** The segment behind this view, or {@code null}. */
    public MemorySegment segment() {
        return segment;
    }

    /** Element {@code (h, r, c)} as a float. */
    public float get(int h, int r, int c) {
        check(h, r);
        if (c < 0 || c >= dim) {
            throw new IndexOutOfBoundsException("c = " + c + " is outside [0, " + dim + ")");
        }
        long n = index(h, r) + c;
        if (floats != null) {
            return floats[(int) n];
        }
        if (halves != null) {
            return Float.float16ToFloat(halves[(int) n]);
        }
        return precision == Precision.F32 ? segment.getAtIndex(F32_LE, n) : Float.float16ToFloat(segment.getAtIndex(F16_LE, n));
    }

    /** Copies row {@code (h, r)} into {@code dst[dstOffset .. dstOffset + dim)} as floats. */
    public void readRow(int h, int r, float[] dst, int dstOffset) {
        long n = index(h, r);
        if (floats != null) {
            System.arraycopy(floats, (int) n, dst, dstOffset, dim);
        } else if (halves != null) {
            int from = (int) n;
            for (int c = 0; c < dim; c++) { // C2 turns this into vector half-to-float conversions
                dst[dstOffset + c] = Float.float16ToFloat(halves[from + c]);
            }
        } else if (precision == Precision.F32) {
            MemorySegment.copy(segment, F32_LE, n * Float.BYTES, dst, dstOffset, dim);
        } else {
            for (int c = 0; c < dim; c++) {
                dst[dstOffset + c] = Float.float16ToFloat(segment.getAtIndex(F16_LE, n + c));
            }
        }
    }

    /** Writes {@code src[srcOffset .. srcOffset + dim)} to row {@code (h, r)}; the view must be {@link Precision#F32}. */
    public void writeRow(int h, int r, float[] src, int srcOffset) {
        long n = index(h, r);
        if (floats != null) {
            System.arraycopy(src, srcOffset, floats, (int) n, dim);
        } else if (segment != null && precision == Precision.F32) {
            MemorySegment.copy(src, srcOffset, segment, F32_LE, n * Float.BYTES, dim);
        } else {
            throw new IllegalStateException("an output view must hold floats (this one holds " + precision + ")");
        }
    }

    /** Whether this view can be written: floats, on the heap or in a writable segment. */
    public boolean writable() {
        return floats != null || (segment != null && precision == Precision.F32 && !segment.isReadOnly());
    }

    @Override
    public String toString() {
        String kind = floats != null ? "float[]" : halves != null ? "short[] (f16)" : "segment (" + precision + ")";
        return "HeadTensor[" + heads + ", " + rows + ", " + dim + "] of " + kind + " from " + offset
                + ", strides (" + headStride + ", " + rowStride + ", 1)";
    }

    private long capacity() {
        return floats != null ? floats.length : halves != null ? halves.length : segment.byteSize() / precision.bytes();
    }

    private void check(int h, int r) {
        if (h < 0 || h >= heads || r < 0 || r >= rows) {
            throw new IndexOutOfBoundsException("(h, r) = (" + h + ", " + r + ") is outside [" + heads + ", " + rows + "]");
        }
    }

    private static void notNull(Object data) {
        if (data == null) {
            throw new IllegalArgumentException("data must not be null");
        }
    }
}
