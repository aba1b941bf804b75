package org.alibi4j.attention;

import org.alibi4j.attention.HeadTensor.Precision;

/**
 * The KV cache every backend has unless it keeps one of its own: two head-major arrays
 * {@code [kvHeads, capacity, headDim]} on the Java heap ({@code float[]}, or {@code short[]} of IEEE halves),
 * appended to by copying rows, decoded by the backend's own {@link AttentionBackend#decode} over views of
 * them. On the CPU backend that is the decode a caller gets with views of its own arrays, bit for bit.
 */
final class HostKvCache implements BackendKvCache {
    /** The most elements a Java array can hold on HotSpot. */
    static final int MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    private final AttentionBackend backend;
    private final AttentionSpec spec;
    private final Precision precision;
    private final int capacity;
    /** The cache arrays, through views of them: {@code heapFloats()} or {@code heapHalves()} by precision. */
    private final HeadTensor kView;
    private final HeadTensor vView;
    private final float[] row;

    HostKvCache(AttentionBackend backend, AttentionSpec spec, int capacity, Precision precision) {
        long elements = (long) spec.kvHeads() * capacity * spec.headDim();
        if (elements > MAX_ELEMENTS) {
            throw new IllegalArgumentException("capacity " + capacity + " needs kvHeads * capacity * headDim = " + elements
                    + " elements for each of K and V, more than one Java array holds (" + MAX_ELEMENTS + ")");
        }
        this.backend = backend;
        this.spec = spec;
        this.precision = precision;
        this.capacity = capacity;
        this.kView = array(spec, capacity, precision);
        this.vView = array(spec, capacity, precision);
        this.row = new float[spec.headDim()];
    }

    /** A head-major {@code [kvHeads, capacity, headDim]} array of floats or halves. */
    private static HeadTensor array(AttentionSpec spec, int capacity, Precision precision) {
        int elements = spec.kvHeads() * capacity * spec.headDim();
        return precision == Precision.F32
                ? HeadTensor.of(new float[elements], spec.kvHeads(), capacity, spec.headDim())
                : HeadTensor.ofHalves(new short[elements], spec.kvHeads(), capacity, spec.headDim());
    }

    @Override
    public void append(int position, HeadTensor k, HeadTensor v) {
        store(position, k, kView);
        store(position, v, vView);
    }

    @Override
    public void decode(int position, HeadTensor q, HeadTensor out) {
        backend.decode(spec, position, q, kView, vView, out);
    }

    @Override
    public void close() {
        // heap arrays: the garbage collector frees them with this object
    }

    @Override
    public String toString() {
        return "HostKvCache[" + capacity + " positions of " + precision + " on the Java heap, decoded by " + backend.name() + "]";
    }

    /** Rows {@code 0 .. src.rows() - 1} of {@code src} at {@code position} of one cache. */
    private void store(int position, HeadTensor src, HeadTensor cache) {
        float[] floats = cache.heapFloats();
        short[] halves = cache.heapHalves();
        int d = spec.headDim();
        for (int h = 0; h < spec.kvHeads(); h++) {
            for (int r = 0; r < src.rows(); r++) {
                int at = (h * capacity + position + r) * d;
                if (floats != null) {
                    src.readRow(h, r, floats, at); // halves widen exactly
                } else if (src.heapHalves() != null) {
                    System.arraycopy(src.heapHalves(), (int) src.index(h, r), halves, at, d);
                } else {
                    src.readRow(h, r, row, 0);
                    for (int c = 0; c < d; c++) {
                        halves[at + c] = Float.floatToFloat16(row[c]);
                    }
                }
            }
        }
    }
}
