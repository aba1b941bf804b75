package org.alibi4j.bench;

import org.alibi4j.BiasForm;
import org.alibi4j.tornado.AlibiKernels;
import org.alibi4j.tornado.AlibiTasks;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Adding the bias into {@code [heads, size, size]} scores resident on the device, as an engine's graph
 * does between {@code QK^T} and softmax: the fused task ({@link AlibiTasks}) against materialising the
 * bias into a second device buffer and then adding it, with a device fill of the scores as baseline.
 */
public class TornadoFusedAddBenchmark extends TornadoBenchmarkState {
    @Param({"8", "32"})
    int heads;

    @Param({"512", "2048"})
    int size;

    @Param({"SYMMETRIC", "CAUSAL"})
    BiasForm form;

    private TornadoExecutionPlan fused;
    private TornadoExecutionPlan materializeThenAdd;

    @Override
    protected int floatsWritten() {
        return Math.multiplyExact(heads, size * size);
    }

    @Override
    protected void setUpPlans() {
        FloatArray slopes = slopes(heads);
        FloatArray scores = new FloatArray(floatsWritten());
        scores.init(0.25f);
        TaskGraph fusedGraph = new TaskGraph("fused").transferToDevice(DataTransferMode.FIRST_EXECUTION, scores);
        if (form == BiasForm.CAUSAL) {
            AlibiTasks.addBiasCausal(fusedGraph, "alibi", slopes, scores, heads, heads, size, size);
        } else {
            AlibiTasks.addBias(fusedGraph, "alibi", slopes, scores, heads, heads, size, size);
        }
        fused = plan(fusedGraph.transferToHost(DataTransferMode.UNDER_DEMAND, scores));

        FloatArray otherScores = new FloatArray(floatsWritten());
        otherScores.init(0.25f);
        FloatArray bias = new FloatArray(floatsWritten());
        int causal = form == BiasForm.CAUSAL ? 1 : 0;
        materializeThenAdd = plan(new TaskGraph("materialize_then_add")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, slopes, otherScores)
                .task("fill_bias", AlibiKernels::fillBias, slopes, bias, heads, heads, size, size, causal)
                .task("add", TornadoBenchmarkState::deviceAdd, otherScores, bias)
                .transferToHost(DataTransferMode.UNDER_DEMAND, otherScores));
    }

    @Benchmark
    public void fusedAdd() {
        fused.execute();
    }

    @Benchmark
    public void materializeThenAdd() {
        materializeThenAdd.execute();
    }
}
