package org.alibi4j.bench;

import org.alibi4j.tornado.AlibiKernels;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * The {@code [heads, size, size]} bias on TornadoVM's default device: left resident on the device
 * (what an engine that consumes it there pays), and brought to the host every time. Built only where
 * TORNADOVM_HOME is set; {@code scripts/bench.sh} runs it with the SDK's JVM flags.
 */
public class TornadoMaterializeBenchmark extends TornadoBenchmarkState {
    @Param({"8", "32"})
    int heads;

    /** 32 x 8192 x 8192 is 2^31 floats, past a FloatArray's int index: the suite runs 8192 with 8 heads only. */
    @Param({"128", "512", "1024", "2048", "4096"})
    int size;

    private TornadoExecutionPlan resident;
    private TornadoExecutionPlan toHost;

    @Override
    protected int floatsWritten() {
        return Math.multiplyExact(heads, size * size);
    }

    @Override
    protected void setUpPlans() {
        FloatArray slopes = slopes(heads);
        FloatArray out = new FloatArray(floatsWritten());
        resident = plan(new TaskGraph("alibi_resident")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, slopes)
                .task("fill_bias", AlibiKernels::fillBias, slopes, out, heads, heads, size, size, 0)
                .transferToHost(DataTransferMode.UNDER_DEMAND, out));
        toHost = plan(new TaskGraph("alibi_to_host")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, slopes)
                .task("fill_bias", AlibiKernels::fillBias, slopes, out, heads, heads, size, size, 0)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out));
    }

    @Benchmark
    public void tornadoResident() {
        resident.execute();
    }

    @Benchmark
    public void tornadoToHost() {
        toHost.execute();
    }
}
