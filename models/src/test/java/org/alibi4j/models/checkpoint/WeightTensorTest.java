package org.alibi4j.models.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class WeightTensorTest {

    /** Every one of the 65536 half-precision bit patterns, in order, as a [256, 256] tensor. */
    private static WeightTensor allPatterns(DType dtype) {
        short[] bits = new short[1 << 16];
        for (int i = 0; i < bits.length; i++) {
            bits[i] = (short) i;
        }
        return tensor("all", dtype, new long[] {256, 256}, SafetensorsWriter.shortBytes(bits));
    }

    private static WeightTensor tensor(String name, DType dtype, long[] shape, byte[] bytes) {
        return new WeightTensor(name, dtype, shape, MemorySegment.ofArray(bytes).asReadOnly());
    }

    /**
     * binary16 decoded from its fields in double arithmetic (exact for every binary16), independent of
     * {@link Float#float16ToFloat}. NaNs come out quiet with their payload kept, as IEEE 754 conversions
     * (and torch's {@code .float()}) produce them.
     */
    private static int referenceHalfBits(int bits) {
        int sign = bits >>> 15 & 1;
        int exponent = bits >>> 10 & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f && mantissa != 0) {
            return sign << 31 | 0x7fc00000 | mantissa << 13;
        }
        double magnitude = exponent == 0 ? Math.scalb((double) mantissa, -24)
                : exponent == 0x1f ? Double.POSITIVE_INFINITY
                : Math.scalb((double) (mantissa | 0x400), exponent - 25);
        return Float.floatToRawIntBits((float) (sign == 1 ? -magnitude : magnitude));
    }

    @Test
    void f16WidensEveryPatternExactly() {
        WeightTensor tensor = allPatterns(DType.F16);
        float[] all = tensor.toFloats();
        float[] row = new float[256 + 3];
        for (int pattern = 0; pattern < 1 << 16; pattern++) {
            int bits = pattern;
            int expected = referenceHalfBits(bits);
            assertEquals(expected, Float.floatToRawIntBits(tensor.get(bits)), () -> "get, bits " + hex(bits));
            assertEquals(expected, Float.floatToRawIntBits(all[bits]), () -> "toFloats, bits " + hex(bits));
            if ((bits & 0xff) == 0) {
                tensor.row(bits >> 8, row, 3);
            }
            int column = bits & 0xff;
            assertEquals(expected, Float.floatToRawIntBits(row[3 + column]), () -> "row, bits " + hex(bits));
        }
    }

    @Test
    void f16SpecialValues() {
        WeightTensor tensor = allPatterns(DType.F16);
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(tensor.get(0x8000)));
        assertEquals(0x1p-24f, tensor.get(0x0001));
        assertEquals(-0x1p-24f, tensor.get(0x8001));
        assertEquals(0x3ffp-24f, tensor.get(0x03ff));
        assertEquals(0x1p-14f, tensor.get(0x0400));
        assertEquals(65504f, tensor.get(0x7bff));
        assertEquals(Float.POSITIVE_INFINITY, tensor.get(0x7c00));
        assertEquals(Float.NEGATIVE_INFINITY, tensor.get(0xfc00));
        assertTrue(Float.isNaN(tensor.get(0x7e00)));
        assertTrue(Float.isNaN(tensor.get(0x7c01)));
        assertEquals(1f, tensor.get(0x3c00));
    }

    @Test
    void bf16WidensEveryPatternToItsUpperHalf() {
        WeightTensor tensor = allPatterns(DType.BF16);
        float[] all = tensor.toFloats();
        float[] row = new float[256];
        for (int pattern = 0; pattern < 1 << 16; pattern++) {
            int bits = pattern;
            int expected = bits << 16;
            assertEquals(expected, Float.floatToRawIntBits(tensor.get(bits)), () -> "get, bits " + hex(bits));
            assertEquals(expected, Float.floatToRawIntBits(all[bits]), () -> "toFloats, bits " + hex(bits));
            if ((bits & 0xff) == 0) {
                tensor.row(bits >> 8, row, 0);
            }
            assertEquals(expected, Float.floatToRawIntBits(row[bits & 0xff]), () -> "row, bits " + hex(bits));
        }
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(tensor.get(0x8000)));
        assertEquals(Float.MIN_VALUE * 0x10000, tensor.get(0x0001));
        assertEquals(Float.POSITIVE_INFINITY, tensor.get(0x7f80));
        assertEquals(Float.NEGATIVE_INFINITY, tensor.get(0xff80));
        assertTrue(Float.isNaN(tensor.get(0x7fc0)));
    }

    @Test
    void f32KeepsEveryBit() {
        Random random = new Random(11);
        int[] bits = new int[17 * 241];
        for (int i = 0; i < bits.length; i++) {
            bits[i] = random.nextInt();
        }
        // Special patterns at known places: zeros, subnormals, infinities, a quiet and a signalling NaN.
        int[] specials = {0, 0x80000000, 1, 0x80000001, 0x007fffff, 0x7f800000, 0xff800000, 0x7fc00000,
            0x7f800001, 0xffc12345};
        System.arraycopy(specials, 0, bits, 0, specials.length);
        ByteBuffer buffer = ByteBuffer.allocate(bits.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int value : bits) {
            buffer.putInt(value);
        }
        WeightTensor tensor = tensor("w", DType.F32, new long[] {17, 241}, buffer.array());
        float[] all = tensor.toFloats();
        float[] row = new float[241 + 5];
        for (int r = 0; r < 17; r++) {
            tensor.row(r, row, 5);
            for (int c = 0; c < 241; c++) {
                int index = r * 241 + c;
                assertEquals(bits[index], Float.floatToRawIntBits(tensor.get(index)), "get " + index);
                assertEquals(bits[index], Float.floatToRawIntBits(all[index]), "toFloats " + index);
                assertEquals(bits[index], Float.floatToRawIntBits(row[5 + c]), "row " + r + ", " + c);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void rowWritesOnlyItsRange(DType dtype) {
        Random random = new Random(5 + dtype.ordinal());
        byte[] bytes = new byte[7 * 13 * dtype.bytes()];
        random.nextBytes(bytes);
        WeightTensor tensor = tensor("m", dtype, new long[] {7, 13}, bytes);
        float[] dst = new float[13 + 4];
        Arrays.fill(dst, 42f);
        tensor.row(6, dst, 2);
        assertEquals(42f, dst[0]);
        assertEquals(42f, dst[1]);
        assertEquals(42f, dst[15]);
        assertEquals(42f, dst[16]);
        for (int c = 0; c < 13; c++) {
            assertEquals(Float.floatToRawIntBits(tensor.get(6 * 13 + c)), Float.floatToRawIntBits(dst[2 + c]));
        }
        assertThrows(IndexOutOfBoundsException.class, () -> tensor.row(7, dst, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> tensor.row(-1, dst, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> tensor.row(0, dst, 5));
        assertThrows(IndexOutOfBoundsException.class, () -> tensor.row(0, new float[12], 0));
        assertThrows(IndexOutOfBoundsException.class, () -> tensor.get(91));
        assertThrows(IndexOutOfBoundsException.class, () -> tensor.get(-1));
    }

    @Test
    void rowNeedsAMatrix() {
        WeightTensor vector = tensor("ln.weight", DType.F32, new long[] {4}, new byte[16]);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> vector.row(0, new float[4], 0));
        assertTrue(e.getMessage().contains("ln.weight") && e.getMessage().contains("[4]"), e.getMessage());
    }

    @Test
    void shapeAccessors() {
        WeightTensor tensor = tensor("t", DType.F16, new long[] {3, 5, 7}, new byte[3 * 5 * 7 * 2]);
        assertEquals(105, tensor.elements());
        assertEquals(3, tensor.rank());
        assertEquals(5, tensor.dim(1));
        assertThrows(IndexOutOfBoundsException.class, () -> tensor.dim(3));
        WeightTensor scalar = tensor("s", DType.F32, new long[0], new byte[4]);
        assertEquals(1, scalar.elements());
        assertEquals(0, scalar.rank());
        WeightTensor empty = tensor("e", DType.BF16, new long[] {0, 9}, new byte[0]);
        assertEquals(0, empty.elements());
        assertEquals(0, empty.toFloats().length);
    }

    @Test
    void dimRefusesWhatDoesNotFitAnInt() {
        long rows = 1L << 31;
        WeightTensor tall = new WeightTensor("tall", DType.F16, new long[] {rows, 0}, MemorySegment.ofArray(new byte[0]));
        assertThrows(ArithmeticException.class, () -> tall.dim(0));
        assertEquals(0, tall.dim(1));
    }

    @Test
    void shapeIsCopiedInAndOut() {
        long[] shape = {2, 3};
        WeightTensor tensor = tensor("t", DType.F32, shape, new byte[24]);
        shape[0] = 99;
        assertArrayEquals(new long[] {2, 3}, tensor.shape());
        tensor.shape()[1] = 99;
        assertArrayEquals(new long[] {2, 3}, tensor.shape());
    }

    @Test
    void constructorChecksTheByteCount() {
        IllegalArgumentException wrongSize = assertThrows(IllegalArgumentException.class,
                () -> tensor("w", DType.F16, new long[] {2, 3}, new byte[11]));
        assertTrue(wrongSize.getMessage().contains("'w'") && wrongSize.getMessage().contains("12"),
                wrongSize.getMessage());
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> tensor("w", DType.F32, new long[] {-1, 3}, new byte[0]));
        assertTrue(negative.getMessage().contains("negative"), negative.getMessage());
        assertThrows(ArithmeticException.class,
                () -> tensor("w", DType.F32, new long[] {1L << 40, 1L << 40}, new byte[0]));
        assertThrows(NullPointerException.class, () -> tensor(null, DType.F32, new long[] {1}, new byte[4]));
    }

    @Test
    void equalityIsNameDtypeShapeAndTheSameBytes() {
        byte[] bytes = new byte[24];
        MemorySegment segment = MemorySegment.ofArray(bytes);
        WeightTensor a = new WeightTensor("w", DType.F32, new long[] {2, 3}, segment);
        WeightTensor b = new WeightTensor("w", DType.F32, new long[] {2, 3}, segment.asReadOnly());
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, new WeightTensor("w", DType.F32, new long[] {3, 2}, segment));
        assertNotEquals(a, new WeightTensor("v", DType.F32, new long[] {2, 3}, segment));
        assertNotEquals(a, new WeightTensor("w", DType.F32, new long[] {2, 3}, MemorySegment.ofArray(bytes.clone())));
    }

    @Test
    void toStringShowsNoData() {
        byte[] bytes = new byte[4 * 1000];
        Arrays.fill(bytes, (byte) 0x3f);
        WeightTensor tensor = tensor("lm_head.weight", DType.F32, new long[] {10, 100}, bytes);
        assertEquals("WeightTensor[lm_head.weight, F32, [10, 100]]", tensor.toString());
    }

    private static String hex(int bits) {
        return String.format("0x%04x", bits);
    }
}
