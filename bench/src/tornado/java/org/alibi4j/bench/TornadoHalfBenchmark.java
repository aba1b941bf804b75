package org.alibi4j.bench;

import org.alibi4j.tornado.AlibiKernels;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;

/**
 * The half-precision bias ({@code fill_bias} then {@code to_half}, as {@code materializeHalf} runs it)
 * against the float bias, both resident on the device, with a device fill of the floats as baseline.
 * Needs a device with fp16: on one without (Debian's PoCL 3.1; PoCL 6.0 with LLVM 16 has it), set-up
 * fails saying so and the suite reports the benchmark as not run.
 */
public class TornadoHalfBenchmark extends TornadoBenchmarkState {
    @Param({"8", "32"})
    int heads;

    @Param({"512", "2048"})
    int size;

    private TornadoExecutionPlan asFloat;
    private TornadoExecutionPlan asHalf;

    @Override
    protected int floatsWritten() {
        return Math.multiplyExact(heads, size * size);
    }

    @Override
    protected void setUpPlans() {
        FloatArray slopes = slopes(heads);
        FloatArray bias = new FloatArray(floatsWritten());
        HalfFloatArray half = new HalfFloatArray(floatsWritten());
        asFloat = plan(new TaskGraph("alibi_float")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, slopes)
                .task("fill_bias", AlibiKernels::fillBias, slopes, bias, heads, heads, size, size, 0)
                .transferToHost(DataTransferMode.UNDER_DEMAND, bias));
        try {
            asHalf = plan(new TaskGraph("alibi_half")
                    .transferToDevice(DataTransferMode.FIRST_EXECUTION, slopes)
                    .task("fill_bias", AlibiKernels::fillBias, slopes, bias, heads, heads, size, size, 0)
                    .task("to_half", AlibiKernels::toHalf, bias, half)
                    .transferToHost(DataTransferMode.UNDER_DEMAND, half));
        } catch (RuntimeException e) {
            throw new IllegalStateException("half precision does not run on this device (an OpenCL device needs cl_khr_fp16)", e);
        }
    }

    @Benchmark
    public void tornadoFloat() {
        asFloat.execute();
    }

    @Benchmark
    public void tornadoHalf() {
        asHalf.execute();
    }
}
