package org.alibi4j.tornado;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.alibi4j.attention.AttentionBackend;
import org.alibi4j.attention.AttentionSpec;
import org.alibi4j.attention.BackendKvCache;
import org.alibi4j.attention.HeadTensor;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.enums.TornadoVMBackendType;
import uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
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
 *
 * <p>Through {@link #decode} every step copies the K and V it reads. A decode loop keeps them on the device
 * instead with a {@link org.alibi4j.attention.KvCache} ({@link #openKvCache}, a {@link TornadoKvCache}):
 * each key and value goes to the device once, when appended.
 */
public final class TornadoAttentionBackend implements AttentionBackend {
    public static final String NAME = "tornado";
    /** Device memory the kept plans may hold: 512 MiB of Q, K, V and outputs in all. */
    static final long PLAN_BYTES = 512L << 20;
    private static final String PREFILL = "prefill";
    private static final String DECODE = "decode";

    private final TornadoDevice device;
    private final AttentionPlans plans;
    private final Set<TornadoKvCache> caches = ConcurrentHashMap.newKeySet();
    private volatile boolean halvesFailed;
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
            HeadCopies.toFloats(q, first * group, end * group, 0, i, i, plan.q(), false);
            HeadCopies.toFloats(k, first, end, 0, j, j, plan.k(), false);
            HeadCopies.toFloats(v, first, end, 0, j, j, plan.v(), false);
            plan.plan().execute();
            HeadCopies.fromFloats(plan.out(), out, first * group, end * group, i);
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
            HeadCopies.toFloats(q, first * group, end * group, 0, 1, 1, plan.q(), false);
            HeadCopies.toFloats(k, first, end, 0, keys, rows, plan.k(), false);
            HeadCopies.toFloats(v, first, end, 0, keys, rows, plan.v(), false);
            plan.position().set(0, position);
            plan.plan().execute();
            HeadCopies.fromFloats(plan.out(), out, first * group, end * group, 1);
        });
    }

    /**
     * A KV cache in this device's memory ({@link TornadoKvCache}): an append sends only the new rows, a
     * decode step only its query and position, and one plan compiled here serves every step. Its device
     * memory is the caller's until the cache (or this backend) is closed; it is not part of the kept plans'
     * budget.
     */
    @Override
    public BackendKvCache openKvCache(AttentionSpec spec, int capacity, HeadTensor.Precision precision) {
        return openKvCacheGroups(spec, 0, spec.kvHeads(), capacity, precision, false);
    }

    /** A KV cache of key/value heads {@code [first, end)} and their query heads; {@code profiled} for tests. */
    TornadoKvCache openKvCacheGroups(AttentionSpec spec, int first, int end, int capacity, HeadTensor.Precision precision, boolean profiled) {
        checkOpen();
        TornadoKvCache cache = TornadoKvCache.open(this, spec, first, end, capacity, precision, profiled);
        caches.add(cache);
        if (closed) { // closed while the cache was compiled
            cache.closeBecause("this attention backend is closed");
            checkOpen();
        }
        return cache;
    }

    /** Whether the device may compile the half-precision kernels: not once it has failed to. */
    boolean mayCompileHalves() {
        return !halvesFailed;
    }

    /** The device failed to compile the half-precision kernels: later caches of halves do not try again. */
    void doesNotCompileHalves() {
        halvesFailed = true;
    }

    /** The KV caches open on this backend. */
    int kvCachesOpen() {
        return caches.size();
    }

    /** Drops a closed cache from those that {@link #close()} closes. */
    void forget(TornadoKvCache cache) {
        caches.remove(cache);
    }

    /** What device executions hold, so that one plan runs at a time: the kept plans' lock. */
    Object deviceLock() {
        return plans;
    }

    TornadoDevice tornadoDevice() {
        return device;
    }

    /** Plans built so far (each compiled its kernels); a repeated shape reuses its plan. */
    public long planBuilds() {
        return plans.builds();
    }

    /** Plans kept with their device buffers. */
    public int plansKept() {
        return plans.size();
    }

    /** Frees every kept plan's device memory and every open KV cache's; later calls are refused. */
    @Override
    public void close() {
        closed = true;
        plans.clear();
        for (TornadoKvCache cache : List.copyOf(caches)) {
            cache.closeBecause("this attention backend is closed");
            caches.remove(cache);
        }
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
        return fits(floats, Float.BYTES);
    }

    private boolean fits(long elements, int elementBytes) {
        return elements <= Integer.MAX_VALUE - 64 && elements * elementBytes + TornadoNativeArray.ARRAY_HEADER <= device.getMaxAllocMemory();
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
        return (FloatArray) buffer(what, floats, Float.BYTES);
    }

    /**
     * A new array of {@code elements} floats ({@code elementBytes} 4) or halves (2), {@code what} naming it in
     * the message if it is larger than one device buffer.
     */
    TornadoNativeArray buffer(String what, long elements, int elementBytes) {
        if (!fits(elements, elementBytes)) {
            throw new IllegalArgumentException(what + " needs " + elements * elementBytes + " bytes and TornadoVM's "
                    + TornadoNativeArray.ARRAY_HEADER + "-byte array header; the largest buffer " + device() + " allocates is "
                    + device.getMaxAllocMemory() + " bytes");
        }
        return elementBytes == Float.BYTES ? new FloatArray((int) elements) : new HalfFloatArray((int) elements);
    }

    private static long bytes(FloatArray... arrays) {
        long bytes = 0;
        for (FloatArray array : arrays) {
            bytes += (long) array.getSize() * Float.BYTES;
        }
        return bytes;
    }
}
