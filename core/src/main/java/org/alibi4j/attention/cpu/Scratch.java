package org.alibi4j.attention.cpu;

/**
 * One worker's tiles, reused from call to call (the backend pools them), so that steady-state prefill
 * and decode allocate nothing per tile. Arrays only grow.
 */
final class Scratch {
    float[] queries = new float[0];   // prefill: Q^T tile; decode: the group's query rows
    float[] scores = new float[0];    // prefill: S^T tile
    float[] output = new float[0];    // prefill: O^T accumulators; decode: [heads, d]
    float[] max = new float[0];
    float[] sum = new float[0];
    float[] alpha = new float[0];
    float[] positions = new float[0];
    float[] row = new float[0];
    float[] keys = new float[0];      // K rows staged as floats where they are not a float[] (halves, segments)
    float[] values = new float[0];
    float[] headKeys = new float[0];  // prefill: a whole head's K rows, staged once for all its query tiles
    float[] headValues = new float[0];
    float[] logits = new float[0];    // decode: the step's logits (then weights), [heads, keys]
    float touched;                    // decode: where the loads that fetch the next tile ahead leave their sum

    static float[] atLeast(float[] array, int length) {
        return array.length >= length ? array : new float[length];
    }

    /**
     * Makes room for a prefill tile of {@code bq} queries and {@code bk} keys of {@code d} elements, key and
     * value rows staged {@code rowStride} floats apart (0: {@code d}).
     */
    void forPrefill(int bq, int bk, int d, int rowStride) {
        int staged = bk * (rowStride == 0 ? d : rowStride);
        queries = atLeast(queries, d * bq);
        scores = atLeast(scores, bk * bq);
        output = atLeast(output, d * bq);
        perRow(bq);
        row = atLeast(row, d);
        keys = atLeast(keys, staged);
        values = atLeast(values, staged);
    }

    /**
     * Makes room for a decode tile of {@code heads} query heads and {@code bk} keys of {@code d} elements (the
     * scores and weights live in the step's {@link #logits}).
     */
    void forDecode(int heads, int bk, int d) {
        queries = atLeast(queries, heads * d);
        output = atLeast(output, heads * d);
        sum = atLeast(sum, heads);
        keys = atLeast(keys, bk * d);
        values = atLeast(values, bk * d);
    }

    private void perRow(int n) {
        max = atLeast(max, n);
        sum = atLeast(sum, n);
        alpha = atLeast(alpha, n);
        positions = atLeast(positions, n);
    }
}
