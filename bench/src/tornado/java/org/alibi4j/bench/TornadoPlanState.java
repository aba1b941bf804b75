package org.alibi4j.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.alibi4j.tornado.AlibiTasks;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.enums.TornadoVMBackendType;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;

/**
 * What every TornadoVM benchmark shares: plans built, compiled and run once in set-up (so a measurement
 * times executions, as an engine runs them, not TornadoVM's JIT), freed at tear-down; and the JMH
 * settings (a subclass may change the time unit).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public abstract class TornadoPlanState {
    private final List<TornadoExecutionPlan> plans = new ArrayList<>();

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

    @TearDown(Level.Trial)
    public void tearDownDevice() throws TornadoExecutionPlanException {
        for (TornadoExecutionPlan plan : plans) {
            plan.close();
        }
    }
}
