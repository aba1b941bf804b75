package org.alibi4j.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import static org.alibi4j.attention.AttentionAssertions.assertWithinBound;

import java.util.SplittableRandom;

import org.alibi4j.AlibiPositionalBias;
import org.alibi4j.AlibiSlopes;
import org.alibi4j.BiasForm;
import org.alibi4j.attention.AttentionAssertions;
import org.alibi4j.attention.AttentionBackend;
import org.alibi4j.attention.AttentionBackends;
import org.alibi4j.attention.AttentionReference;
import org.alibi4j.attention.AttentionSpec;
import org.alibi4j.attention.HeadTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.enums.TornadoVMBackendType;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * A multi-head attention step in one task graph, softmax(QK^T / sqrt(d) + ALiBi) V, causal, against
 * the same step on the CPU with the core's fused add; then the fused attention tasks of {@link AlibiTasks}
 * in an engine's graph: a prefill, and a decode loop whose KV cache stays on the device, each step
 * through the same compiled plan, against the CPU attention backend.
 *
 * <p>Public, as are its kernels: on the module path TornadoVM makes a kernel's method accessible by
 * reflection, which needs a public method of a public class in an exported package (see module-info.java).
 */
public class AttentionStepTest {
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

    /** The fused prefill in an engine's graph, per work-item ({@code prefillAttention}) and tiled ({@code prefillAttentionTiled}). */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void fusedPrefillTaskInAnEngineGraphMatchesTheCpuBackend(boolean tiled) throws Exception {
        assumeTrue(System.getenv("TORNADOVM_HOME") != null, "TORNADOVM_HOME is not set: no TornadoVM to test");
        AttentionSpec spec = new AttentionSpec(AlibiSlopes.forHeads(HEADS), TOTAL_HEADS, 4, D, AttentionSpec.defaultScale(D), BiasForm.CAUSAL);
        float[] q = AttentionAssertions.gaussian(TOTAL_HEADS * I * D, 1, 1);
        float[] k = AttentionAssertions.gaussian(4 * J * D, 1, 2);
        float[] v = AttentionAssertions.gaussian(4 * J * D, 1, 3);
        FloatArray dq = FloatArray.fromArray(q);
        FloatArray dk = FloatArray.fromArray(k);
        FloatArray dv = FloatArray.fromArray(v);
        FloatArray out = new FloatArray(TOTAL_HEADS * I * D);
        TaskGraph graph = new TaskGraph("engine").transferToDevice(DataTransferMode.FIRST_EXECUTION, dq, dk, dv);
        GridScheduler grid = new GridScheduler();
        if (tiled) {
            AlibiTasks.prefillAttentionTiled(graph, "attention", spec, dq, dk, dv, AlibiTasks.KvLayout.headMajor(J, D), out, I, J, grid);
        } else {
            AlibiTasks.prefillAttention(graph, "attention", spec, dq, dk, dv, AlibiTasks.KvLayout.headMajor(J, D), out, I, J);
        }
        graph.transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(graph.snapshot())
                .withCompilerFlags(TornadoVMBackendType.OPENCL, AlibiTasks.EXACT_OPENCL_FLAGS)) {
            if (tiled) {
                plan.withGridScheduler(grid);
            }
            plan.execute();
        }
        HeadTensor qt = HeadTensor.of(q, TOTAL_HEADS, I, D);
        HeadTensor kt = HeadTensor.of(k, 4, J, D);
        HeadTensor vt = HeadTensor.of(v, 4, J, D);
        float[] cpu = new float[q.length];
        try (AttentionBackend backend = AttentionBackends.open("cpu")) {
            backend.prefill(spec, qt, kt, vt, HeadTensor.of(cpu, TOTAL_HEADS, I, D));
        }
        assertWithinBound("device vs cpu", toDouble(cpu), twice(AttentionReference.bound(spec, qt, kt, vt)), out.toHeapArray(), I, D);
    }

    /**
     * An engine's decode loop: the caches (position-major, llama3.java's layout) live on the device; each
     * step sends the position, the query and the step's new K/V row, a task of the engine appends that row
     * to the caches on the device, and the fused decode attention reads the position on the device. One
     * compiled plan runs every step; each is checked against the CPU attention backend (both within the
     * reference's bound, so within twice it of each other) and against the reference itself.
     *
     * <p>The caches start empty: TornadoVM 5.2 did not copy a {@code FIRST_EXECUTION} array in when the
     * graph's first task to touch it only writes it (seen on PoCL: the appended rows landed in an
     * uninitialised buffer), so an engine fills its caches on the device, as its prefill does.
     */
    @Test
    void decodeLoopWithADeviceResidentCacheRunsThroughOnePlan() throws Exception {
        assumeTrue(System.getenv("TORNADOVM_HOME") != null, "TORNADOVM_HOME is not set: no TornadoVM to test");
        int kvHeads = 2;
        int capacity = 600; // two decode chunks: the merge task combines two partials (one empty at step 0)
        int steps = 12;
        int width = kvHeads * D;
        AttentionSpec spec = new AttentionSpec(AlibiSlopes.forHeads(HEADS), TOTAL_HEADS, kvHeads, D, AttentionSpec.defaultScale(D),
                BiasForm.CAUSAL);
        float[] kHost = new float[capacity * width]; // the host's mirror of the caches, for the CPU
        float[] vHost = new float[capacity * width];
        FloatArray kCache = new FloatArray(capacity * width);
        FloatArray vCache = new FloatArray(capacity * width);
        FloatArray q = new FloatArray(TOTAL_HEADS * D);
        FloatArray newK = new FloatArray(width);
        FloatArray newV = new FloatArray(width);
        FloatArray out = new FloatArray(TOTAL_HEADS * D);
        IntArray position = new IntArray(1);
        TaskGraph graph = new TaskGraph("decode_step")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, position, q, newK, newV)
                .task("append_kv", AttentionStepTest::appendKv, newK, newV, kCache, vCache, position, width);
        AlibiTasks.decodeAttention(graph, "attention", spec, q, kCache, vCache, AlibiTasks.KvLayout.positionMajor(kvHeads, D), position,
                        out, capacity)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(graph.snapshot())
                        .withCompilerFlags(TornadoVMBackendType.OPENCL, AlibiTasks.EXACT_OPENCL_FLAGS);
                AttentionBackend cpu = AttentionBackends.open("cpu")) {
            for (int p = 0; p < steps; p++) {
                float[] query = AttentionAssertions.gaussian(TOTAL_HEADS * D, 1, 100 + p);
                float[] kRow = AttentionAssertions.gaussian(width, 1, 200 + p);
                float[] vRow = AttentionAssertions.gaussian(width, 1, 300 + p);
                System.arraycopy(kRow, 0, kHost, p * width, width);
                System.arraycopy(vRow, 0, vHost, p * width, width);
                for (int n = 0; n < query.length; n++) {
                    q.set(n, query[n]);
                }
                for (int n = 0; n < width; n++) {
                    newK.set(n, kRow[n]);
                    newV.set(n, vRow[n]);
                }
                position.set(0, p);
                plan.execute();

                HeadTensor qt = HeadTensor.of(query, TOTAL_HEADS, 1, D);
                HeadTensor kt = HeadTensor.positionMajor(kHost, capacity, kvHeads, D);
                HeadTensor vt = HeadTensor.positionMajor(vHost, capacity, kvHeads, D);
                float[] expected = new float[TOTAL_HEADS * D];
                cpu.decode(spec, p, qt, kt, vt, HeadTensor.of(expected, TOTAL_HEADS, 1, D));
                double[] bound = AttentionReference.decodeBound(spec, p, qt, kt, vt);
                float[] device = out.toHeapArray();
                assertWithinBound("step " + p + ", device vs cpu", toDouble(expected), twice(bound), device, 1, D);
                assertWithinBound("step " + p + ", device vs reference", AttentionReference.decode(spec, p, qt, kt, vt), bound, device, 1, D);
            }
        }
    }

    /**
     * Decode steps over caches of halves already on the device, through one plan. Needs an fp16 device:
     * where it has none (Debian's PoCL 3.1 has no {@code cl_khr_fp16}) the test is skipped, saying so
     * ({@link Fp16Device}); the kernels' logic is tested as plain Java in {@code AttentionKernelsTest}, and
     * {@code HalfAttentionTasksTest} runs them over more layouts and shapes.
     */
    @Test
    void decodeOverHalfCachesOnTheDevice() throws Exception {
        Fp16Device.assumeFp16();
        int kvHeads = 4;
        int capacity = 700;
        AttentionSpec spec = new AttentionSpec(AlibiSlopes.forHeads(HEADS), TOTAL_HEADS, kvHeads, D, 0.25f, BiasForm.CAUSAL);
        short[] kBits = AttentionAssertions.halves(AttentionAssertions.gaussian(capacity * kvHeads * D, 1, 31));
        short[] vBits = AttentionAssertions.halves(AttentionAssertions.gaussian(capacity * kvHeads * D, 1, 32));
        float[] query = AttentionAssertions.gaussian(TOTAL_HEADS * D, 1, 33);
        HalfFloatArray kCache = AttentionKernelsTest.halfArray(kBits);
        HalfFloatArray vCache = AttentionKernelsTest.halfArray(vBits);
        FloatArray q = FloatArray.fromArray(query);
        FloatArray out = new FloatArray(TOTAL_HEADS * D);
        IntArray position = new IntArray(1);
        TaskGraph graph = new TaskGraph("decode_half")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, kCache, vCache, q)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, position);
        AlibiTasks.decodeAttention(graph, "attention", spec, q, kCache, vCache, AlibiTasks.KvLayout.positionMajor(kvHeads, D), position,
                        out, capacity)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        HeadTensor qt = HeadTensor.of(query, TOTAL_HEADS, 1, D);
        HeadTensor kt = HeadTensor.positionMajorHalves(kBits, capacity, kvHeads, D);
        HeadTensor vt = HeadTensor.positionMajorHalves(vBits, capacity, kvHeads, D);
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(graph.snapshot())
                .withCompilerFlags(TornadoVMBackendType.OPENCL, AlibiTasks.EXACT_OPENCL_FLAGS)) {
            for (int p : new int[] {0, 300, 699}) {
                position.set(0, p);
                plan.execute();
                assertWithinBound("halves at " + p, AttentionReference.decode(spec, p, qt, kt, vt),
                        AttentionReference.decodeBound(spec, p, qt, kt, vt), out.toHeapArray(), 1, D);
            }
        }
    }

    /** The engine's own task: the step's K and V rows into the position-major caches at {@code position.get(0)}. */
    public static void appendKv(FloatArray newK, FloatArray newV, FloatArray kCache, FloatArray vCache, IntArray position, int width) {
        for (@Parallel int n = 0; n < width; n++) {
            int at = position.get(0) * width + n;
            kCache.set(at, newK.get(n));
            vCache.set(at, newV.get(n));
        }
    }

    private static double[] toDouble(float[] values) {
        double[] doubles = new double[values.length];
        for (int n = 0; n < values.length; n++) {
            doubles[n] = values[n];
        }
        return doubles;
    }

    private static double[] twice(double[] bound) {
        double[] doubled = bound.clone();
        for (int n = 0; n < doubled.length; n++) {
            doubled[n] *= 2;
        }
        return doubled;
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
    public static void scores(FloatArray q, FloatArray k, FloatArray scores) {
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
    public static void softmax(FloatArray scores) {
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
    public static void weighted(FloatArray p, FloatArray v, FloatArray out) {
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
