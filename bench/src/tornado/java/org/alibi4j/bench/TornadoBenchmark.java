package org.alibi4j.bench;

import java.util.concurrent.TimeUnit;

import org.alibi4j.tornado.AlibiKernels;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import org.alibi4j.AlibiSlopes;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * The bias on TornadoVM's default device, as an engine runs it: task graphs built and compiled once,
 * then executed. Baseline: a device-side fill of as many floats, the device's write bandwidth.
 * Built only where TORNADOVM_HOME is set; run by {@code scripts/bench.sh}, which passes the SDK's
 * JVM flags to the forked JVMs.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TornadoBenchmark {
    @Param({"8", "32"})
    int heads;

    @Param({"512", "2048"})
    int size;

    private FloatArray out;
    private TornadoExecutionPlan resident;
    private TornadoExecutionPlan toHost;
    private TornadoExecutionPlan fill;

    @Setup(Level.Trial)
    public void setUp() {
        FloatArray slopes = FloatArray.fromArray(AlibiSlopes.forHeads(heads).toArray());
        out = new FloatArray(heads * size * size);
        resident = new TornadoExecutionPlan(new TaskGraph("alibi_resident")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, slopes)
                .task("fill_bias", AlibiKernels::fillBias, slopes, out, heads, heads, size, size, 0)
                .transferToHost(DataTransferMode.UNDER_DEMAND, out)
                .snapshot());
        toHost = new TornadoExecutionPlan(new TaskGraph("alibi_to_host")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, slopes)
                .task("fill_bias", AlibiKernels::fillBias, slopes, out, heads, heads, size, size, 0)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out)
                .snapshot());
        fill = new TornadoExecutionPlan(new TaskGraph("device_fill")
                .task("fill", TornadoBenchmark::deviceFill, out, -1f)
                .transferToHost(DataTransferMode.UNDER_DEMAND, out)
                .snapshot());
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        resident.close();
        toHost.close();
        fill.close();
    }

    /** The same number of floats written by the device: the ceiling for a bias left on it. */
    public static void deviceFill(FloatArray out, float value) {
        for (@Parallel int n = 0; n < out.getSize(); n++) {
            out.set(n, value);
        }
    }

    @Benchmark
    public TornadoExecutionResult tornadoResident() {
        return resident.execute();
    }

    @Benchmark
    public TornadoExecutionResult tornadoToHost() {
        return toHost.execute();
    }

    @Benchmark
    public TornadoExecutionResult deviceFillBaseline() {
        return fill.execute();
    }
}
