package org.alibi4j.tornado;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.alibi4j.attention.HeadTensor;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;

/**
 * Rows of the caller's {@link HeadTensor} views into the dense head-major buffers of a compiled plan, and
 * a plan's output back: any layout and precision the views describe, on the host. A dense {@code float[]}
 * (or {@code short[]} into halves) goes a head at a time; anything else a row at a time.
 */
final class HeadCopies {
    private HeadCopies() {
    }

    /**
     * Rows {@code [from, from + rows)} of heads {@code [first, end)} of {@code src} into {@code dst}, dense
     * with {@code stride} rows per head, as floats; with {@code roundToHalves}, each rounded to the nearest
     * half first (a cache of halves kept in floats).
     */
    static void toFloats(HeadTensor src, int first, int end, int from, int rows, int stride, FloatArray dst, boolean roundToHalves) {
        MemorySegment to = dst.getSegment();
        int d = src.dim();
        float[] heap = src.heapFloats();
        if (heap != null && !roundToHalves && (src.rowStride() == d || rows == 1)) { // each head's rows are one run of floats
            for (int h = first; h < end; h++) {
                MemorySegment.copy(heap, (int) src.index(h, from), to, ValueLayout.JAVA_FLOAT,
                        (long) (h - first) * stride * d * Float.BYTES, rows * d);
            }
            return;
        }
        float[] row = new float[d];
        for (int h = first; h < end; h++) {
            for (int r = 0; r < rows; r++) {
                src.readRow(h, from + r, row, 0);
                if (roundToHalves) {
                    for (int c = 0; c < d; c++) {
                        row[c] = Float.float16ToFloat(Float.floatToFloat16(row[c]));
                    }
                }
                MemorySegment.copy(row, 0, to, ValueLayout.JAVA_FLOAT, ((long) (h - first) * stride + r) * d * Float.BYTES, d);
            }
        }
    }

    /** {@link #toFloats} into halves: rows of halves as they are, rows of floats rounded to nearest, even. */
    static void toHalves(HeadTensor src, int first, int end, int from, int rows, int stride, HalfFloatArray dst) {
        MemorySegment to = dst.getSegment();
        int d = src.dim();
        short[] heap = src.heapHalves();
        if (heap != null && (src.rowStride() == d || rows == 1)) {
            for (int h = first; h < end; h++) {
                MemorySegment.copy(heap, (int) src.index(h, from), to, ValueLayout.JAVA_SHORT,
                        (long) (h - first) * stride * d * Short.BYTES, rows * d);
            }
            return;
        }
        float[] row = new float[d];
        for (int h = first; h < end; h++) {
            for (int r = 0; r < rows; r++) {
                long at = ((long) (h - first) * stride + r) * d;
                if (heap != null) {
                    MemorySegment.copy(heap, (int) src.index(h, from + r), to, ValueLayout.JAVA_SHORT, at * Short.BYTES, d);
                    continue;
                }
                src.readRow(h, from + r, row, 0);
                for (int c = 0; c < d; c++) {
                    to.setAtIndex(ValueLayout.JAVA_SHORT, at + c, Float.floatToFloat16(row[c]));
                }
            }
        }
    }

    /** The dense {@code src} ({@code rows} rows per head) into heads {@code [first, end)} of {@code dst}. */
    static void fromFloats(FloatArray src, HeadTensor dst, int first, int end, int rows) {
        MemorySegment from = src.getSegment();
        int d = dst.dim();
        float[] row = new float[d];
        for (int h = first; h < end; h++) {
            for (int r = 0; r < rows; r++) {
                MemorySegment.copy(from, ValueLayout.JAVA_FLOAT, ((long) (h - first) * rows + r) * d * Float.BYTES, row, 0, d);
                dst.writeRow(h, r, row, 0);
            }
        }
    }
}
