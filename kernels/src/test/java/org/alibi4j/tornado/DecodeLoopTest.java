package org.alibi4j.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;

import org.alibi4j.AlibiPositionalBias;
import org.alibi4j.AlibiSlopes;
import org.junit.jupiter.api.Test;

import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.enums.TornadoVMBackendType;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * A decode loop as an engine runs it: one task graph, compiled once, executed for step after step with
 * only the position changing on the device. Every step is checked bit for bit against the core's CPU
 * decode row; a kernel that had the position compiled in as a constant would fail from the second step.
 */
class DecodeLoopTest {
    private static final int HEADS = 6;
    private static final int TOTAL_HEADS = 8;
    private static final int CONTEXT = 37; // the engine's row stride: not a multiple of any vector width

    @Test
    void oneCompiledPlanServesEveryPosition() throws Exception {
        assumeTrue(System.getenv("TORNADOVM_HOME") != null, "TORNADOVM_HOME is not set: no TornadoVM to test");
        FloatArray slopes = AlibiTasks.slopes(AlibiSlopes.forHeads(HEADS));
        FloatArray scores = new FloatArray(TOTAL_HEADS * CONTEXT);
        IntArray position = new IntArray(1);
        TaskGraph graph = new TaskGraph("decode").transferToDevice(DataTransferMode.EVERY_EXECUTION, position, scores);
        AlibiTasks.addBiasDecodeRow(graph, "alibi", slopes, scores, position, HEADS, TOTAL_HEADS, CONTEXT)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, scores);

        SplittableRandom random = new SplittableRandom(7);
        int[] steps = {0, 1, 2, 3, 16, 17, 35, 36, 5};
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(graph.snapshot())
                        .withCompilerFlags(TornadoVMBackendType.OPENCL, AlibiTasks.EXACT_OPENCL_FLAGS);
                AlibiPositionalBias cpu = AlibiPositionalBias.builder(HEADS).totalHeads(TOTAL_HEADS).backend("cpu").build()) {
            for (int p : steps) {
                float[] before = new float[TOTAL_HEADS * CONTEXT];
                for (int n = 0; n < before.length; n++) {
                    before[n] = (float) random.nextDouble(-4, 4);
                    scores.set(n, before[n]);
                }
                position.set(0, p);
                plan.execute();

                float[] expectedRows = cpuDecodeRows(cpu, before, p);
                for (int h = 0; h < TOTAL_HEADS; h++) {
                    for (int k = 0; k < CONTEXT; k++) {
                        int n = h * CONTEXT + k;
                        float expected = k <= p ? expectedRows[h * (p + 1) + k] : before[n]; // keys after p untouched
                        int step = p, head = h, key = k;
                        assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(scores.get(n)),
                                () -> "position " + step + ", head " + head + ", key " + key + ": expected " + expected
                                        + " but was " + scores.get(n));
                    }
                }
            }
        }
    }

    @Test
    void refusesBuffersThatDoNotFit() {
        assumeTrue(System.getenv("TORNADOVM_HOME") != null, "TORNADOVM_HOME is not set: no TornadoVM to test");
        FloatArray slopes = AlibiTasks.slopes(AlibiSlopes.forHeads(HEADS));
        IntArray position = new IntArray(1);
        var tooSmall = assertThrows(IllegalArgumentException.class, () -> AlibiTasks.addBiasDecodeRow(new TaskGraph("g"), "alibi",
                slopes, new FloatArray(TOTAL_HEADS * CONTEXT - 1), position, HEADS, TOTAL_HEADS, CONTEXT));
        assertTrue(tooSmall.getMessage().contains("scores needs totalHeads * rowStride = 296"), tooSmall.getMessage());
        var noPosition = assertThrows(IllegalArgumentException.class, () -> AlibiTasks.addBiasDecodeRow(new TaskGraph("g"), "alibi",
                slopes, new FloatArray(TOTAL_HEADS * CONTEXT), new IntArray(0), HEADS, TOTAL_HEADS, CONTEXT));
        assertTrue(noPosition.getMessage().startsWith("position"), noPosition.getMessage());
        var fewSlopes = assertThrows(IllegalArgumentException.class, () -> AlibiTasks.addBiasDecodeRow(new TaskGraph("g"), "alibi",
                slopes, new FloatArray(16 * CONTEXT), position, 16, 16, CONTEXT));
        assertTrue(fewSlopes.getMessage().startsWith("slopes must hold heads = 16"), fewSlopes.getMessage());
    }

    /** The core's decode row on the CPU: dense {@code [totalHeads, p + 1]} rows of the same scores. */
    private static float[] cpuDecodeRows(AlibiPositionalBias cpu, float[] before, int p) {
        float[] rows = new float[TOTAL_HEADS * (p + 1)];
        for (int h = 0; h < TOTAL_HEADS; h++) {
            System.arraycopy(before, h * CONTEXT, rows, h * (p + 1), p + 1);
        }
        cpu.addBiasDecodeRow(rows, 0, p);
        return rows;
    }
}
