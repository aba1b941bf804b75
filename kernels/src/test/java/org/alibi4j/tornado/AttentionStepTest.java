package org.alibi4j.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;

import org.alibi4j.AlibiPositionalBias;
import org.alibi4j.AlibiSlopes;
import org.junit.jupiter.api.Test;

import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * A multi-head attention step in one task graph, softmax(QK^T / sqrt(d) + ALiBi) V, causal, against
 * the same step on the CPU with the core's fused add.
 */
class AttentionStepTest {
    private static final int HEADS = 6;
    private static final int TOTAL_HEADS = 8;
    private static final int I = 5;
    private static final int J = 37;
    private static final int D = 16;
    /** exp and the summation order differ between the device and Java: outputs are in (-3, 3). */
    private static final float TOLERANCE = 1e-5f;

    @Test
    void matchesTheCpuReference() throws Exception {
        assumeTrue(System.getenv("TORNADOVM_HOME") != null, "TORNADOVM_HOME is not set: no TornadoVM to test");
        SplittableRandom random = new SplittableRandom(42);
        float[] q = gaussian(random, TOTAL_HEADS * I * D);
        float[] k = gaussian(random, TOTAL_HEADS * J * D);
        float[] v = gaussian(random, TOTAL_HEADS * J * D);

        FloatArray dq = FloatArray.fromArray(q);
        FloatArray dk = FloatArray.fromArray(k);
        FloatArray dv = FloatArray.fromArray(v);
        FloatArray scores = new FloatArray(TOTAL_HEADS * I * J);
        FloatArray out = new FloatArray(TOTAL_HEADS * I * D);
        FloatArray slopes = AlibiTasks.slopes(AlibiSlopes.forHeads(HEADS));
        TaskGraph graph = new TaskGraph("attention")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, dq, dk, dv)
                .task("scores", AttentionStepTest::scores, dq, dk, scores);
        AlibiTasks.addBiasCausal(graph, "alibi", slopes, scores, HEADS, TOTAL_HEADS, I, J)
                .task("softmax", AttentionStepTest::softmax, scores)
                .task("weighted", AttentionStepTest::weighted, scores, dv, out)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        ImmutableTaskGraph snapshot = graph.snapshot();
        float[] device;
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(snapshot)) {
            plan.execute();
            device = out.toHeapArray();
        }

        float[] expected = cpuAttention(q, k, v);
        float worst = 0;
        for (int n = 0; n < expected.length; n++) {
            worst = Math.max(worst, Math.abs(expected[n] - device[n]));
        }
        assertTrue(worst <= TOLERANCE, "largest difference " + worst);
        assertEquals(expected.length, device.length);
    }

    private static float[] cpuAttention(float[] q, float[] k, float[] v) {
        float[] s = new float[TOTAL_HEADS * I * J];
        FloatArray fq = FloatArray.fromArray(q);
        FloatArray fk = FloatArray.fromArray(k);
        FloatArray fs = new FloatArray(s.length);
        scores(fq, fk, fs); // the kernels are plain Java: the same code on the CPU
        s = fs.toHeapArray();
        try (var alibi = AlibiPositionalBias.builder(HEADS).totalHeads(TOTAL_HEADS).backend("cpu").build()) {
            alibi.addBiasCausal(s, 0, I, J);
        }
        FloatArray biased = FloatArray.fromArray(s);
        softmax(biased);
        FloatArray out = new FloatArray(TOTAL_HEADS * I * D);
        weighted(biased, FloatArray.fromArray(v), out);
        return out.toHeapArray();
    }

    /** scores[h][q][k] = Q[h][q] . K[h][k] / sqrt(D); keys on dimension 0. */
    static void scores(FloatArray q, FloatArray k, FloatArray scores) {
        for (@Parallel int key = 0; key < J; key++) {
            for (@Parallel int row = 0; row < TOTAL_HEADS * I; row++) {
                int h = row / I;
                float dot = 0;
                for (int d = 0; d < D; d++) {
                    dot += q.get(row * D + d) * k.get((h * J + key) * D + d);
                }
                scores.set(row * J + key, dot / (float) Math.sqrt(D));
            }
        }
    }

    /** Each row in place: exp(x - max) / sum. Masked keys (-inf) get 0. */
    static void softmax(FloatArray scores) {
        for (@Parallel int row = 0; row < TOTAL_HEADS * I; row++) {
            float max = Float.NEGATIVE_INFINITY;
            for (int key = 0; key < J; key++) {
                max = Math.max(max, scores.get(row * J + key));
            }
            float sum = 0;
            for (int key = 0; key < J; key++) {
                float e = (float) Math.exp(scores.get(row * J + key) - max);
                scores.set(row * J + key, e);
                sum += e;
            }
            for (int key = 0; key < J; key++) {
                scores.set(row * J + key, scores.get(row * J + key) / sum);
            }
        }
    }

    /** out[h][q][d] = sum over keys of p[h][q][k] * V[h][k][d]. */
    static void weighted(FloatArray p, FloatArray v, FloatArray out) {
        for (@Parallel int d = 0; d < D; d++) {
            for (@Parallel int row = 0; row < TOTAL_HEADS * I; row++) {
                int h = row / I;
                float sum = 0;
                for (int key = 0; key < J; key++) {
                    sum += p.get(row * J + key) * v.get((h * J + key) * D + d);
                }
                out.set(row * D + d, sum);
            }
        }
    }

    private static float[] gaussian(SplittableRandom random, int n) {
        float[] a = new float[n];
        for (int x = 0; x < n; x++) {
            a[x] = (float) random.nextGaussian();
        }
        return a;
    }
}
