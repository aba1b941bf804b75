package org.alibi4j.tornado;

import org.alibi4j.AlibiSlopes;
import org.alibi4j.BiasForm;
import org.alibi4j.BiasSpec;

import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * ALiBi as tasks in an engine's own {@link TaskGraph}: the bias is added to scores that are already on
 * the device, between the engine's {@code QK^T} and softmax tasks, and never materialised.
 *
 * <pre>{@code
 * FloatArray slopes = AlibiTasks.slopes(AlibiSlopes.forHeads(heads));
 * graph.task("scores", MyKernels::scores, q, k, scores, ...);
 * AlibiTasks.addBiasCausal(graph, "alibi", slopes, scores, heads, heads, i, j);
 * graph.task("softmax", MyKernels::softmax, scores, ...);
 * }</pre>
 */
public final class AlibiTasks {
    /**
     * OpenCL build options under which the kernels give the CPU backend's bits. TornadoVM's default,
     * {@code -cl-mad-enable -cl-fast-relaxed-math}, lets the OpenCL compiler fuse the fused add's multiply
     * and add into one fma (seen on PoCL 6 / LLVM 16: the sum rounded once where Java rounds twice, one ulp
     * apart), ignore the sign of zero and assume there are no infinities (the causal mask is {@code -inf}).
     * The options apply to a whole execution plan: an engine that wants the exact bias in its own graph
     * passes them with {@code plan.withCompilerFlags(TornadoVMBackendType.OPENCL, EXACT_OPENCL_FLAGS)},
     * which turns off fast math for its other kernels in that plan too.
     */
    public static final String EXACT_OPENCL_FLAGS = "-w";

    private AlibiTasks() {
    }

    /**
     * A bias that stays on the device for an engine's own task graphs: {@code graph()} computes it
     * ({@code fill_bias}) and persists it; an engine's graph in the same execution plan takes it with
     * {@code consumeFromDevice(graph().getTaskGraphName(), bias())}, with no copy through the host.
     */
    public record ResidentBias(TaskGraph graph, FloatArray bias) {
    }

    /** The dense {@code [totalHeads, i, j]} bias of the form as a {@link ResidentBias} named {@code graphName}. */
    public static ResidentBias residentBias(String graphName, AlibiSlopes slopes, int totalHeads, int i, int j, BiasForm form) {
        BiasSpec spec = new BiasSpec(slopes, totalHeads, i, j, form); // checks the arguments
        FloatArray deviceSlopes = slopes(slopes);
        FloatArray bias = new FloatArray((int) spec.elementCount());
        TaskGraph graph = new TaskGraph(graphName)
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, deviceSlopes)
                .task("fill_bias", AlibiKernels::fillBias, deviceSlopes, bias, spec.heads(), totalHeads, i, j,
                        form == BiasForm.CAUSAL ? 1 : 0)
                .persistOnDevice(bias);
        return new ResidentBias(graph, bias);
    }

    /** The slopes as a device array; pass it to the tasks below, which send it to the device once. */
    public static FloatArray slopes(AlibiSlopes slopes) {
        return FloatArray.fromArray(slopes.toArray());
    }

    /**
     * Appends task {@code taskName}: the symmetric bias added in place to the dense
     * {@code [totalHeads, i, j]} {@code scores}, whose first {@code heads} heads have the slopes.
     */
    public static TaskGraph addBias(TaskGraph graph, String taskName, FloatArray slopes, FloatArray scores,
                                    int heads, int totalHeads, int i, int j) {
        return append(graph, taskName, slopes, scores, heads, totalHeads, i, j, 0);
    }

    /** As {@link #addBias}, with keys after each query's position set to {@code -inf}. */
    public static TaskGraph addBiasCausal(TaskGraph graph, String taskName, FloatArray slopes, FloatArray scores,
                                          int heads, int totalHeads, int i, int j) {
        return append(graph, taskName, slopes, scores, heads, totalHeads, i, j, 1);
    }

    /**
     * Appends task {@code taskName}: the bias of one decode step added in place to {@code scores}, laid
     * out as {@code totalHeads} rows of {@code rowStride} floats (an engine's attention buffer sized for
     * its context). The step's position {@code p} is {@code position.get(0)} on the device: the query at
     * {@code p} over keys {@code 0 .. p}, whose first {@code heads} heads have the slopes; keys after
     * {@code p} are untouched. The engine updates {@code position} each step (transferring it with
     * {@code EVERY_EXECUTION}, or writing it in an earlier task) and runs the same compiled plan for
     * every step. {@code p} must be below {@code rowStride}; keys past the row are never written.
     */
    public static TaskGraph addBiasDecodeRow(TaskGraph graph, String taskName, FloatArray slopes, FloatArray scores,
                                             IntArray position, int heads, int totalHeads, int rowStride) {
        checkHeads(slopes, heads, totalHeads);
        if (rowStride < 1) {
            throw new IllegalArgumentException("rowStride must be at least 1 (was " + rowStride + ")");
        }
        if (position.getSize() < 1) {
            throw new IllegalArgumentException("position must hold one int (was empty)");
        }
        if ((long) totalHeads * rowStride > scores.getSize()) {
            throw new IllegalArgumentException("scores needs totalHeads * rowStride = " + (long) totalHeads * rowStride
                    + " floats but has " + scores.getSize());
        }
        return graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, slopes)
                .task(taskName, AlibiKernels::addBiasDecodeRow, slopes, scores, position, heads, totalHeads, rowStride);
    }

    private static TaskGraph append(TaskGraph graph, String taskName, FloatArray slopes, FloatArray scores,
                                    int heads, int totalHeads, int i, int j, int causal) {
        checkHeads(slopes, heads, totalHeads);
        if (i < 1 || j < 1) {
            throw new IllegalArgumentException("i and j must be at least 1 (were " + i + " and " + j + ")");
        }
        if ((long) totalHeads * i * j > scores.getSize()) {
            throw new IllegalArgumentException("scores needs totalHeads * i * j = " + (long) totalHeads * i * j
                    + " floats but has " + scores.getSize());
        }
        return graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, slopes)
                .task(taskName, AlibiKernels::addBias, slopes, scores, heads, totalHeads, i, j, causal);
    }

    private static void checkHeads(FloatArray slopes, int heads, int totalHeads) {
        if (heads < 1) {
            throw new IllegalArgumentException("heads must be at least 1 (was " + heads + ")");
        }
        if (totalHeads < heads) {
            throw new IllegalArgumentException("totalHeads must be >= heads = " + heads + " (was " + totalHeads + ")");
        }
        if (slopes.getSize() < heads) {
            throw new IllegalArgumentException("slopes must hold heads = " + heads + " slopes (was " + slopes.getSize() + ")");
        }
    }
}
