package org.alibi4j.bench;

/**
 * The sizes of the TornadoVM attention benchmarks' device baselines, here (no TornadoVM type in sight) so
 * that the report turns their times into FLOP/s and GB/s in a JVM without TornadoVM, as it does with
 * {@link FmaPeak#FLOPS_PER_THREAD}:
 *
 * <ul>
 *   <li>the FMA loop ({@code deviceFmaBaseline}): {@value #FMA_WORK_ITEMS} work-items, each running
 *       {@value #FMA_CHAINS} independent chains of {@value #FMA_STEPS} multiply-adds on registers, which
 *       TornadoVM compiles to OpenCL's {@code fma};</li>
 *   <li>the copy ({@code deviceCopyBaseline}): a decode shape's K and V in floats, read from one device
 *       buffer and written to another.</li>
 * </ul>
 */
final class DeviceBaselines {
    static final int FMA_WORK_ITEMS = 1 << 20;
    static final int FMA_CHAINS = 8;
    static final int FMA_STEPS = 1024;
    /** The FLOPs of one call of the FMA loop: two per multiply-add. */
    static final double FMA_FLOPS = 2.0 * FMA_WORK_ITEMS * FMA_CHAINS * FMA_STEPS;

    private DeviceBaselines() {
    }

    /** Floats one copy moves for a decode shape: its K and V. */
    static long copyFloats(AttentionShape s) {
        return s.decodeBytes(Float.BYTES) / Float.BYTES;
    }

    /** Bytes one copy reads and writes for a decode shape: its K and V, read once and written once. */
    static long copyBytes(AttentionShape s) {
        return 2 * s.decodeBytes(Float.BYTES);
    }
}
