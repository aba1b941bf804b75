package org.alibi4j.tornado;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

import org.alibi4j.AlibiBackend;
import org.alibi4j.BiasForm;
import org.alibi4j.BiasSpec;
import org.alibi4j.BiasStorage;
import org.alibi4j.internal.Arguments;

import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.enums.TornadoVMBackendType;
import uk.ac.manchester.tornado.api.exceptions.TornadoBailoutRuntimeException;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;
import uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.api.types.arrays.TornadoNativeArray;

/**
 * The TornadoVM backend: each tensor is computed by a task graph {@code alibi_bias} whose task
 * {@code fill_bias} runs {@link AlibiKernels#fillBias} on the device. Slopes are computed on the host by
 * the core's {@code AlibiSlopes} and sent once; the tensor stays on the device until the host reads it.
 * The fused add into host scores keeps a compiled plan per shape ({@link FusedAddPlans}), so a repeated
 * shape pays the copies and the launch but no compilation.
 */
public final class TornadoBackend implements AlibiBackend {
    public static final String NAME = "tornado";
    static final String HALF_UNSUPPORTED = "half-precision kernels do not compile on ";
    /** Device memory the fused add's compiled plans may keep: scores of up to 512 MiB in all. */
    static final long FUSED_ADD_PLAN_BYTES = 512L << 20;

    private final TornadoDevice device;
    private final LongAdder kernelLaunches = new LongAdder();
    private final LongAdder hostTransfers = new LongAdder();
    private final Set<DeviceBiasStorage> live = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
    private final FusedAddPlans addPlans;

    /** On TornadoVM's default device. */
    public TornadoBackend() {
        this(TornadoRuntimeProvider.getTornadoRuntime().getDefaultDevice());
    }

    public TornadoBackend(TornadoDevice device) {
        this(device, FUSED_ADD_PLAN_BYTES);
    }

    /**
     * With at most {@code addPlanBytes} of scores kept on the device by the fused add's compiled plans
     * (0: keep none, and compile for every call).
     */
    public TornadoBackend(TornadoDevice device, long addPlanBytes) {
        if (addPlanBytes < 0) {
            throw new IllegalArgumentException("addPlanBytes must be >= 0 (was " + addPlanBytes + ")");
        }
        this.device = device;
        this.addPlans = new FusedAddPlans(addPlanBytes);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String device() {
        return describe(device);
    }

    static String describe(TornadoDevice device) {
        return device.getPhysicalDevice().getDeviceName() + " (" + device.getTornadoVMBackend() + ")";
    }

    @Override
    public BiasStorage materialize(BiasSpec spec) {
        return materializeHeads(spec, 0, spec.totalHeads());
    }

    /**
     * Heads {@code [first, end)} of the tensor of {@code spec}: a dense {@code [end - first, i, j]} tensor,
     * the share of this device when several split the heads ({@link MultiDeviceTornadoBackend}).
     */
    BiasStorage materializeHeads(BiasSpec spec, int first, int end) {
        long elements = (long) (end - first) * spec.i() * spec.j();
        checkFits(end - first, spec, elements * Float.BYTES);
        FloatArray slopes = slopesOf(spec, first, end);
        FloatArray out = new FloatArray((int) elements);
        TaskGraph graph = new TaskGraph("alibi_bias")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, slopes)
                .task("fill_bias", AlibiKernels::fillBias, slopes, out, biasedHeads(spec, first, end), end - first,
                        spec.i(), spec.j(), causal(spec))
                .transferToHost(DataTransferMode.UNDER_DEMAND, out);
        TornadoExecutionPlan plan = exact(new TornadoExecutionPlan(graph.snapshot()).withDevice(device));
        TornadoExecutionResult result;
        try {
            result = plan.execute();
        } catch (RuntimeException | Error e) { // nothing half-made: free what the failed run allocated
            try {
                plan.close();
            } catch (TornadoExecutionPlanException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        kernelLaunches.increment();
        DeviceBiasStorage storage = new DeviceBiasStorage(plan, result, out);
        live.add(storage);
        return storage;
    }

    /**
     * The dense tensor of {@code spec} in half precision, computed on the device and brought to the host;
     * see {@link AlibiKernels#toHalf} for the error bound. Needs device memory for the float tensor too.
     */
    public HalfFloatArray materializeHalf(BiasSpec spec) {
        checkFits(spec.totalHeads(), spec, spec.elementCount() * Float.BYTES);
        FloatArray slopes = AlibiTasks.slopes(spec.slopes());
        FloatArray bias = new FloatArray((int) spec.elementCount()); // stays on the device
        HalfFloatArray out = new HalfFloatArray((int) spec.elementCount());
        TaskGraph graph = new TaskGraph("alibi_bias_half")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, slopes)
                .task("fill_bias", AlibiKernels::fillBias, slopes, bias, spec.heads(), spec.totalHeads(), spec.i(), spec.j(), causal(spec))
                .task("to_half", AlibiKernels::toHalf, bias, out)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        try {
            runOnce(graph);
        } catch (TornadoBailoutRuntimeException e) {
            throw new IllegalStateException(HALF_UNSUPPORTED + device() + " (an OpenCL device needs cl_khr_fp16)", e);
        }
        return out;
    }

    @Override
    public void addBias(BiasSpec spec, float[] scores, int offset) {
        Arguments.fits("scores", scores, offset, spec.elementCount());
        addBiasHeads(spec, 0, spec.totalHeads(), scores, offset);
    }

    /** Adds the bias of heads {@code [first, end)} of {@code spec} to those heads of the dense scores. */
    void addBiasHeads(BiasSpec spec, int first, int end, float[] scores, int offset) {
        int n = (end - first) * spec.i() * spec.j();
        checkFits(end - first, spec, (long) n * Float.BYTES);
        int from = offset + first * spec.i() * spec.j();
        if (spec.i() == 1) {
            addDecodeRow(spec, first, end, scores, from);
            return;
        }
        addPlans.run(new FusedAddPlans.Key(spec, first, end), () -> newAddPlan(spec, first, end, n), add -> {
            MemorySegment.copy(scores, from, add.scores().getSegment(), ValueLayout.JAVA_FLOAT, 0, n);
            execute(add);
            MemorySegment.copy(add.scores().getSegment(), ValueLayout.JAVA_FLOAT, 0, scores, from, n);
        });
    }

    /**
     * One query over {@code j} keys (a decode step: causal and symmetric agree), heads {@code [first, end)}
     * at {@code scores[from]}. Each step is a new {@code j}; so that steps do not each compile a plan, the
     * rows go to the device {@link #rowStride} floats apart and the decode-row kernel reads the step's
     * position on the device: one plan serves every {@code j} up to the stride.
     */
    private void addDecodeRow(BiasSpec spec, int first, int end, float[] scores, int from) {
        int heads = end - first;
        int j = spec.j();
        int stride = rowStride(heads, j);
        BiasSpec planShape = new BiasSpec(spec.slopes(), spec.totalHeads(), 1, stride, BiasForm.SYMMETRIC);
        addPlans.run(new FusedAddPlans.Key(planShape, first, end), () -> newDecodeRowPlan(spec, first, end, stride), add -> {
            MemorySegment rows = add.scores().getSegment();
            for (int h = 0; h < heads; h++) {
                MemorySegment.copy(scores, from + h * j, rows, ValueLayout.JAVA_FLOAT, (long) h * stride * Float.BYTES, j);
            }
            add.position().set(0, j - 1);
            execute(add);
            for (int h = 0; h < heads; h++) {
                MemorySegment.copy(rows, ValueLayout.JAVA_FLOAT, (long) h * stride * Float.BYTES, scores, from + h * j, j);
            }
        });
    }

    /** Runs a fused add's plan: one launch, the scores copied in and back. */
    private void execute(FusedAddPlans.Plan add) {
        add.plan().execute();
        kernelLaunches.increment();
        hostTransfers.increment();
    }

    /**
     * {@code j} rounded up to a power of two, so that a growing decode builds a plan only when it doubles;
     * {@code j} itself where the rounded rows would not fit in one device buffer.
     */
    private int rowStride(int heads, int j) {
        long stride = Long.highestOneBit(j) == j ? j : Long.highestOneBit(j) << 1;
        long bytes = heads * stride * Float.BYTES;
        boolean fits = heads * stride <= BiasSpec.MAX_ELEMENTS && bytes + TornadoNativeArray.ARRAY_HEADER <= device.getMaxAllocMemory();
        return fits ? (int) stride : j;
    }

    /** A plan that adds a decode step's bias to {@code end - first} rows {@code stride} floats apart. */
    private FusedAddPlans.Plan newDecodeRowPlan(BiasSpec spec, int first, int end, int stride) {
        FloatArray slopes = slopesOf(spec, first, end);
        FloatArray rows = new FloatArray((end - first) * stride);
        IntArray position = new IntArray(1);
        TaskGraph graph = new TaskGraph("alibi_add_row")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, slopes)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, position, rows)
                .task("add_bias_row", AlibiKernels::addBiasDecodeRow, slopes, rows, position, biasedHeads(spec, first, end),
                        end - first, stride)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, rows);
        return new FusedAddPlans.Plan(exact(new TornadoExecutionPlan(graph.snapshot()).withDevice(device)), rows, position);
    }

    /** A plan that copies {@code n} scores in, adds the bias of heads {@code [first, end)} and copies them back. */
    private FusedAddPlans.Plan newAddPlan(BiasSpec spec, int first, int end, int n) {
        FloatArray slopes = slopesOf(spec, first, end);
        FloatArray onDevice = new FloatArray(n);
        TaskGraph graph = new TaskGraph("alibi_add")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, slopes)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, onDevice)
                .task("add_bias", AlibiKernels::addBias, slopes, onDevice, biasedHeads(spec, first, end), end - first,
                        spec.i(), spec.j(), causal(spec))
                .transferToHost(DataTransferMode.EVERY_EXECUTION, onDevice);
        return new FusedAddPlans.Plan(exact(new TornadoExecutionPlan(graph.snapshot()).withDevice(device)), onDevice, null);
    }

    /** How many of heads {@code [first, end)} have a slope: biased heads come first. */
    private static int biasedHeads(BiasSpec spec, int first, int end) {
        return Math.max(0, Math.min(end, spec.heads()) - first);
    }

    /** The slopes of heads {@code [first, end)}; one unused entry where none of them has a slope. */
    private static FloatArray slopesOf(BiasSpec spec, int first, int end) {
        float[] all = spec.slopes().toArray();
        int biased = biasedHeads(spec, first, end);
        return biased == 0 ? FloatArray.fromArray(new float[] {0f})
                : FloatArray.fromArray(Arrays.copyOfRange(all, first, first + biased));
    }

    /** Runs a graph that copies its result back once, then frees its device memory. */
    private void runOnce(TaskGraph graph) {
        try (TornadoExecutionPlan plan = exact(new TornadoExecutionPlan(graph.snapshot()).withDevice(device))) {
            plan.execute();
            kernelLaunches.increment();
            hostTransfers.increment();
        } catch (TornadoExecutionPlanException e) {
            throw new IllegalStateException("TornadoVM could not free a plan's device memory: " + e.getMessage(), e);
        }
    }

    /** The plan compiled with {@link AlibiTasks#EXACT_OPENCL_FLAGS}: bit-identical to the CPU backend. */
    private static TornadoExecutionPlan exact(TornadoExecutionPlan plan) {
        return plan.withCompilerFlags(TornadoVMBackendType.OPENCL, AlibiTasks.EXACT_OPENCL_FLAGS);
    }

    /** Tensors whose device memory is still held. */
    public int residentTensors() {
        return live.size();
    }

    /** Task-graph executions so far: one per computed tensor or fused add. */
    public long kernelLaunches() {
        return kernelLaunches.sum();
    }

    /** Device-to-host copies so far: one per tensor the host read, one per fused add. */
    public long hostTransfers() {
        return hostTransfers.sum();
    }

    /** Fused-add plans built so far, each compiling its kernel; a repeated shape reuses its plan. */
    public long fusedAddPlanBuilds() {
        return addPlans.builds();
    }

    /** Fused-add plans kept with their device buffers. */
    public int fusedAddPlansKept() {
        return addPlans.size();
    }

    /**
     * Frees the device memory of every tensor this backend made (their host copies stay readable) and
     * of the fused add's plans.
     */
    @Override
    public void close() {
        addPlans.clear();
        DeviceBiasStorage[] storages;
        synchronized (live) {
            storages = live.toArray(DeviceBiasStorage[]::new);
        }
        for (DeviceBiasStorage storage : storages) {
            storage.release();
        }
    }

    /** A FloatArray's device buffer holds a header before the floats: a tensor of exactly the limit does not fit. */
    private void checkFits(int heads, BiasSpec spec, long bytes) {
        long limit = device.getMaxAllocMemory();
        if (bytes + TornadoNativeArray.ARRAY_HEADER > limit) {
            throw new IllegalArgumentException("a [" + heads + ", " + spec.i() + ", " + spec.j() + "] tensor needs "
                    + bytes + " bytes and TornadoVM's " + TornadoNativeArray.ARRAY_HEADER + "-byte array header; the largest buffer "
                    + device() + " allocates is " + limit + " bytes");
        }
    }

    private static int causal(BiasSpec spec) {
        return spec.form() == BiasForm.CAUSAL ? 1 : 0;
    }

    /** A tensor resident on the device; brought to the host on the first host read. */
    private final class DeviceBiasStorage implements BiasStorage {
        private final TornadoExecutionPlan plan;
        private final TornadoExecutionResult result;
        private final FloatArray out;
        private boolean onHost;
        private boolean released;

        DeviceBiasStorage(TornadoExecutionPlan plan, TornadoExecutionResult result, FloatArray out) {
            this.plan = plan;
            this.result = result;
            this.out = out;
        }

        @Override
        public synchronized MemorySegment hostSegment() {
            if (!onHost) {
                result.transferToHost(out);
                hostTransfers.increment();
                onHost = true;
            }
            return out.getSegment().asReadOnly();
        }

        /** Keeps a host copy for the views still out there, then frees the device buffers. */
        @Override
        public synchronized void release() {
            if (released) {
                return;
            }
            hostSegment();
            released = true;
            live.remove(this);
            try {
                plan.freeDeviceMemory();
                plan.close();
            } catch (TornadoExecutionPlanException e) {
                throw new IllegalStateException("TornadoVM could not free the bias buffers: " + e.getMessage(), e);
            }
        }
    }
}
