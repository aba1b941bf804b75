package org.alibi4j.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import uk.ac.manchester.tornado.api.types.HalfFloat;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/** The KV cache's append kernels as plain Java: which elements they write, and which they leave. */
class KvCacheKernelsTest {
    private static final int HEADS = 3;
    private static final int STAGE_ROWS = 4;
    private static final int CAPACITY = 10;
    private static final int D = 5;

    @Test
    void appendWritesTheStagedRowsAtThePositionAndNothingElse() {
        FloatArray stageK = new FloatArray(HEADS * STAGE_ROWS * D);
        FloatArray stageV = new FloatArray(HEADS * STAGE_ROWS * D);
        for (int n = 0; n < stageK.getSize(); n++) {
            stageK.set(n, n);
            stageV.set(n, n + 1000);
        }
        FloatArray kCache = new FloatArray(HEADS * CAPACITY * D);
        FloatArray vCache = new FloatArray(HEADS * CAPACITY * D);
        kCache.init(Float.NaN);
        vCache.init(Float.NaN);
        KvCacheKernels.appendRows(stageK, stageV, kCache, vCache, IntArray.fromElements(6, 3), HEADS, STAGE_ROWS, CAPACITY, D);
        for (int h = 0; h < HEADS; h++) {
            for (int p = 0; p < CAPACITY; p++) {
                for (int c = 0; c < D; c++) {
                    int at = (h * CAPACITY + p) * D + c;
                    if (p >= 6 && p < 9) {
                        float staged = (h * STAGE_ROWS + p - 6) * D + c;
                        assertEquals(staged, kCache.get(at), "K (" + h + ", " + p + ", " + c + ")");
                        assertEquals(staged + 1000, vCache.get(at), "V (" + h + ", " + p + ", " + c + ")");
                    } else {
                        assertEquals(Float.NaN, kCache.get(at), "K (" + h + ", " + p + ", " + c + ") untouched");
                        assertEquals(Float.NaN, vCache.get(at), "V (" + h + ", " + p + ", " + c + ") untouched");
                    }
                }
            }
        }
    }

    @Test
    void halvesAreCopiedBitForBit() {
        short[] bits = {0x3c00, (short) 0xfc00, 0x0001, 0x7bff, (short) 0x8000, 0x3555};
        HalfFloatArray stage = new HalfFloatArray(2 * 1 * 3);
        for (int n = 0; n < bits.length; n++) {
            stage.set(n, new HalfFloat(bits[n]));
        }
        HalfFloatArray kCache = new HalfFloatArray(2 * 4 * 3);
        HalfFloatArray vCache = new HalfFloatArray(2 * 4 * 3);
        KvCacheKernels.appendRowsHalf(stage, stage, kCache, vCache, IntArray.fromElements(2, 1), 2, 1, 4, 3);
        short[] k = kCache.toShortArray();
        for (int h = 0; h < 2; h++) {
            for (int c = 0; c < 3; c++) {
                assertEquals(bits[h * 3 + c], k[(h * 4 + 2) * 3 + c], "head " + h + ", c " + c);
                assertEquals(0, k[(h * 4 + 1) * 3 + c], "position 1 untouched");
            }
        }
    }
}
