package org.alibi4j.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.alibi4j.AlibiSlopes;
import org.alibi4j.tornado.AlibiTasks;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.enums.TornadoVMBackendType;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * What the TornadoVM benchmarks share: plans built, compiled and run once in set-up (so a measurement
 * times executions, as an engine runs them, not TornadoVM's JIT), freed at tear-down; and the
 * baseline, a device-side fill of as many floats as the benchmark writes: the device's write bandwidth,
 * run by {@link #deviceFillBaseline()} in the same fork as each subclass's benchmarks; and the JMH
 * settings (a subclass may change the time unit).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public abstract class TornadoBenchmarkState {
    private final List<TornadoExecutionPlan> plans = new ArrayList<>();
    private TornadoExecutionPlan fillBaseline;

    /** Floats the benchmark writes: the size of the baseline's fill. */
    protected abstract int floatsWritten();

    /** Builds the benchmark's plans with {@link #plan}. */
    protected abstract void setUpPlans();

    @Setup(Level.Trial)
    public void setUpDevice() {
        FloatArray filled = new FloatArray(floatsWritten());
        fillBaseline = plan(new TaskGraph("device_fill")
                .task("fill", TornadoBenchmarkState::deviceFill, filled, -1f)
                .transferToHost(DataTransferMode.UNDER_DEMAND, filled));
        setUpPlans();
    }

    /**
     * A plan for {@code graph}, executed once here so that it is compiled and its buffers allocated;
     * compiled as the library compiles its own plans, with {@link AlibiTasks#EXACT_OPENCL_FLAGS}.
     */
    protected final TornadoExecutionPlan plan(TaskGraph graph) {
        return plan(graph, null);
    }

    /** {@link #plan(TaskGraph)} with the launches of {@code grid} (for {@code KernelContext} kernels), if not null. */
    protected final TornadoExecutionPlan plan(TaskGraph graph, GridScheduler grid) {
        TornadoExecutionPlan plan = new TornadoExecutionPlan(graph.snapshot())
                .withCompilerFlags(TornadoVMBackendType.OPENCL, AlibiTasks.EXACT_OPENCL_FLAGS);
        if (grid != null && !grid.keySet().isEmpty()) {
            plan.withGridScheduler(grid);
        }
        plans.add(plan);
        plan.execute();
        return plan;
    }

    protected static FloatArray slopes(int heads) {
        return AlibiTasks.slopes(AlibiSlopes.forHeads(heads));
    }

    @TearDown(Level.Trial)
    public void tearDownDevice() throws TornadoExecutionPlanException {
        for (TornadoExecutionPlan plan : plans) {
            plan.close();
        }
    }

    /** The baseline: every float of {@code out} written with {@code value}, on the device. */
    public static void deviceFill(FloatArray out, float value) {
        for (@Parallel int n = 0; n < out.getSize(); n++) {
            out.set(n, value);
        }
    }

    /** {@code scores += bias}, element by element: the second half of materialise-then-add. */
    public static void deviceAdd(FloatArray scores, FloatArray bias) {
        for (@Parallel int n = 0; n < scores.getSize(); n++) {
            scores.set(n, scores.get(n) + bias.get(n));
        }
    }

    @Benchmark
    public void deviceFillBaseline() {
        fillBaseline.execute();
    }
}
