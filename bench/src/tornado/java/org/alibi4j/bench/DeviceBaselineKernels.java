package org.alibi4j.bench;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * The device baselines of the TornadoVM attention benchmarks ({@link DeviceBaselines} gives their sizes):
 * what the device does at its peak, measured in the same run as the attention kernels.
 */
public final class DeviceBaselineKernels {
    private DeviceBaselineKernels() {
    }

    /**
     * The FMA loop: work-item {@code n} runs {@value DeviceBaselines#FMA_CHAINS} independent chains of
     * {@code a = a * m + c} for {@code steps} steps on registers, with no memory access in the loop, and
     * writes their sum to {@code out[n]}, so that every step of every chain is live. TornadoVM 5.2 has no
     * {@code Math.fma} on OpenCL, but its FMA phase ({@code tornado.enable.fma}, on by default) turns each
     * multiply feeding an add into OpenCL's {@code fma}. With {@code m} just below 1 and {@code c} small,
     * the values stay normal and no step can be folded away. Launch: 1D, one work-item per element of
     * {@code out}.
     */
    public static void fmaChains(FloatArray out, int steps) {
        for (@Parallel int n = 0; n < out.getSize(); n++) {
            float m = 0.9999999f;
            float c = 1e-7f;
            float a0 = n * 1e-9f;
            float a1 = a0 + 1;
            float a2 = a0 + 2;
            float a3 = a0 + 3;
            float a4 = a0 + 4;
            float a5 = a0 + 5;
            float a6 = a0 + 6;
            float a7 = a0 + 7;
            for (int s = 0; s < steps; s++) {
                a0 = a0 * m + c;
                a1 = a1 * m + c;
                a2 = a2 * m + c;
                a3 = a3 * m + c;
                a4 = a4 * m + c;
                a5 = a5 * m + c;
                a6 = a6 * m + c;
                a7 = a7 * m + c;
            }
            out.set(n, a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7);
        }
    }

    /** The copy: {@code to[n] = from[n]}, one work-item per float (neighbours read and write neighbours). */
    public static void copy(FloatArray from, FloatArray to) {
        for (@Parallel int n = 0; n < to.getSize(); n++) {
            to.set(n, from.get(n));
        }
    }
}
