package org.alibi4j.models.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.alibi4j.models.checkpoint.DType;
import org.alibi4j.models.checkpoint.WeightTensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** MatMul's contract beyond the arithmetic: arguments, threads, concurrent callers, close. */
class MatMulTest {
    private Arena arena;
    private WeightTensor weight;
    private float[] w;

    @BeforeEach
    void setUp() {
        arena = Arena.ofShared();
        w = TestMatrices.gaussian(new SplittableRandom(1), 5 * 3);
        weight = TestMatrices.tensor(arena, DType.F16, 5, 3, w);
    }

    @AfterEach
    void tearDown() {
        arena.close();
    }

    private static void assertRefused(String argument, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().startsWith(argument + " ") || e.getMessage().contains(" " + argument + " "),
                () -> "the message should name " + argument + ": " + e.getMessage());
    }

    @Test
    void threadsMustBePositive() {
        assertRefused("threads", () -> new MatMul(0));
        assertRefused("threads", () -> new MatMul(-2));
        try (MatMul one = new MatMul(1); MatMul all = MatMul.withAvailableProcessors()) {
            assertEquals(1, one.threads());
            assertEquals(Runtime.getRuntime().availableProcessors(), all.threads());
        }
    }

    @Test
    void eachBadArgumentIsNamedAndNothingIsWritten() {
        float[] x = new float[2 * 3];
        float[] y = new float[2 * 5];
        java.util.Arrays.fill(y, 42);
        try (MatMul m = new MatMul(2)) {
            assertRefused("weight", () -> m.linear(null, null, x, 2, y));
            assertRefused("bias", () -> m.linear(weight, new float[4], x, 2, y));
            assertRefused("x", () -> m.linear(weight, null, null, 2, y));
            assertRefused("x", () -> m.linear(weight, null, new float[5], 2, y));
            assertRefused("y", () -> m.linear(weight, null, x, 2, null));
            assertRefused("y", () -> m.linear(weight, null, x, 2, new float[9]));
            assertRefused("rows", () -> m.linear(weight, null, x, -1, y));
            float[] both = new float[10];
            assertRefused("y", () -> m.linear(weight, null, both, 2, both));
            // weights that are not a [out, in] matrix of the dtype's bytes
            MemorySegment bytes = arena.allocate(30);
            assertRefused("weight", () -> m.linear(new WeightTensor("v", DType.F16, new long[] {15}, bytes), null, x, 2, y));
            assertRefused("weight", () -> m.linear(new WeightTensor("t", DType.F16, new long[] {5, 3, 1}, bytes), null, x, 2, y));
            // (a tensor whose bytes do not match its shape cannot be made: WeightTensor refuses it)
            assertRefused("weight", () -> m.linear(new WeightTensor("z", DType.F16, new long[] {0, 3}, arena.allocate(0)), null, x, 2, y));
            for (float v : y) {
                assertEquals(42, v);
            }
        }
    }

    @Test
    void messagesNameTheTensor() {
        MemorySegment bytes = arena.allocate(30);
        try (MatMul m = new MatMul(1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.linear(new WeightTensor("h.0.mlp.dense_4h_to_h.weight", DType.F32, new long[] {5, 3}, bytes), null, new float[3], 1, new float[5]));
            assertTrue(e.getMessage().contains("h.0.mlp.dense_4h_to_h.weight"), e.getMessage());
        }
    }

    @Test
    void zeroRowsIsANoOpAndLongerArraysKeepTheirTail() {
        try (MatMul m = new MatMul(2)) {
            m.linear(weight, null, new float[0], 0, new float[0]);
            float[] x = {1, 2, 3, 99};
            float[] y = new float[6];
            y[5] = -7;
            m.linear(weight, null, x, 1, y);
            assertEquals(-7, y[5]);
            for (int o = 0; o < 5; o++) {
                assertEquals(w[o * 3] + 2 * w[o * 3 + 1] + 3 * w[o * 3 + 2], y[o], 1e-5f);
            }
        }
    }

    @Test
    void describeSaysWhatRunsOnHowManyThreads() {
        try (MatMul m = new MatMul(2); MatMul plain = new MatMul(3, new ScalarKernels(), "chosen by the test")) {
            assertTrue(m.describe().endsWith(", 2 threads"), m.describe());
            assertTrue(m.describe().startsWith("Vector API "), m.describe()); // surefire runs with the module
            assertEquals("plain Java, 3 threads: chosen by the test", plain.describe());
        }
    }

    @Test
    void workersAreDaemonsNamedAfterTheLibraryAndStopOnClose() throws InterruptedException {
        SplittableRandom random = new SplittableRandom(3);
        float[] big = TestMatrices.gaussian(random, 512 * 512);
        WeightTensor large = TestMatrices.tensor(arena, DType.BF16, 512, 512, big);
        MatMul m = new MatMul(3);
        m.linear(large, null, TestMatrices.gaussian(random, 8 * 512), 8, new float[8 * 512]);
        List<Thread> workers = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("alibi4j-worker-")).toList();
        assertTrue(!workers.isEmpty(), "no worker thread named alibi4j-worker-N");
        workers.forEach(t -> assertTrue(t.isDaemon(), t.getName()));
        m.close();
        for (Thread t : workers) {
            t.join(10_000);
            assertTrue(!t.isAlive(), t.getName() + " still runs after close()");
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.linear(weight, null, new float[3], 1, new float[5]));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        m.close(); // a second close does nothing
    }

    @Test
    void resultsAreTheSameBitsOnAnyNumberOfThreads() {
        // out = 1000: 16 column blocks of 64, split into 1, 2, 3, 5 or 8 parts (a few rows: 4 parts a thread)
        int out = 1000;
        int in = 300;
        SplittableRandom random = new SplittableRandom(11);
        for (DType dtype : DType.values()) {
            WeightTensor big = TestMatrices.tensor(arena, dtype, out, in, TestMatrices.gaussian(random, out * in));
            float[] bias = TestMatrices.gaussian(random, out);
            for (int rows : new int[] {1, 3, 40}) {
                float[] x = TestMatrices.gaussian(random, rows * in);
                float[] expected = new float[rows * out];
                try (MatMul single = new MatMul(1)) {
                    single.linear(big, bias, x, rows, expected);
                }
                for (int threads : new int[] {2, 3, 5}) {
                    float[] y = new float[rows * out];
                    try (MatMul matMul = new MatMul(threads)) {
                        matMul.linear(big, bias, x, rows, y);
                    }
                    assertArrayEquals(expected, y, dtype + ", " + rows + " rows, " + threads + " threads");
                }
            }
        }
    }

    @Test
    void sessionsInSeveralThreadsMayCallAtOnce() throws Exception {
        int out = 300;
        int in = 257;
        int rows = 9;
        SplittableRandom random = new SplittableRandom(5);
        WeightTensor big = TestMatrices.tensor(arena, DType.F16, out, in, TestMatrices.gaussian(random, out * in));
        int callers = 6;
        float[][] xs = new float[callers][];
        float[][] expected = new float[callers][];
        try (MatMul single = new MatMul(1)) {
            for (int c = 0; c < callers; c++) {
                xs[c] = TestMatrices.gaussian(random, rows * in);
                expected[c] = new float[rows * out];
                single.linear(big, null, xs[c], rows, expected[c]);
            }
        }
        ExecutorService sessions = Executors.newFixedThreadPool(callers);
        try (MatMul shared = new MatMul(3)) {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> results = new ArrayList<>();
            for (int c = 0; c < callers; c++) {
                int caller = c;
                results.add(sessions.submit(() -> {
                    start.await();
                    for (int repeat = 0; repeat < 50; repeat++) {
                        float[] y = new float[rows * out];
                        shared.linear(big, null, xs[caller], rows, y);
                        // each column is computed by one thread in the same order however the columns are split
                        assertArrayEquals(expected[caller], y, "caller " + caller + ", call " + repeat);
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> result : results) {
                result.get();
            }
        } finally {
            sessions.shutdown();
        }
    }
}
