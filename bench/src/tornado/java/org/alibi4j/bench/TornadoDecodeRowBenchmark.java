package org.alibi4j.bench;

import java.util.concurrent.TimeUnit;

import org.alibi4j.tornado.AlibiTasks;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;

import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * One decode step on the device: the bias of the query at position {@code keys - 1} added into
 * {@code [heads, keys]} resident score rows by {@link AlibiTasks#addBiasDecodeRow}, the position read
 * on the device. Baseline: a device fill of as many floats. At these sizes a launch's fixed cost
 * dominates, which is what an engine pays per token.
 */
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class TornadoDecodeRowBenchmark extends TornadoBenchmarkState {
    @Param({"8", "32"})
    int heads;

    @Param({"1024", "8192", "32768"})
    int keys;

    private TornadoExecutionPlan decode;

    @Override
    protected int floatsWritten() {
        return Math.multiplyExact(heads, keys);
    }

    @Override
    protected void setUpPlans() {
        FloatArray scores = new FloatArray(floatsWritten());
        IntArray position = IntArray.fromElements(keys - 1);
        TaskGraph graph = new TaskGraph("decode").transferToDevice(DataTransferMode.FIRST_EXECUTION, scores, position);
        AlibiTasks.addBiasDecodeRow(graph, "alibi", slopes(heads), scores, position, heads, heads, keys);
        decode = plan(graph.transferToHost(DataTransferMode.UNDER_DEMAND, scores));
    }

    @Benchmark
    public void tornadoDecodeRow() {
        decode.execute();
    }
}
