package org.alibi4j.tornado;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The device side of an append to a KV cache that stays on the device ({@link TornadoKvCache}): rows
 * sent in a small staging buffer are written into the caches at a position read on the device, so one
 * compiled kernel serves every step (TornadoVM compiles scalar arguments in as constants). Plain Java,
 * tested as such before any device runs it.
 *
 * <p>Launch: 1D over the staging buffer, {@code heads * stageRows * d} work-items, one per element;
 * neighbouring work-items copy neighbouring elements of a row.
 */
public final class KvCacheKernels {
    private KvCacheKernels() {
    }

    /**
     * Rows {@code 0 .. at.get(1) - 1} of the staging buffers ({@code [heads, stageRows, d]}, dense) into the
     * head-major caches ({@code [heads, capacity, d]}) at positions from {@code at.get(0)}; rows of the
     * staging buffer past {@code at.get(1)} are not copied.
     */
    public static void appendRows(FloatArray stageK, FloatArray stageV, FloatArray kCache, FloatArray vCache, IntArray at,
                                  int heads, int stageRows, int capacity, int d) {
        for (@Parallel int n = 0; n < heads * stageRows * d; n++) {
            int row = n / d % stageRows;
            if (row < at.get(1)) {
                int to = (n / (stageRows * d) * capacity + at.get(0) + row) * d + n % d;
                kCache.set(to, stageK.get(n));
                vCache.set(to, stageV.get(n));
            }
        }
    }

    /** {@link #appendRows} for caches of halves, copied as they are; the device needs fp16. */
    public static void appendRowsHalf(HalfFloatArray stageK, HalfFloatArray stageV, HalfFloatArray kCache, HalfFloatArray vCache,
                                      IntArray at, int heads, int stageRows, int capacity, int d) {
        for (@Parallel int n = 0; n < heads * stageRows * d; n++) {
            int row = n / d % stageRows;
            if (row < at.get(1)) {
                int to = (n / (stageRows * d) * capacity + at.get(0) + row) * d + n % d;
                kCache.set(to, stageK.get(n));
                vCache.set(to, stageV.get(n));
            }
        }
    }
}
