package org.alibi4j.cli;

import java.io.PrintWriter;

/** The little JSON the command line writes: arrays of floats that parse back to the same floats. */
final class Json {
    private Json() {
    }

    /**
     * {@link Float#toString} is the shortest decimal that parses back to the same float. JSON has no
     * infinity: {@code -inf} (a causal mask) is written {@code -Infinity}, as Python's json module does.
     */
    static String number(float f) {
        if (Float.isNaN(f)) {
            return "NaN";
        }
        if (Float.isInfinite(f)) {
            return f > 0 ? "Infinity" : "-Infinity";
        }
        return Float.toString(f);
    }

    static void writeFloats(PrintWriter out, float[] values, int from, int to) {
        out.print('[');
        for (int n = from; n < to; n++) {
            if (n > from) {
                out.print(", ");
            }
            out.print(number(values[n]));
        }
        out.print(']');
    }
}
