package org.alibi4j.tornado;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.types.HalfFloat;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The ALiBi kernels: plain Java that TornadoVM compiles for a device, and that a test may call
 * directly to check the logic on the CPU.
 *
 * <p>Launch contract: TornadoVM maps the outermost {@code @Parallel} loop to work dimension 0, so the
 * outermost loop runs over keys {@code k}: neighbouring work-items write neighbouring floats
 * (coalesced stores). {@link #fillBias} is a 3D launch {@code [j, i, totalHeads]} (no division per
 * element); {@link #addBias}, which engines append to their own graphs, is 2D {@code [j, totalHeads * i]}. Each element is the formula of ALIBI.md:
 * the integer distance converted to float (round to nearest, exact below 2^24) times the float slope,
 * one multiply, so every device gives the bits the CPU gives.
 */
public final class AlibiKernels {
    private AlibiKernels() {
    }

    /**
     * Writes the dense {@code [totalHeads, i, j]} bias to {@code out}.
     *
     * @param slopes the first {@code heads} entries are the biased heads' slopes
     * @param causal 1 to set keys after the query position to {@code -inf}, 0 for the symmetric form
     */
    public static void fillBias(FloatArray slopes, FloatArray out, int heads, int totalHeads, int i, int j, int causal) {
        for (@Parallel int k = 0; k < j; k++) {
            for (@Parallel int q = 0; q < i; q++) {
                for (@Parallel int h = 0; h < totalHeads; h++) {
                    out.set((h * i + q) * j + k, bias(slopes, heads, i, j, causal, h, q, k));
                }
            }
        }
    }

    /**
     * Rounds each float to the nearest half (ties to even): the second task of the half-precision fill,
     * after {@link #fillBias} into a device-only float buffer. (In one kernel, {@code new HalfFloat}
     * after the bias's branches fails TornadoVM 5.2's Graal compilation.) Bound of the result: within
     * 2^-11 of the float bias relatively where that is a normal half (|x| >= 2^-14), within 2^-25
     * absolutely below; biases at or below -65520 become -inf.
     */
    public static void toHalf(FloatArray in, HalfFloatArray out) {
        for (@Parallel int n = 0; n < in.getSize(); n++) {
            out.set(n, new HalfFloat(in.get(n)));
        }
    }

    /** Adds the bias to the dense {@code [totalHeads, i, j]} scores in place; the same launch as {@link #fillBias}. */
    public static void addBias(FloatArray slopes, FloatArray scores, int heads, int totalHeads, int i, int j, int causal) {
        for (@Parallel int k = 0; k < j; k++) {
            for (@Parallel int row = 0; row < totalHeads * i; row++) {
                int index = row * j + k;
                int h = row / i;
                // A compiler may contract `score + (-d) * slope` into one fma, rounding once where Java
                // rounds twice (PTX's assembler does by default). `+ 0.0f` stops that: at worst the product
                // is fused with the +0.0, and fma(a, b, +0.0) is the rounded product; `x + 0.0f` cannot be
                // folded away while signed zeros count (x may be -0.0). Fast math ignores them, so OpenCL
                // plans use AlibiTasks.EXACT_OPENCL_FLAGS.
                float bias = bias(slopes, heads, i, j, causal, h, row - h * i, k) + 0.0f;
                scores.set(index, scores.get(index) + bias);
            }
        }
    }

    /**
     * Adds the bias of one decode step to {@code totalHeads} rows of {@code rowStride} scores: the query
     * at {@code p = position.get(0)} over keys {@code 0 .. p}; keys after {@code p} are left alone. The
     * position is read on the device because TornadoVM compiles scalar arguments into the kernel as
     * constants: a scalar position would mean a new compilation at every step, this one compiles once.
     */
    public static void addBiasDecodeRow(FloatArray slopes, FloatArray scores, IntArray position, int heads, int totalHeads,
                                        int rowStride) {
        for (@Parallel int k = 0; k < rowStride; k++) {
            for (@Parallel int h = 0; h < totalHeads; h++) {
                int p = position.get(0);
                if (k <= p) {
                    int index = h * rowStride + k;
                    float bias = bias(slopes, heads, 1, p + 1, 0, h, 0, k) + 0.0f; // + 0.0f: see addBias
                    scores.set(index, scores.get(index) + bias);
                }
            }
        }
    }

    /** {@code bias[h][q][k]}. */
    static float bias(FloatArray slopes, int heads, int i, int j, int causal, int h, int q, int k) {
        int distance = k - (j - i + q);
        float value;
        if (causal == 1 && distance > 0) {
            value = Float.NEGATIVE_INFINITY;
        } else if (h >= heads) {
            value = 0.0f;
        } else {
            int absolute = distance < 0 ? -distance : distance;
            value = ((float) -absolute) * slopes.get(h); // -0 never arises: (float) -0 is +0.0
        }
        return value;
    }
}
