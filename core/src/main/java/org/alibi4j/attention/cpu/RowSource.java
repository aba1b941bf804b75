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

    /** Points at rows {@code [first, first + count)} of head {@code head} of {@code t}, staging them in {@code staging} if need be. */
    RowSource at(HeadTensor t, int head, int first, int count, float[] staging) {
        float[] floats = t.heapFloats();
        if (floats != null) {
            array = floats;
            base = (int) t.index(head, first);
            stride = count > 1 ? (int) t.rowStride() : 0; // a view of one row may have any stride
        } else {
            int d = t.dim();
            for (int kk = 0; kk < count; kk++) {
                t.readRow(head, first + kk, staging, kk * d);
            }
            array = staging;
            base = 0;
            stride = d;
        }
        return this;
    }
}
