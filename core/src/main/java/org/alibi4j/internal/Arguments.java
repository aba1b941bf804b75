package org.alibi4j.internal;

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
}
