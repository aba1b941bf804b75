package org.alibi4j.attention.cpu;

import org.alibi4j.attention.HeadTensor;

/**
 * Where a tile of key or value rows is read from: in place when the tensor is a {@code float[]}, or
 * from a staging array the rows are widened into (halves, segments).
 */
final class RowSource {
    float[] array;
    int base;
    int stride;

    /**
     * Points at rows {@code [first, first + count)} of head {@code head} of {@code t}, widening them into
     * {@code staging} with {@code kernels} if they are not floats on the heap.
     */
    RowSource at(HeadTensor t, int head, int first, int count, float[] staging, AttentionKernels kernels) {
        float[] floats = t.heapFloats();
        short[] halves = t.heapHalves();
        int d = t.dim();
        if (floats != null) {
            array = floats;
            base = (int) t.index(head, first);
            stride = count > 1 ? (int) t.rowStride() : 0; // a view of one row may have any stride
        } else {
            if (halves != null && (count == 1 || t.rowStride() == d)) { // contiguous rows: one pass
                kernels.widen(halves, (int) t.index(head, first), staging, 0, count * d);
            } else {
                for (int kk = 0; kk < count; kk++) {
                    if (halves != null) {
                        kernels.widen(halves, (int) t.index(head, first + kk), staging, kk * d, d);
                    } else {
                        t.readRow(head, first + kk, staging, kk * d);
                    }
                }
            }
            array = staging;
            base = 0;
            stride = d;
        }
        return this;
    }
}
