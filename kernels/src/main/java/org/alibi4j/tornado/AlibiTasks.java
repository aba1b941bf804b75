package org.alibi4j.tornado;

import org.alibi4j.AlibiSlopes;
import org.alibi4j.BiasForm;
import org.alibi4j.BiasSpec;
import org.alibi4j.attention.AttentionSpec;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.WorkerGrid2D;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
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

    /**
     * Where K and V lie in an engine's {@code FloatArray}s: element {@code (g, key, c)} (key/value head,
     * position, component) at {@code offset + g * headStride + key * rowStride + c}; each head vector is
     * contiguous. Counts elements.
     */
    public record KvLayout(int offset, int headStride, int rowStride) {
        public KvLayout {
            if (offset < 0 || headStride < 0 || rowStride < 0) {
                throw new IllegalArgumentException("offset, headStride and rowStride must be >= 0 (were " + offset + ", "
                        + headStride + ", " + rowStride + ")");
            }
        }

        /** {@code [kvHeads, rows, headDim]}, dense (PyTorch's and HF's cache). */
        public static KvLayout headMajor(int rows, int headDim) {
            return new KvLayout(0, Math.multiplyExact(rows, headDim), headDim);
        }

        /** {@code [positions, kvHeads * headDim]}, dense (llama3.java's and GPULlama3's cache). */
        public static KvLayout positionMajor(int kvHeads, int headDim) {
            return new KvLayout(0, headDim, Math.multiplyExact(kvHeads, headDim));
        }

        /** The same strides from element {@code offset}, e.g. one layer of a cache of every layer. */
        public KvLayout from(int offset) {
            return new KvLayout(offset, headStride, rowStride);
        }

        /** Elements an array needs to hold {@code rows} positions of {@code kvHeads} heads. */
        long elements(int kvHeads, int rows, int headDim) {
            return offset + (kvHeads - 1L) * headStride + (rows - 1L) * rowStride + headDim;
        }
    }

    /** Fewer keys than this per decode chunk and splitting costs more than it gives. */
    static final int DECODE_CHUNK_KEYS = 256;
    /** At most this many decode chunks per head: enough work-items for a GPU at 32 heads, partials kept small. */
    static final int MAX_DECODE_CHUNKS = 1024;

    /** The decode split's chunks for caches of {@code capacity} positions. */
    static int decodeChunks(int capacity) {
        return Math.max(1, Math.min(MAX_DECODE_CHUNKS, capacity / DECODE_CHUNK_KEYS));
    }

    /**
     * Appends task {@code taskName}: fused ALiBi attention over {@code i} queries and {@code j} keys
     * ({@link AttentionKernels#prefill}), {@code out = softmax(scale * Q K^T + bias) V} per query head with the
     * bias of {@code spec.form()}, the scores never stored. {@code q} and {@code out} are dense
     * {@code [totalHeads, i, headDim]}; {@code k} and {@code v} hold {@code j} positions of {@code kvHeads}
     * heads in {@code kv}'s layout. The slopes go to the device once. Compile the plan with
     * {@link #EXACT_OPENCL_FLAGS} for results within {@code AttentionReference}'s bound (fast math may
     * drop the causal mask's infinities, and is not what the bound assumes).
     */
    public static TaskGraph prefillAttention(TaskGraph graph, String taskName, AttentionSpec spec, FloatArray q, FloatArray k,
                                             FloatArray v, KvLayout kv, FloatArray out, int i, int j) {
        if (i < 1 || j < 1) {
            throw new IllegalArgumentException("i and j must be at least 1 (were " + i + " and " + j + ")");
        }
        checkAttention(spec, q, k.getSize(), v.getSize(), kv, out, i, j);
        return prefillAttention(graph, taskName, attentionSlopes(spec, 0, spec.totalHeads()), biasedHeads(spec, 0, spec.totalHeads()),
                spec, spec.totalHeads(), q, k, v, kv, out, i, j);
    }

    /**
     * As {@link #prefillAttention(TaskGraph, String, AttentionSpec, FloatArray, FloatArray, FloatArray, KvLayout, FloatArray, int, int)},
     * with {@link AttentionKernels#prefillTiled}: work-groups of {@link AttentionKernels#TILE_QUERIES} queries
     * sharing key tiles in local memory. The kernel needs its launch: this method adds the task's worker grid
     * to {@code grid}, which the engine passes to its plan ({@code plan.withGridScheduler(grid)}).
     *
     * @throws IllegalArgumentException if {@code spec.headDim()} exceeds {@link AttentionKernels#TILE_HEAD_DIM}
     */
    public static TaskGraph prefillAttentionTiled(TaskGraph graph, String taskName, AttentionSpec spec, FloatArray q, FloatArray k,
                                                  FloatArray v, KvLayout kv, FloatArray out, int i, int j, GridScheduler grid) {
        if (i < 1 || j < 1) {
            throw new IllegalArgumentException("i and j must be at least 1 (were " + i + " and " + j + ")");
        }
        checkAttention(spec, q, k.getSize(), v.getSize(), kv, out, i, j);
        return prefillAttentionTiled(graph, taskName, attentionSlopes(spec, 0, spec.totalHeads()), biasedHeads(spec, 0, spec.totalHeads()),
                spec, spec.totalHeads(), q, k, v, kv, out, i, j, grid);
    }

    /** {@link #prefillAttentionTiled} for {@code totalHeads} query heads of {@code spec} (a range of them), {@code heads} biased. */
    static TaskGraph prefillAttentionTiled(TaskGraph graph, String taskName, FloatArray slopes, int heads, AttentionSpec spec,
                                           int totalHeads, FloatArray q, FloatArray k, FloatArray v, KvLayout kv, FloatArray out,
                                           int i, int j, GridScheduler grid) {
        if (spec.headDim() > AttentionKernels.TILE_HEAD_DIM) {
            throw new IllegalArgumentException("the tiled prefill serves head dimensions up to " + AttentionKernels.TILE_HEAD_DIM
                    + " (was " + spec.headDim() + "); use prefillAttention");
        }
        int queries = (i + AttentionKernels.TILE_QUERIES - 1) / AttentionKernels.TILE_QUERIES * AttentionKernels.TILE_QUERIES;
        WorkerGrid2D worker = new WorkerGrid2D(queries, totalHeads);
        worker.setLocalWork(AttentionKernels.TILE_QUERIES, 1, 1);
        grid.addWorkerGrid(graph.getTaskGraphName() + "." + taskName, worker);
        return graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, slopes)
                .task(taskName, AttentionKernels::prefillTiled, new KernelContext(), slopes, q, k, v, out, heads, totalHeads,
                        spec.groupSize(), i, j, spec.headDim(), spec.scale(), spec.form() == BiasForm.CAUSAL ? 1 : 0, kv.offset(),
                        kv.headStride(), kv.rowStride());
    }

    /**
     * Appends tasks {@code taskName + "_split"} and {@code taskName + "_merge"}: one decode step of fused ALiBi
     * attention ({@link AttentionKernels#decodeSplit}, {@link AttentionKernels#decodeMerge}), the query of each
     * head ({@code q}, dense {@code [totalHeads, headDim]}) at position {@code p = position.get(0)} over keys
     * {@code 0 .. p} of caches {@code k} and {@code v} ({@code capacity} positions in {@code kv}'s layout),
     * the result in {@code out} ({@code [totalHeads, headDim]}). The position is read on the device: the
     * engine sets it every step (transferred {@code EVERY_EXECUTION}, or written by an earlier task), and one
     * compiled plan serves every step; {@code p} must be below {@code capacity}. The split's partial results
     * live in device buffers this method allocates.
     */
    public static TaskGraph decodeAttention(TaskGraph graph, String taskName, AttentionSpec spec, FloatArray q, FloatArray k,
                                            FloatArray v, KvLayout kv, IntArray position, FloatArray out, int capacity) {
        checkDecode(spec, q, k.getSize(), v.getSize(), kv, position, out, capacity);
        return decodeAttention(graph, taskName, attentionSlopes(spec, 0, spec.totalHeads()), biasedHeads(spec, 0, spec.totalHeads()),
                spec, spec.totalHeads(), q, k, v, kv, position, out, capacity);
    }

    /** {@link #prefillAttention} for {@code totalHeads} query heads of {@code spec} (a range of them), {@code heads} biased. */
    static TaskGraph prefillAttention(TaskGraph graph, String taskName, FloatArray slopes, int heads, AttentionSpec spec, int totalHeads,
                                      FloatArray q, FloatArray k, FloatArray v, KvLayout kv, FloatArray out, int i, int j) {
        return graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, slopes)
                .task(taskName, AttentionKernels::prefill, slopes, q, k, v, out, heads, totalHeads, spec.groupSize(), i, j,
                        spec.headDim(), spec.scale(), spec.form() == BiasForm.CAUSAL ? 1 : 0, kv.offset(), kv.headStride(), kv.rowStride());
    }

    /** {@link #decodeAttention} for {@code totalHeads} query heads of {@code spec} (a range of them), {@code heads} biased. */
    static TaskGraph decodeAttention(TaskGraph graph, String taskName, FloatArray slopes, int heads, AttentionSpec spec, int totalHeads,
                                     FloatArray q, FloatArray k, FloatArray v, KvLayout kv, IntArray position, FloatArray out,
                                     int capacity) {
        int chunks = decodeChunks(capacity);
        Partials p = new Partials(totalHeads, chunks, spec.headDim());
        graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, slopes)
                .task(taskName + "_split", AttentionKernels::decodeSplit, slopes, q, k, v, position, p.max, p.sum, p.out,
                        heads, totalHeads, spec.groupSize(), spec.headDim(), spec.scale(), chunks, kv.offset(), kv.headStride(), kv.rowStride());
        return p.merge(graph, taskName, out);
    }

    /**
     * {@link #prefillAttention(TaskGraph, String, AttentionSpec, FloatArray, FloatArray, FloatArray, KvLayout, FloatArray, int, int)}
     * over K and V in halves ({@link AttentionKernels#prefillHalf}), widened exactly on load. The device
     * needs fp16 (OpenCL: {@code cl_khr_fp16}); where it has none, the plan fails to compile.
     */
    public static TaskGraph prefillAttention(TaskGraph graph, String taskName, AttentionSpec spec, FloatArray q, HalfFloatArray k,
                                             HalfFloatArray v, KvLayout kv, FloatArray out, int i, int j) {
        if (i < 1 || j < 1) {
            throw new IllegalArgumentException("i and j must be at least 1 (were " + i + " and " + j + ")");
        }
        checkAttention(spec, q, k.getSize(), v.getSize(), kv, out, i, j);
        FloatArray slopes = attentionSlopes(spec, 0, spec.totalHeads());
        return graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, slopes)
                .task(taskName, AttentionKernels::prefillHalf, slopes, q, k, v, out, biasedHeads(spec, 0, spec.totalHeads()),
                        spec.totalHeads(), spec.groupSize(), i, j, spec.headDim(), spec.scale(), spec.form() == BiasForm.CAUSAL ? 1 : 0,
                        kv.offset(), kv.headStride(), kv.rowStride());
    }

    /**
     * {@link #decodeAttention(TaskGraph, String, AttentionSpec, FloatArray, FloatArray, FloatArray, KvLayout, IntArray, FloatArray, int)}
     * over caches of halves ({@link AttentionKernels#decodeSplitHalf}); the device needs fp16.
     */
    public static TaskGraph decodeAttention(TaskGraph graph, String taskName, AttentionSpec spec, FloatArray q, HalfFloatArray k,
                                            HalfFloatArray v, KvLayout kv, IntArray position, FloatArray out, int capacity) {
        checkDecode(spec, q, k.getSize(), v.getSize(), kv, position, out, capacity);
        return decodeAttention(graph, taskName, attentionSlopes(spec, 0, spec.totalHeads()), biasedHeads(spec, 0, spec.totalHeads()),
                spec, spec.totalHeads(), q, k, v, kv, position, out, capacity);
    }

    /** The decode of caches of halves for {@code totalHeads} query heads of {@code spec} (a range of them), {@code heads} biased. */
    static TaskGraph decodeAttention(TaskGraph graph, String taskName, FloatArray slopes, int heads, AttentionSpec spec, int totalHeads,
                                     FloatArray q, HalfFloatArray k, HalfFloatArray v, KvLayout kv, IntArray position, FloatArray out,
                                     int capacity) {
        int chunks = decodeChunks(capacity);
        Partials p = new Partials(totalHeads, chunks, spec.headDim());
        graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, slopes)
                .task(taskName + "_split", AttentionKernels::decodeSplitHalf, slopes, q, k, v, position, p.max, p.sum, p.out,
                        heads, totalHeads, spec.groupSize(), spec.headDim(), spec.scale(), chunks, kv.offset(), kv.headStride(), kv.rowStride());
        return p.merge(graph, taskName, out);
    }

    /** The decode split's partial results, in device buffers no transfer names: they never leave the device. */
    private record Partials(FloatArray max, FloatArray sum, FloatArray out, int totalHeads, int chunks, int d) {
        Partials(int totalHeads, int chunks, int d) {
            this(new FloatArray(totalHeads * chunks), new FloatArray(totalHeads * chunks),
                    new FloatArray(Math.multiplyExact(totalHeads * chunks, d)), totalHeads, chunks, d);
        }

        TaskGraph merge(TaskGraph graph, String taskName, FloatArray result) {
            return graph.task(taskName + "_merge", AttentionKernels::decodeMerge, max, sum, out, result, totalHeads, d, chunks);
        }
    }

    private static void checkDecode(AttentionSpec spec, FloatArray q, int kSize, int vSize, KvLayout kv, IntArray position,
                                    FloatArray out, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1 (was " + capacity + ")");
        }
        if (position.getSize() < 1) {
            throw new IllegalArgumentException("position must hold one int (was empty)");
        }
        checkAttention(spec, q, kSize, vSize, kv, out, 1, capacity);
    }

    /** The slopes of query heads {@code [first, end)} of {@code spec}; one unused entry where none has a slope. */
    static FloatArray attentionSlopes(AttentionSpec spec, int first, int end) {
        int biased = biasedHeads(spec, first, end);
        FloatArray slopes = new FloatArray(Math.max(1, biased));
        for (int h = 0; h < biased; h++) {
            slopes.set(h, spec.slopeOf(first + h));
        }
        return slopes;
    }

    /** How many of query heads {@code [first, end)} have a slope: biased heads come first. */
    static int biasedHeads(AttentionSpec spec, int first, int end) {
        return Math.max(0, Math.min(end, spec.heads()) - first);
    }

    private static void checkAttention(AttentionSpec spec, FloatArray q, int kSize, int vSize, KvLayout kv, FloatArray out,
                                       int i, int rows) {
        long queries = (long) spec.totalHeads() * i * spec.headDim();
        needs("q", q.getSize(), queries);
        needs("out", out.getSize(), queries);
        long kvElements = kv.elements(spec.kvHeads(), rows, spec.headDim());
        needs("k", kSize, kvElements);
        needs("v", vSize, kvElements);
        if (kv.rowStride() < spec.headDim() && rows > 1) {
            throw new IllegalArgumentException("kv.rowStride must be >= headDim = " + spec.headDim() + " (was " + kv.rowStride() + ")");
        }
    }

    private static void needs(String name, int size, long elements) {
        if (elements > size) {
            throw new IllegalArgumentException(name + " needs " + elements + " elements but has " + size);
        }
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
