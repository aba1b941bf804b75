package org.alibi4j.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.alibi4j.AlibiReference;
import org.alibi4j.AlibiSlopes;
import org.alibi4j.BiasForm;
import org.alibi4j.BiasSpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.enums.TornadoVMBackendType;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * The fused add as an engine runs it: {@link AlibiTasks}' task in the engine's own graph, the plan
 * compiled with {@link AlibiTasks#EXACT_OPENCL_FLAGS}, checked bit for bit against the scores plus the
 * reference bias (two roundings, as Java does). Under TornadoVM's default fast-math flags, PoCL 6 (LLVM 16)
 * fused the multiply and the add of the first two shapes into an fma: one ulp off.
 */
class EngineGraphAddBiasTest {
    static Stream<BiasSpec> shapes() {
        AlibiSlopes ninetySix = AlibiSlopes.forHeads(96);
        return Stream.of(
                new BiasSpec(ninetySix, 96, 64, 64, BiasForm.SYMMETRIC),
                new BiasSpec(ninetySix, 96, 1, 1000, BiasForm.CAUSAL),
                new BiasSpec(AlibiSlopes.forHeads(12), 16, 7, 33, BiasForm.CAUSAL),
                new BiasSpec(AlibiSlopes.forHeads(5), 5, 40, 3, BiasForm.SYMMETRIC));
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void addsTheReferenceBiasBitForBit(BiasSpec spec) throws Exception {
        assumeTrue(System.getenv("TORNADOVM_HOME") != null, "TORNADOVM_HOME is not set: no TornadoVM to test");
        int n = (int) spec.elementCount();
        SplittableRandom random = new SplittableRandom(n);
        float[] before = new float[n];
        for (int x = 0; x < n; x++) {
            before[x] = (float) random.nextDouble(-4, 4);
        }
        FloatArray scores = FloatArray.fromArray(before);
        FloatArray slopes = AlibiTasks.slopes(spec.slopes());
        TaskGraph graph = new TaskGraph("engine").transferToDevice(DataTransferMode.EVERY_EXECUTION, scores);
        if (spec.form() == BiasForm.CAUSAL) {
            AlibiTasks.addBiasCausal(graph, "alibi", slopes, scores, spec.heads(), spec.totalHeads(), spec.i(), spec.j());
        } else {
            AlibiTasks.addBias(graph, "alibi", slopes, scores, spec.heads(), spec.totalHeads(), spec.i(), spec.j());
        }
        graph.transferToHost(DataTransferMode.EVERY_EXECUTION, scores);
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(graph.snapshot())
                .withCompilerFlags(TornadoVMBackendType.OPENCL, AlibiTasks.EXACT_OPENCL_FLAGS)) {
            plan.execute();
        }

        float[] bias = AlibiReference.tensor(spec);
        for (int x = 0; x < n; x++) {
            float expected = before[x] + bias[x];
            int element = x;
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(scores.get(x)),
                    () -> "element " + element + ": expected " + expected + " but was " + scores.get(element));
        }
    }
}
