package org.alibi4j.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;

import org.alibi4j.AlibiReference;
import org.alibi4j.AlibiSlopes;
import org.alibi4j.BiasForm;
import org.alibi4j.BiasSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider;

/** The fused add into host scores compiles once per shape and keeps its device buffers within a budget. */
class FusedAddPlansTest {
    private static final AlibiSlopes SLOPES = AlibiSlopes.forHeads(6);
    private static final BiasSpec SMALL = new BiasSpec(SLOPES, 8, 16, 32, BiasForm.CAUSAL); // 16 KiB of scores
    private static final BiasSpec OTHER = new BiasSpec(SLOPES, 8, 16, 33, BiasForm.CAUSAL);
    private static final BiasSpec THIRD = new BiasSpec(SLOPES, 8, 16, 32, BiasForm.SYMMETRIC);

    @BeforeAll
    static void needsTornadoVM() {
        assumeTrue(System.getenv("TORNADOVM_HOME") != null, "TORNADOVM_HOME is not set: no TornadoVM to test");
    }

    @Test
    void aRepeatedShapeReusesItsCompiledPlan() {
        try (TornadoBackend tornado = (TornadoBackend) new TornadoBackendProvider().open()) {
            addAndCheck(tornado, SMALL, 1);
            addAndCheck(tornado, SMALL, 2); // new scores, same plan
            assertEquals(1, tornado.fusedAddPlanBuilds());
            addAndCheck(tornado, OTHER, 3);
            assertEquals(2, tornado.fusedAddPlanBuilds());
            assertEquals(2, tornado.fusedAddPlansKept());
            assertEquals(3, tornado.kernelLaunches(), "one launch per add");

            tornado.close();
            assertEquals(0, tornado.fusedAddPlansKept(), "close frees the plans' device buffers");
        }
    }

    @Test
    void theLeastRecentlyUsedPlanMakesRoomAndOversizedShapesAreNotKept() {
        long twoPlans = 2 * OTHER.elementCount() * Float.BYTES;
        try (TornadoBackend tornado = new TornadoBackend(TornadoRuntimeProvider.getTornadoRuntime().getDefaultDevice(), twoPlans)) {
            addAndCheck(tornado, SMALL, 4);
            addAndCheck(tornado, OTHER, 5);
            addAndCheck(tornado, SMALL, 6); // SMALL is now the most recently used
            addAndCheck(tornado, THIRD, 7); // no room for three: OTHER goes
            assertEquals(3, tornado.fusedAddPlanBuilds());
            assertEquals(2, tornado.fusedAddPlansKept());
            addAndCheck(tornado, SMALL, 8);
            assertEquals(3, tornado.fusedAddPlanBuilds(), "SMALL was kept");
            addAndCheck(tornado, OTHER, 9);
            assertEquals(4, tornado.fusedAddPlanBuilds(), "OTHER was freed and is built again");

            BiasSpec large = new BiasSpec(SLOPES, 8, 64, 64, BiasForm.SYMMETRIC); // more than the budget alone
            addAndCheck(tornado, large, 10);
            addAndCheck(tornado, large, 11);
            assertEquals(6, tornado.fusedAddPlanBuilds(), "an oversized shape is compiled for each call");
            assertEquals(2, tornado.fusedAddPlansKept());
        }
    }

    @Test
    void decodeStepsShareOnePlanUntilTheRowDoubles() {
        try (TornadoBackend tornado = (TornadoBackend) new TornadoBackendProvider().open()) {
            for (int p = 0; p <= 40; p++) {
                addAndCheck(tornado, new BiasSpec(SLOPES, 8, 1, p + 1, BiasForm.SYMMETRIC), 100 + p);
            }
            assertEquals(7, tornado.fusedAddPlanBuilds(), "rows of 1, 2, 4, 8, 16, 32 and 64 floats");
            addAndCheck(tornado, new BiasSpec(SLOPES, 8, 1, 37, BiasForm.CAUSAL), 200); // one query: causal is symmetric
            assertEquals(7, tornado.fusedAddPlanBuilds());
            assertEquals(42, tornado.kernelLaunches());
        }
    }

    /** Adds the bias of {@code spec} to random scores (a margin either side), checked bit for bit. */
    private static void addAndCheck(TornadoBackend tornado, BiasSpec spec, long seed) {
        int n = (int) spec.elementCount();
        SplittableRandom random = new SplittableRandom(seed);
        float[] scores = new float[n + 2];
        for (int x = 0; x < scores.length; x++) {
            scores[x] = (float) random.nextDouble(-4, 4);
        }
        float[] before = scores.clone();
        tornado.addBias(spec, scores, 1);

        float[] bias = AlibiReference.tensor(spec);
        assertEquals(Float.floatToRawIntBits(before[0]), Float.floatToRawIntBits(scores[0]), "the margin before is untouched");
        assertEquals(Float.floatToRawIntBits(before[n + 1]), Float.floatToRawIntBits(scores[n + 1]), "the margin after is untouched");
        for (int x = 0; x < n; x++) {
            float expected = before[x + 1] + bias[x];
            int element = x;
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(scores[x + 1]),
                    () -> spec + ", element " + element + ": expected " + expected + " but was " + scores[element + 1]);
        }
    }
}
