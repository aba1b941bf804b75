package org.alibi4j.models.linalg;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

import org.alibi4j.models.checkpoint.DType;
import org.alibi4j.models.checkpoint.WeightTensor;

/**
 * A checked view of a weight matrix {@code W [out, in]}: its element type, its two dimensions as ints
 * and its bytes, row-major, little-endian. Reading one element widens it exactly to float.
 */
record Weights(String name, DType dtype, int out, int in, MemorySegment data) {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Checks {@code weight} (the message names the argument and the tensor) and views it. */
    static Weights of(WeightTensor weight) {
        if (weight == null) {
            throw new IllegalArgumentException("weight must not be null");
        }
        String name = weight.name();
        long[] shape = weight.shape();
        if (weight.dtype() == null || shape == null || weight.data() == null) {
            throw new IllegalArgumentException("weight " + name + " has no " + (weight.dtype() == null ? "dtype" : shape == null ? "shape" : "data"));
        }
        if (shape.length != 2) {
            throw new IllegalArgumentException("weight " + name + " has shape " + Arrays.toString(shape) + ": expected a matrix [out, in]");
        }
        if (shape[0] < 1 || shape[1] < 1 || shape[0] > Integer.MAX_VALUE || shape[1] > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("weight " + name + " has shape " + Arrays.toString(shape) + ": each dimension must be in [1, 2^31)");
        }
        long bytes = shape[0] * shape[1] * weight.dtype().bytes();
        if (weight.data().byteSize() != bytes) {
            throw new IllegalArgumentException("weight " + name + " has " + weight.data().byteSize() + " bytes of data; " + weight.dtype()
                    + " " + Arrays.toString(shape) + " needs " + bytes);
        }
        return new Weights(name, weight.dtype(), (int) shape[0], (int) shape[1], weight.data());
    }

    /** Byte offset of element {@code [o][i]}. */
    long offset(int o, int i) {
        return ((long) o * in + i) * dtype.bytes();
    }

    /** Element {@code [o][i]}, widened exactly. */
    float get(int o, int i) {
        long at = offset(o, i);
        return switch (dtype) {
            case F32 -> data.get(F32, at);
            case F16 -> Float.float16ToFloat(data.get(HALF, at));
            case BF16 -> Float.intBitsToFloat(data.get(HALF, at) << 16);
        };
    }
}
