package org.alibi4j.bench;

import org.alibi4j.AlibiSlopes;
import org.alibi4j.tornado.AlibiTasks;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Setup;

import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * What the TornadoVM bias benchmarks share besides their plans ({@link TornadoPlanState}): the baseline, a
 * device-side fill of as many floats as the benchmark writes (the device's write bandwidth), run by
 * {@link #deviceFillBaseline()} in the same run as each subclass's benchmarks.
 */
public abstract class TornadoBenchmarkState extends TornadoPlanState {
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

    protected static FloatArray slopes(int heads) {
        return AlibiTasks.slopes(AlibiSlopes.forHeads(heads));
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
