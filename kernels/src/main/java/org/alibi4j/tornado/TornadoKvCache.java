package org.alibi4j.tornado;

import org.alibi4j.attention.AttentionSpec;
import org.alibi4j.attention.BackendKvCache;
import org.alibi4j.attention.HeadTensor;
import org.alibi4j.attention.HeadTensor.Precision;

import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.enums.ProfilerMode;
import uk.ac.manchester.tornado.api.enums.TornadoVMBackendType;
import uk.ac.manchester.tornado.api.exceptions.TornadoBailoutRuntimeException;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.api.types.arrays.TornadoNativeArray;

/**
 * A KV cache in device memory, for key/value heads {@code [first, end)} of a spec and their query heads
 * (all of them, or one device's share of {@code tornado-multi}'s split): the keys and values go to the
 * device once, when appended, and a decode step sends only its query and position and brings back only
 * its output.
 *
 * <p>One execution plan, compiled when the cache opens, serves every step. Its three task graphs:
 * <ol>
 *   <li>{@code kv_append_row}: a decode step's row. The row goes in a one-row staging buffer per K and V
 *       (copied every execution, with the position), and {@link KvCacheKernels#appendRows} writes it into the
 *       caches on the device.</li>
 *   <li>{@code kv_append_rows}: a prompt or a chunk of rows, {@link #BULK_ROWS} per execution, the same way
 *       through a larger staging buffer.</li>
 *   <li>{@code kv_decode}: the query and the position in, the decode split and merge of {@link AlibiTasks}
 *       over the caches, the output back.</li>
 * </ol>
 * The caches ({@code [heads, capacity, d]}, head-major) are named by no transfer: the first graph allocates
 * them on the device and keeps them there ({@code persistOnDevice}), the others take them with
 * {@code consumeFromDevice}, and no execution copies them either way. (TornadoVM allocates a host array of
 * the same size for each; it is never written or sent.)
 *
 * <p>A cache of halves keeps halves on the device where it compiles the half-precision kernels (OpenCL's
 * {@code cl_khr_fp16}); where it cannot, it keeps the halves' values in floats (twice the memory, the same
 * results) and says so in {@link #toString()} and the log. Executions on the device are serialised with the
 * backend's other plans; calls to one cache come one at a time from {@link org.alibi4j.attention.KvCache}.
 */
final class TornadoKvCache implements BackendKvCache {
    /** Rows one execution of {@code kv_append_rows} sends: a prompt goes in chunks of this many. */
    static final int BULK_ROWS = 256;
    private static final int APPEND_ROW = 0;
    private static final int APPEND_ROWS = 1;
    private static final int DECODE = 2;
    private static final System.Logger LOG = System.getLogger("org.alibi4j");

    private final TornadoAttentionBackend owner;
    private final int first;
    private final int end;
    private final int group;
    private final int capacity;
    private final Precision precision;
    private final boolean halves;
    private final int bulkRows;
    private final TornadoNativeArray kCache;
    private final TornadoNativeArray vCache;
    private final TornadoNativeArray rowK;
    private final TornadoNativeArray rowV;
    private final TornadoNativeArray bulkK;
    private final TornadoNativeArray bulkV;
    private final IntArray rowAt = new IntArray(2);
    private final IntArray bulkAt = new IntArray(2);
    private final IntArray position = new IntArray(1);
    private final FloatArray q;
    private final FloatArray out;
    private final TornadoExecutionPlan plan;
    private final boolean profiled;
    private String closedBecause;
    private long appendExecutions;
    private long decodeExecutions;
    private long lastBytesIn;
    private long lastBytesOut;

    /**
     * A cache on {@code owner}'s device; {@code profiled} records the bytes each execution copies
     * (TornadoVM's profiler), for tests.
     *
     * @throws IllegalArgumentException if a buffer is larger than the device allocates
     */
    static TornadoKvCache open(TornadoAttentionBackend owner, AttentionSpec spec, int first, int end, int capacity, Precision precision,
                               boolean profiled) {
        if (precision == Precision.F16 && owner.mayCompileHalves()) {
            try {
                return new TornadoKvCache(owner, spec, first, end, capacity, precision, true, profiled);
            } catch (TornadoBailoutRuntimeException e) {
                owner.doesNotCompileHalves();
                LOG.log(System.Logger.Level.INFO, () -> "tornado: " + owner.device() + " did not compile the half-precision KV cache kernels "
                        + "(no fp16, OpenCL's cl_khr_fp16? TornadoVM's build log says why); its caches of halves keep the halves' values "
                        + "in floats");
            }
        }
        return new TornadoKvCache(owner, spec, first, end, capacity, precision, false, profiled);
    }

    private TornadoKvCache(TornadoAttentionBackend owner, AttentionSpec spec, int first, int end, int capacity, Precision precision,
                           boolean halves, boolean profiled) {
        this.owner = owner;
        this.first = first;
        this.end = end;
        this.group = spec.groupSize();
        this.capacity = capacity;
        this.precision = precision;
        this.halves = halves;
        this.profiled = profiled;
        this.bulkRows = Math.min(capacity, BULK_ROWS);
        int heads = end - first;
        int queryHeads = heads * group;
        int d = spec.headDim();
        long cacheElements = (long) heads * capacity * d;
        kCache = array("the K cache", cacheElements);
        vCache = array("the V cache", cacheElements);
        rowK = array("a row of K", (long) heads * d);
        rowV = array("a row of V", (long) heads * d);
        bulkK = array("the staging rows of K", (long) heads * bulkRows * d);
        bulkV = array("the staging rows of V", (long) heads * bulkRows * d);
        q = (FloatArray) owner.buffer("Q", (long) queryHeads * d, Float.BYTES);
        out = (FloatArray) owner.buffer("the output", (long) queryHeads * d, Float.BYTES);

        TaskGraph appendRow = append(new TaskGraph("kv_append_row"), rowAt, rowK, rowV, heads, 1, d).persistOnDevice(kCache, vCache);
        TaskGraph appendRows = append(new TaskGraph("kv_append_rows").consumeFromDevice(appendRow.getTaskGraphName(), kCache, vCache),
                bulkAt, bulkK, bulkV, heads, bulkRows, d).persistOnDevice(kCache, vCache);
        TaskGraph decode = new TaskGraph("kv_decode")
                .consumeFromDevice(appendRow.getTaskGraphName(), kCache, vCache)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, position, q);
        FloatArray slopes = AlibiTasks.attentionSlopes(spec, first * group, end * group);
        int biased = AlibiTasks.biasedHeads(spec, first * group, end * group);
        AlibiTasks.KvLayout layout = AlibiTasks.KvLayout.headMajor(capacity, d);
        if (halves) {
            AlibiTasks.decodeAttention(decode, "decode", slopes, biased, spec, queryHeads, q, (HalfFloatArray) kCache, (HalfFloatArray) vCache,
                    layout, position, out, capacity);
        } else {
            AlibiTasks.decodeAttention(decode, "decode", slopes, biased, spec, queryHeads, q, (FloatArray) kCache, (FloatArray) vCache,
                    layout, position, out, capacity);
        }
        decode.transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        plan = new TornadoExecutionPlan(appendRow.snapshot(), appendRows.snapshot(), decode.snapshot()).withDevice(owner.tornadoDevice())
                .withCompilerFlags(TornadoVMBackendType.OPENCL, AlibiTasks.EXACT_OPENCL_FLAGS);
        if (profiled) {
            plan.withProfiler(ProfilerMode.SILENT);
        }
        try {
            synchronized (owner.deviceLock()) {
                // compiles the kernels and allocates the caches: no step pays TornadoVM's JIT. The append
                // graph runs first (with no row to write), for the others take the caches from it. The
                // decode reads a row never written; its output is dropped.
                rowAt.set(1, 0);
                execute(APPEND_ROW);
                execute(DECODE);
            }
        } catch (RuntimeException | Error e) {
            freePlan();
            throw e;
        }
        appendExecutions = 0;
        decodeExecutions = 0;
    }

    @Override
    public void append(int at, HeadTensor k, HeadTensor v) {
        int rows = k.rows();
        if (rows == 1) {
            stage(k, 0, 1, 1, rowK);
            stage(v, 0, 1, 1, rowV);
            rowAt.set(0, at);
            rowAt.set(1, 1);
            run(APPEND_ROW);
            return;
        }
        for (int done = 0; done < rows; done += bulkRows) {
            int count = Math.min(bulkRows, rows - done);
            stage(k, done, count, bulkRows, bulkK);
            stage(v, done, count, bulkRows, bulkV);
            bulkAt.set(0, at + done);
            bulkAt.set(1, count);
            run(APPEND_ROWS);
        }
    }

    @Override
    public void decode(int at, HeadTensor query, HeadTensor output) {
        HeadCopies.toFloats(query, first * group, end * group, 0, 1, 1, q, false);
        position.set(0, at);
        run(DECODE);
        HeadCopies.fromFloats(out, output, first * group, end * group, 1);
    }

    /** Frees the device memory. */
    @Override
    public void close() {
        closeBecause("this KV cache is closed");
        owner.forget(this);
    }

    /** Frees the device memory; later calls say {@code why}. Called by the backend when it closes. */
    void closeBecause(String why) {
        synchronized (owner.deviceLock()) {
            if (closedBecause == null) {
                closedBecause = why;
                freePlan();
            }
        }
    }

    /** Whether the device keeps halves (rather than the halves' values in floats, or floats). */
    boolean storesHalves() {
        return halves;
    }

    /** Executions of the append graphs since the cache opened. */
    synchronized long appendExecutions() {
        return appendExecutions;
    }

    /** Executions of the decode graph since the cache opened. */
    synchronized long decodeExecutions() {
        return decodeExecutions;
    }

    /** Bytes TornadoVM copied to the device in the last execution (a profiled cache only). */
    synchronized long lastBytesCopiedIn() {
        return lastBytesIn;
    }

    /** Bytes TornadoVM copied back to the host in the last execution (a profiled cache only). */
    synchronized long lastBytesCopiedOut() {
        return lastBytesOut;
    }

    /** The host arrays TornadoVM holds for the caches: never written, never sent (tests fill them to show it). */
    TornadoNativeArray[] hostCaches() {
        return new TornadoNativeArray[] {kCache, vCache};
    }

    /** The staging buffers the appends send (tests overwrite them to show a decode does not send them). */
    TornadoNativeArray[] staging() {
        return new TornadoNativeArray[] {rowK, rowV, bulkK, bulkV};
    }

    @Override
    public String toString() {
        String kept = halves ? "halves" : precision == Precision.F16 ? "halves' values in floats (the device did not compile fp16)" : "floats";
        return "TornadoKvCache[key/value heads " + first + " .. " + (end - 1) + ", " + capacity + " positions of " + kept + " on "
                + owner.device() + "]";
    }

    private TaskGraph append(TaskGraph graph, IntArray at, TornadoNativeArray stageK, TornadoNativeArray stageV, int heads, int stageRows,
                             int d) {
        graph.transferToDevice(DataTransferMode.EVERY_EXECUTION, at, stageK, stageV);
        if (halves) {
            return graph.task("append", KvCacheKernels::appendRowsHalf, (HalfFloatArray) stageK, (HalfFloatArray) stageV,
                    (HalfFloatArray) kCache, (HalfFloatArray) vCache, at, heads, stageRows, capacity, d);
        }
        return graph.task("append", KvCacheKernels::appendRows, (FloatArray) stageK, (FloatArray) stageV, (FloatArray) kCache,
                (FloatArray) vCache, at, heads, stageRows, capacity, d);
    }

    /** Rows {@code [from, from + rows)} of the caller's view into a staging buffer of {@code stride} rows per head. */
    private void stage(HeadTensor src, int from, int rows, int stride, TornadoNativeArray stage) {
        if (halves) {
            HeadCopies.toHalves(src, first, end, from, rows, stride, (HalfFloatArray) stage);
        } else {
            HeadCopies.toFloats(src, first, end, from, rows, stride, (FloatArray) stage, precision == Precision.F16);
        }
    }

    private void run(int graph) {
        synchronized (owner.deviceLock()) {
            if (closedBecause != null) {
                throw new IllegalStateException(closedBecause);
            }
            execute(graph);
        }
    }

    private void execute(int graph) {
        TornadoExecutionResult result = plan.withGraph(graph).execute();
        synchronized (this) {
            if (graph == DECODE) {
                decodeExecutions++;
            } else {
                appendExecutions++;
            }
            if (profiled) {
                lastBytesIn = result.getProfilerResult().getTotalBytesCopyIn();
                lastBytesOut = result.getProfilerResult().getTotalBytesCopyOut();
            }
        }
    }

    private TornadoNativeArray array(String what, long elements) {
        return owner.buffer(what, elements, halves ? Short.BYTES : Float.BYTES);
    }

    private void freePlan() {
        try {
            plan.close();
        } catch (TornadoExecutionPlanException e) {
            throw new IllegalStateException("TornadoVM could not free a KV cache's device memory: " + e.getMessage(), e);
        }
    }
}
