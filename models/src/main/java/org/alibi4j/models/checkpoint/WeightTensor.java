package org.alibi4j.models.checkpoint;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor of a checkpoint, at its stored precision: {@code data} is a read-only view of the mapped
 * file (little-endian, row-major, {@code shape} as stored), never a copy on the heap.
 *
 * <p>The readers widen exactly to float: F32 as stored, F16 through {@link Float#float16ToFloat}, BF16 by
 * placing its 16 bits above 16 zero bits. {@code data} lives as long as the {@link Checkpoint} that handed
 * out the tensor: after {@link Checkpoint#close()} every access fails with {@link IllegalStateException}.
 *
 * <p>Two tensors are equal when they have the same name, dtype and shape and view the same bytes (the
 * same address, as {@link MemorySegment#equals} compares); their contents are never compared.
 *
 * @param name  the tensor's name in the checkpoint
 * @param dtype its element type
 * @param shape its dimensions, outermost first (copied in, and copied out by {@link #shape()})
 * @param data  exactly its bytes: {@code dtype.bytes() * elements()} of them
 */
public record WeightTensor(String name, DType dtype, long[] shape, MemorySegment data) {

    private static final ValueLayout.OfFloat F32_LE =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The most elements {@link #toFloats()} puts in one array (the JDK's own limit on array sizes). */
    static final long MAX_ARRAY_ELEMENTS = Integer.MAX_VALUE - 8;

    public WeightTensor {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(data, "data");
        shape = shape.clone();
        long expected = Math.multiplyExact(elementCount(name, shape), dtype.bytes());
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException("tensor '" + name + "': " + data.byteSize() + " bytes of data, but "
                    + dtype + " " + Arrays.toString(shape) + " needs " + expected);
        }
    }

    private static long elementCount(String name, long[] shape) {
        long count = 1;
        for (long dim : shape) {
            if (dim < 0) {
                throw new IllegalArgumentException("tensor '" + name + "' has a negative dimension: "
                        + Arrays.toString(shape));
            }
            count = Math.multiplyExact(count, dim);
        }
        return count;
    }

    /** Its dimensions, outermost first: a copy. */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** The number of elements: the product of the shape (1 for a scalar). */
    public long elements() {
        return data.byteSize() / dtype.bytes();
    }

    /** The number of dimensions. */
    public int rank() {
        return shape.length;
    }

    /**
     * {@code shape[axis]} as an int.
     *
     * @throws IndexOutOfBoundsException where there is no such axis
     * @throws ArithmeticException       where the dimension does not fit an int
     */
    public int dim(int axis) {
        return Math.toIntExact(shape[Objects.checkIndex(axis, shape.length)]);
    }

    /** Element {@code index} in row-major order, widened exactly to float. */
    public float get(long index) {
        Objects.checkIndex(index, elements());
        return switch (dtype) {
            case F32 -> data.get(F32_LE, index * 4);
            case F16 -> Float.float16ToFloat(data.get(U16_LE, index * 2));
            case BF16 -> Float.intBitsToFloat(data.get(U16_LE, index * 2) << 16);
        };
    }

    /**
     * Row {@code r} of a matrix ({@code shape [rows, cols]}), widened exactly into
     * {@code dst[dstOffset .. dstOffset + cols)}.
     *
     * @throws IllegalStateException     where this tensor is not a matrix
     * @throws IndexOutOfBoundsException where {@code r} is not a row or {@code dst} is too short
     */
    public void row(int r, float[] dst, int dstOffset) {
        if (shape.length != 2) {
            throw new IllegalStateException("tensor '" + name + "' has shape " + Arrays.toString(shape)
                    + ": row() needs a matrix [rows, cols]");
        }
        Objects.checkIndex(r, shape[0]);
        int cols = dim(1);
        Objects.checkFromIndexSize(dstOffset, cols, dst.length);
        widenInto((long) r * cols, dst, dstOffset, cols);
    }

    /**
     * The whole tensor widened exactly to float, in row-major order: meant for small vectors (layer norm
     * weights, biases), as it copies onto the heap.
     *
     * @throws IllegalStateException where the tensor has more elements than one array holds
     */
    public float[] toFloats() {
        long count = elements();
        if (count > MAX_ARRAY_ELEMENTS) {
            throw new IllegalStateException("tensor '" + name + "' has " + count
                    + " elements, more than one float[] holds");
        }
        float[] out = new float[(int) count];
        widenInto(0, out, 0, out.length);
        return out;
    }

    /** Elements {@code [first, first + count)} widened into {@code dst[dstOffset ..]}. */
    private void widenInto(long first, float[] dst, int dstOffset, int count) {
        switch (dtype) {
            case F32 -> MemorySegment.copy(data, F32_LE, first * 4, dst, dstOffset, count);
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOffset + i] = Float.float16ToFloat(data.get(U16_LE, (first + i) * 2));
                }
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOffset + i] = Float.intBitsToFloat(data.get(U16_LE, (first + i) * 2) << 16);
                }
            }
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof WeightTensor that
                && name.equals(that.name)
                && dtype == that.dtype
                && Arrays.equals(shape, that.shape)
                && data.equals(that.data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), data.address());
    }

    /** Name, dtype and shape; never the data. */
    @Override
    public String toString() {
        return "WeightTensor[" + name + ", " + dtype + ", " + Arrays.toString(shape) + "]";
    }
}
