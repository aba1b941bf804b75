package org.alibi4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.FloatBuffer;

import org.alibi4j.cpu.CpuBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A bottom-right slice of a cached tensor, read every way a consumer can. */
class BiasTensorTest {
    private AlibiPositionalBias alibi;
    private BiasTensor slice;
    private float[] expected;

    @BeforeEach
    void setUp() {
        alibi = AlibiPositionalBias.builder(3).totalHeads(4).backend(new CpuBackend(1)).build();
        alibi.forward(9, 11);
        slice = alibi.forward(4, 7);
        expected = AlibiReference.tensor(new BiasSpec(alibi.slopes(), 4, 4, 7, BiasForm.SYMMETRIC));
    }

    @AfterEach
    void tearDown() {
        alibi.backend().close();
        alibi.close();
    }

    @Test
    void offsetAndStridesAddressTheSliceInTheSegment() {
        assertFalse(slice.isContiguous());
        assertEquals((9 - 4) * 11 + (11 - 7), slice.offset());
        assertArrayEquals(new long[] {99, 11, 1}, slice.strides());
        MemorySegment segment = slice.segment();
        long[] strides = slice.strides();
        int n = 0;
        for (int h = 0; h < 4; h++) {
            for (int q = 0; q < 4; q++) {
                for (int k = 0; k < 7; k++, n++) {
                    long index = slice.offset() + h * strides[0] + q * strides[1] + k;
                    assertEquals(expected[n], segment.getAtIndex(ValueLayout.JAVA_FLOAT, index));
                    assertEquals(expected[n], slice.get(h, q, k));
                }
            }
        }
    }

    @Test
    void copiesAreDenseAndRowMajor() {
        assertArrayEquals(expected, slice.toArray());

        float[] array = new float[expected.length + 3];
        slice.copyTo(array, 3);
        assertArrayEquals(expected, java.util.Arrays.copyOfRange(array, 3, array.length));

        FloatBuffer buffer = FloatBuffer.allocate(expected.length + 1);
        buffer.put(42f);
        slice.copyTo(buffer);
        assertEquals(expected.length + 1, buffer.position());
        assertArrayEquals(expected, java.util.Arrays.copyOfRange(buffer.array(), 1, buffer.capacity()));

        try (Arena arena = Arena.ofConfined()) {
            MemorySegment native_ = arena.allocate(expected.length * 4L + 2);
            slice.copyTo(native_, 2); // unaligned on purpose
            for (int n = 0; n < expected.length; n++) {
                assertEquals(expected[n], native_.get(ValueLayout.JAVA_FLOAT_UNALIGNED, 2 + 4L * n));
            }
        }
    }

    @Test
    void theSegmentIsReadOnly() {
        assertTrue(slice.segment().isReadOnly());
        assertThrows(IllegalArgumentException.class, () -> slice.segment().setAtIndex(ValueLayout.JAVA_FLOAT, 0, 1f));
    }

    @Test
    void badIndicesAndShortDestinationsAreNamed() {
        assertEquals("q = 4 is outside [0, 4)", assertThrows(IndexOutOfBoundsException.class, () -> slice.get(0, 4, 0)).getMessage());
        assertEquals("h = -1 is outside [0, 4)", assertThrows(IndexOutOfBoundsException.class, () -> slice.get(-1, 0, 0)).getMessage());
        assertEquals("dst needs 112 floats from offset 1 but has length 112",
                assertThrows(IllegalArgumentException.class, () -> slice.copyTo(new float[112], 1)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> slice.copyTo(FloatBuffer.allocate(111)));
        assertThrows(IllegalArgumentException.class, () -> slice.copyTo(MemorySegment.ofArray(new float[111]), 0));
    }
}
