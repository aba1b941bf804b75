package org.alibi4j.internal;

import org.alibi4j.AlibiSlopes;

/** Argument checks whose messages name the argument, its allowed range and the value seen. */
public final class Arguments {
    private Arguments() {
    }

    public static int positive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be >= 1 (was " + value + ")");
        }
        return value;
    }

    public static void fits(String name, float[] array, int offset, long needed) {
        if (array == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        if (offset < 0 || offset > array.length || array.length - (long) offset < needed) {
            throw new IllegalArgumentException(name + " needs " + needed + " floats from offset " + offset
                    + " but has length " + array.length);
        }
    }

    /** {@code totalHeads}, checked to be at least {@code heads}. */
    public static int totalHeads(int totalHeads, int heads) {
        if (totalHeads < heads) {
            throw new IllegalArgumentException("totalHeads must be >= heads = " + heads + " (was " + totalHeads + ")");
        }
        return totalHeads;
    }

    /** {@code slopes}, checked to hold one slope for each of {@code heads}. */
    public static AlibiSlopes slopesFor(int heads, AlibiSlopes slopes) {
        if (slopes == null || slopes.count() != heads) {
            throw new IllegalArgumentException("slopes must hold heads = " + heads + " slopes (was "
                    + (slopes == null ? "null" : slopes.count()) + ")");
        }
        return slopes;
    }
}
