package org.alibi4j.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.alibi4j.AlibiReference;
import org.alibi4j.AlibiSlopes;
import org.alibi4j.BiasForm;
import org.alibi4j.BiasSpec;
import org.junit.jupiter.api.Test;

import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.enums.TornadoVMBackendType;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * The bias computed in one task graph and used by an engine's graph without passing through the host.
 *
 * <p>Public, as are its kernels: on the module path TornadoVM makes a kernel's method accessible by
 * reflection, which needs a public method of a public class in an exported package (see module-info.java).
 */
public class ResidentBiasTest {

    /** An engine's own task: adds a materialised bias to its scores. */
    public static void addMaterialised(FloatArray bias, FloatArray scores) {
        for (@Parallel int n = 0; n < scores.getSize(); n++) {
            scores.set(n, scores.get(n) + bias.get(n));
        }
    }

    @Test
    void anEnginesGraphConsumesTheBiasFromTheDevice() throws Exception {
        assumeTrue(System.getenv("TORNADOVM_HOME") != null, "TORNADOVM_HOME is not set: no TornadoVM to test");
        BiasSpec spec = new BiasSpec(AlibiSlopes.forHeads(6), 8, 9, 21, BiasForm.CAUSAL);
        AlibiTasks.ResidentBias resident = AlibiTasks.residentBias("alibi_bias", spec.slopes(), 8, 9, 21, BiasForm.CAUSAL);
        resident.bias().init(Float.NaN); // stays NaN on the host unless the bias comes back
        int n = (int) spec.elementCount();
        FloatArray scores = new FloatArray(n);
        TaskGraph engine = new TaskGraph("engine")
                .consumeFromDevice(resident.graph().getTaskGraphName(), resident.bias())
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, scores)
                .task("add", ResidentBiasTest::addMaterialised, resident.bias(), scores)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, scores);

        float[] expected = AlibiReference.tensor(spec);
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(resident.graph().snapshot(), engine.snapshot())
                .withCompilerFlags(TornadoVMBackendType.OPENCL, AlibiTasks.EXACT_OPENCL_FLAGS)) {
            plan.withGraph(0).execute(); // the bias, once
            for (int step = 1; step <= 2; step++) { // the engine, twice, on the resident bias
                scores.init(step);
                plan.withGraph(1).execute();
                for (int x = 0; x < n; x++) {
                    assertEquals(Float.floatToRawIntBits(step + expected[x]), Float.floatToRawIntBits(scores.get(x)), "element " + x);
                }
            }
        }
        assertTrue(Float.isNaN(resident.bias().get(0)) && Float.isNaN(resident.bias().get(n - 1)),
                "the bias never came to the host");
    }
}
