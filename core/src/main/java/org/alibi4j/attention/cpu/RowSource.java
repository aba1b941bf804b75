package org.alibi4j.attention.cpu;

import org.alibi4j.attention.HeadTensor;

/**
 * Where a tile of key or value rows is read from: in place when the tensor is a {@code float[]} with the
 * row stride the kernels need, or from a staging array the rows are copied or widened into (halves,
 * segments, other strides).
 */
final class RowSource {
    float[] array;
    int base;
    int stride;
    private float[] wholeRow = new float[0];

    /** Rows from {@code first}, columns from {@code c0}, of the rows {@code whole} holds (from row 0). */
    RowSource within(RowSource whole, int first, int c0) {
        array = whole.array;
        base = whole.base + first * whole.stride + c0;
        stride = whole.stride;
        return this;
    }

    /** Whole rows {@code [first, first + count)} of head {@code head} of {@code t}, at any stride (decode). */
    RowSource at(HeadTensor t, int head, int first, int count, float[] staging, AttentionKernels kernels) {
        return at(t, head, first, count, 0, t.dim(), 0, staging, kernels);
    }

    /**
     * Columns {@code [c0, c0 + width)} of rows {@code [first, first + count)} of head {@code head} of {@code t},
     * their rows {@code rowStride} floats apart ({@code 0}: any), staged into {@code staging} with
     * {@code kernels} unless the tensor holds them that way already.
     */
    RowSource at(HeadTensor t, int head, int first, int count, int c0, int width, int rowStride, float[] staging,
                 AttentionKernels kernels) {
        float[] floats = t.heapFloats();
        // a view of one row may have any stride: only its first row is read
        if (floats != null && (rowStride == 0 || count == 1 || t.rowStride() == rowStride)) {
            array = floats;
            base = (int) t.index(head, first) + c0;
            stride = count > 1 ? (int) t.rowStride() : 0;
            return this;
        }
        int to = rowStride == 0 ? width : rowStride;
        short[] halves = t.heapHalves();
        int d = t.dim();
        if (halves != null && to == d && (count == 1 || t.rowStride() == d)) { // contiguous rows: one pass
            kernels.widen(halves, (int) t.index(head, first), staging, 0, count * d);
        } else {
            for (int kk = 0; kk < count; kk++) {
                int from = (int) t.index(head, first + kk) + c0;
                if (floats != null) {
                    System.arraycopy(floats, from, staging, kk * to, width);
                } else if (halves != null) {
                    kernels.widen(halves, from, staging, kk * to, width);
                } else if (width == d) {
                    t.readRow(head, first + kk, staging, kk * to);
                } else {
                    wholeRow = Scratch.atLeast(wholeRow, d);
                    t.readRow(head, first + kk, wholeRow, 0);
                    System.arraycopy(wholeRow, c0, staging, kk * to, width);
                }
            }
        }
        array = staging;
        base = 0;
        stride = to;
        return this;
    }
}
