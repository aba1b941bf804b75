package org.alibi4j;

import org.alibi4j.internal.Arguments;

/**
 * One bias tensor to compute: {@code [totalHeads, i, j]}, {@code i} queries that are the last {@code i}
 * positions of {@code j} keys, biased by {@code slopes} on its first {@code slopes.count()} heads.
 *
 * @param slopes     slopes of the biased heads
 * @param totalHeads heads in the tensor; those past {@code slopes.count()} carry no positional bias
 * @param i          queries (rows), {@code >= 1}; may exceed {@code j}
 * @param j          keys (columns), {@code >= 1}
 * @param form       symmetric or causal
 */
public record BiasSpec(AlibiSlopes slopes, int totalHeads, int i, int j, BiasForm form) {

    /** The most elements a tensor may have: the largest Java array, and TornadoVM's int-indexed arrays. */
    public static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    /** Checks each component, naming it and its allowed range. */
    public BiasSpec {
        if (slopes == null) {
            throw new IllegalArgumentException("slopes must not be null");
        }
        if (form == null) {
            throw new IllegalArgumentException("form must not be null");
        }
        if (totalHeads < slopes.count()) {
            throw new IllegalArgumentException("totalHeads must be >= heads = " + slopes.count() + " (was " + totalHeads + ")");
        }
        Arguments.positive("i", i);
        Arguments.positive("j", j);
        // (long) i * j cannot overflow; comparing by division keeps totalHeads * i * j from overflowing too
        if ((long) i * j > MAX_ELEMENTS / totalHeads) {
            throw new IllegalArgumentException("totalHeads * i * j = " + totalHeads + " * " + i + " * " + j
                    + " elements exceeds the largest tensor, " + MAX_ELEMENTS + " elements");
        }
    }

    /** The number of biased heads, {@code slopes.count()}. */
    public int heads() {
        return slopes.count();
    }

    /** {@code totalHeads * i * j}. */
    public long elementCount() {
        return (long) totalHeads * i * j;
    }

    /** The position of query row 0 among the keys: {@code j - i} (negative when {@code i > j}). */
    public int firstQueryPosition() {
        return j - i;
    }

    /** This spec with another shape. */
    public BiasSpec withShape(int i, int j) {
        return new BiasSpec(slopes, totalHeads, i, j, form);
    }
}
