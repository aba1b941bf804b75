package org.alibi4j.cli;

import org.alibi4j.BiasSpec;

/** Checks of command-line values, with messages that name the flag. */
final class Inputs {
    private Inputs() {
    }

    static void atLeastOne(String flag, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(flag + " must be >= 1 (was " + value + ")");
        }
    }

    /** Checks heads, total heads and the shape, and that the tensor fits in this JVM. */
    static void shape(int heads, int totalHeads, int i, int j) {
        atLeastOne("--heads", heads);
        if (totalHeads < heads) {
            throw new IllegalArgumentException("--total-heads must be >= --heads = " + heads + " (was " + totalHeads + ")");
        }
        atLeastOne("-i", i);
        atLeastOne("-j", j);
        if ((long) i * j > BiasSpec.MAX_ELEMENTS / totalHeads) {
            throw new IllegalArgumentException("-i/-j: " + totalHeads + " x " + i + " x " + j
                    + " elements exceeds the largest tensor, " + BiasSpec.MAX_ELEMENTS + " elements");
        }
        long bytes = (long) totalHeads * i * j * Float.BYTES;
        long maxHeap = Runtime.getRuntime().maxMemory();
        if (bytes > maxHeap / 2) { // the tensor and the work around it
            throw new IllegalArgumentException("-i/-j: a " + totalHeads + " x " + i + " x " + j + " tensor needs " + bytes
                    + " bytes; this JVM's heap is " + maxHeap + " bytes (raise -Xmx)");
        }
    }
}
