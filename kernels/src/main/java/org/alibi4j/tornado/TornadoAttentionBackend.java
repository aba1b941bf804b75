package org.alibi4j.tornado;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.alibi4j.attention.AttentionBackend;
import org.alibi4j.attention.AttentionSpec;
import org.alibi4j.attention.HeadTensor;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.enums.TornadoVMBackendType;
import uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.api.types.arrays.TornadoNativeArray;

/**
 * Fused ALiBi attention on one TornadoVM device, for callers whose tensors are on the host (engines whose
 * tensors are on the device append the same tasks to their own graphs with {@link AlibiTasks}).
 *
 * <p>Each call copies Q and K/V rows into the buffers of a compiled plan ({@link AttentionPlans}: one per
 * shape, so a repeated shape compiles nothing), runs it, and copies the output back. Any layout the
 * {@link HeadTensor} views allow is read row by row (halves widened to float on the host); a dense
 * {@code float[]} is copied a head at a time. Prefill runs {@link AttentionKernels#prefillTiled} where the
 * head dimension allows ({@code d <= 128}), {@link AttentionKernels#prefill} above. A decode step's caches
 * go to the device with a row count rounded up to a power of two and the position read on the device, so
 * a growing decode builds a plan only when its context doubles. Every plan is compiled with {@link AlibiTasks#EXACT_OPENCL_FLAGS}.
 */
public final class TornadoAttentionBackend implements AttentionBackend {
    public static final String NAME = "tornado";
    /** Device memory the kept plans may hold: 512 MiB of Q, K, V and outputs in all. */
    static final long PLAN_BYTES = 512L << 20;
    private static final String PREFILL = "prefill";
    private static final String DECODE = "decode";

    private final TornadoDevice device;
    private final AttentionPlans plans;
    private volatile boolean closed;

    /** On TornadoVM's default device. */
    public TornadoAttentionBackend() {
        this(TornadoRuntimeProvider.getTornadoRuntime().getDefaultDevice());
    }

    public TornadoAttentionBackend(TornadoDevice device) {
        this(device, PLAN_BYTES);
    }

    /** With at most {@code planBytes} of buffers kept on the device by compiled plans (0: keep none). */
    public TornadoAttentionBackend(TornadoDevice device, long planBytes) {
        if (planBytes < 0) {
            throw new IllegalArgumentException("planBytes must be >= 0 (was " + planBytes + ")");
        }
        this.device = device;
        this.plans = new AttentionPlans(planBytes);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String device() {
        return TornadoBackend.describe(device);
    }

    @Override
    public void prefill(AttentionSpec spec, HeadTensor q, HeadTensor k, HeadTensor v, HeadTensor out) {
        prefillGroups(spec, 0, spec.kvHeads(), q, k, v, out);
    }

    @Override
    public void decode(AttentionSpec spec, int position, HeadTensor q, HeadTensor k, HeadTensor v, HeadTensor out) {
        decodeGroups(spec, 0, spec.kvHeads(), position, q, k, v, out);
    }

    /** Prefill of key/value heads {@code [first, end)} and their query heads: this device's share of a split. */
    void prefillGroups(AttentionSpec spec, int first, int end, HeadTensor q, HeadTensor k, HeadTensor v, HeadTensor out) {
        checkOpen();
        int i = q.rows();
        int j = k.rows();
        int group = spec.groupSize();
        var key = new AttentionPlans.Key(PREFILL, spec, first, end, i, j);
        plans.run(key, () -> newPrefillPlan(spec, first, end, i, j), plan -> {
            copyIn(q, first * group, end * group, i, i, plan.q());
            copyIn(k, first, end, j, j, plan.k());
            copyIn(v, first, end, j, j, plan.v());
            plan.plan().execute();
            copyOut(plan.out(), out, first * group, end * group, i);
        });
    }

    /** A decode step of key/value heads {@code [first, end)} and their query heads. */
    void decodeGroups(AttentionSpec spec, int first, int end, int position, HeadTensor q, HeadTensor k, HeadTensor v, HeadTensor out) {
        checkOpen();
        int group = spec.groupSize();
        int keys = position + 1;
        int rows = rowsFor(end - first, spec.headDim(), keys);
        var key = new AttentionPlans.Key(DECODE, spec, first, end, 1, rows);
        plans.run(key, () -> newDecodePlan(spec, first, end, rows), plan -> {
            copyIn(q, first * group, end * group, 1, 1, plan.q());
            copyIn(k, first, end, keys, rows, plan.k());
            copyIn(v, first, end, keys, rows, plan.v());
            plan.position().set(0, position);
            plan.plan().execute();
            copyOut(plan.out(), out, first * group, end * group, 1);
        });
    }

    /** Plans built so far (each compiled its kernels); a repeated shape reuses its plan. */
    public long planBuilds() {
        return plans.builds();
    }

    /** Plans kept with their device buffers. */
    public int plansKept() {
        return plans.size();
    }

    /** Frees every kept plan's device memory; later calls are refused. */
    @Override
    public void close() {
        closed = true;
        plans.clear();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this attention backend is closed");
        }
    }

    /**
     * {@code keys} rounded up to a power of two, so that a growing decode builds a plan only when it
     * doubles; {@code keys} itself where the rounded caches would not fit in one device buffer.
     */
    private int rowsFor(int kvHeads, int d, int keys) {
        long rounded = Long.highestOneBit(keys) == keys ? keys : Long.highestOneBit(keys) << 1;
        return fits((long) kvHeads * rounded * d) ? (int) rounded : keys;
    }

    private boolean fits(long floats) {
        return floats <= Integer.MAX_VALUE - 64 && floats * Float.BYTES + TornadoNativeArray.ARRAY_HEADER <= device.getMaxAllocMemory();
    }

    /** A prefill plan over key/value heads {@code [first, end)}: {@code i} queries over {@code j} keys. */
    private AttentionPlans.Plan newPrefillPlan(AttentionSpec spec, int first, int end, int i, int j) {
        int group = spec.groupSize();
        int heads = (end - first) * group;
        int d = spec.headDim();
        FloatArray q = buffer("Q", (long) heads * i * d);
        FloatArray k = buffer("K", (long) (end - first) * j * d);
        FloatArray v = buffer("V", (long) (end - first) * j * d);
        FloatArray out = buffer("the output", (long) heads * i * d);
        FloatArray slopes = AlibiTasks.attentionSlopes(spec, first * group, end * group);
        int biased = AlibiTasks.biasedHeads(spec, first * group, end * group);
        AlibiTasks.KvLayout layout = AlibiTasks.KvLayout.headMajor(j, d);
        TaskGraph graph = new TaskGraph("alibi_attention").transferToDevice(DataTransferMode.EVERY_EXECUTION, q, k, v);
        GridScheduler grid = null;
        if (d <= AttentionKernels.TILE_HEAD_DIM) { // key tiles shared in local memory: faster where it fits
            grid = new GridScheduler();
            AlibiTasks.prefillAttentionTiled(graph, "prefill_attention", slopes, biased, spec, heads, q, k, v, layout, out, i, j, grid);
        } else {
            AlibiTasks.prefillAttention(graph, "prefill_attention", slopes, biased, spec, heads, q, k, v, layout, out, i, j);
        }
        graph.transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        TornadoExecutionPlan plan = exact(graph);
        if (grid != null) {
            plan.withGridScheduler(grid);
        }
        return new AttentionPlans.Plan(plan, q, k, v, out, null, j, bytes(q, k, v, out));
    }

    /** A decode plan over key/value heads {@code [first, end)}, caches of {@code rows} positions. */
    private AttentionPlans.Plan newDecodePlan(AttentionSpec spec, int first, int end, int rows) {
        int group = spec.groupSize();
        int heads = (end - first) * group;
        int d = spec.headDim();
        FloatArray q = buffer("Q", (long) heads * d);
        FloatArray k = buffer("the K cache", (long) (end - first) * rows * d);
        FloatArray v = buffer("the V cache", (long) (end - first) * rows * d);
        FloatArray out = buffer("the output", (long) heads * d);
        IntArray position = new IntArray(1);
        FloatArray slopes = AlibiTasks.attentionSlopes(spec, first * group, end * group);
        TaskGraph graph = new TaskGraph("alibi_decode").transferToDevice(DataTransferMode.EVERY_EXECUTION, position, q, k, v);
        AlibiTasks.decodeAttention(graph, "decode_attention", slopes, AlibiTasks.biasedHeads(spec, first * group, end * group), spec,
                        heads, q, k, v, AlibiTasks.KvLayout.headMajor(rows, d), position, out, rows)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        return new AttentionPlans.Plan(exact(graph), q, k, v, out, position, rows, bytes(q, k, v, out));
    }

    private TornadoExecutionPlan exact(TaskGraph graph) {
        return new TornadoExecutionPlan(graph.snapshot()).withDevice(device)
                .withCompilerFlags(TornadoVMBackendType.OPENCL, AlibiTasks.EXACT_OPENCL_FLAGS);
    }

    private FloatArray buffer(String what, long floats) {
        if (!fits(floats)) {
            throw new IllegalArgumentException(what + " needs " + floats * Float.BYTES + " bytes and TornadoVM's "
                    + TornadoNativeArray.ARRAY_HEADER + "-byte array header; the largest buffer " + device() + " allocates is "
                    + device.getMaxAllocMemory() + " bytes");
        }
        return new FloatArray((int) floats);
    }

    private static long bytes(FloatArray... arrays) {
        long bytes = 0;
        for (FloatArray array : arrays) {
            bytes += (long) array.getSize() * Float.BYTES;
        }
        return bytes;
    }

    /**
     * Rows {@code [0, rows)} of heads {@code [first, end)} of {@code src} into the dense {@code dst}
     * ({@code stride} rows per head), as floats.
     */
    private static void copyIn(HeadTensor src, int first, int end, int rows, int stride, FloatArray dst) {
        MemorySegment to = dst.getSegment();
        int d = src.dim();
        float[] heap = src.heapFloats();
        if (heap != null && (src.rowStride() == d || rows == 1)) { // each head's rows are one run of floats
            for (int h = first; h < end; h++) {
                MemorySegment.copy(heap, (int) src.index(h, 0), to, ValueLayout.JAVA_FLOAT,
                        (long) (h - first) * stride * d * Float.BYTES, rows * d);
            }
            return;
        }
        float[] row = new float[d];
        for (int h = first; h < end; h++) {
            for (int r = 0; r < rows; r++) {
                src.readRow(h, r, row, 0);
                MemorySegment.copy(row, 0, to, ValueLayout.JAVA_FLOAT, ((long) (h - first) * stride + r) * d * Float.BYTES, d);
            }
        }
    }

    /** The dense {@code src} ({@code rows} rows per head) into heads {@code [first, end)} of {@code dst}. */
    private static void copyOut(FloatArray src, HeadTensor dst, int first, int end, int rows) {
        MemorySegment from = src.getSegment();
        int d = dst.dim();
        float[] row = new float[d];
        for (int h = first; h < end; h++) {
            for (int r = 0; r < rows; r++) {
                MemorySegment.copy(from, ValueLayout.JAVA_FLOAT, ((long) (h - first) * rows + r) * d * Float.BYTES, row, 0, d);
                dst.writeRow(h, r, row, 0);
            }
        }
    }
}
