package org.alibi4j.cli;

import java.util.List;

/** Widths for the plain-text tables, so that a long backend name does not push its row out of line. */
final class Columns {
    private Columns() {
    }

    /** A left-aligned {@code printf} field as wide as the widest of the header and the values. */
    static String leftAligned(String header, List<String> values) {
        int width = header.length();
        for (String v : values) {
            width = Math.max(width, v.length());
        }
        return "%-" + width + "s";
    }
}
