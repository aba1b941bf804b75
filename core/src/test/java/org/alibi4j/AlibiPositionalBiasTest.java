package org.alibi4j;

import static org.alibi4j.AlibiSlopesTest.message;
import static org.alibi4j.TensorAssertions.assertMatchesReference;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.alibi4j.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

class AlibiPositionalBiasTest {

    /** ALIBI.md's worked example, element by element. */
    @Test
    void workedExample() {
        try (var alibi = new AlibiPositionalBias(4, 8)) {
            assertArrayEquals(new float[] {0.25f, 0.0625f, 0.015625f, 0.00390625f}, alibi.slopes().toArray());
            BiasTensor bias = alibi.forward(3, 5);
            assertArrayEquals(new int[] {8, 3, 5}, bias.shape());
            float[][] distances = {{-2, -1, 0, -1, -2}, {-3, -2, -1, 0, -1}, {-4, -3, -2, -1, 0}};
            assertRows(new float[][] {{-0.5f, -0.25f, 0, -0.25f, -0.5f}, {-0.75f, -0.5f, -0.25f, 0, -0.25f}, {-1, -0.75f, -0.5f, -0.25f, 0}},
                    bias, 0);
            for (int h = 0; h < 8; h++) {
                float slope = h < 4 ? alibi.slopes().get(h) : 0;
                for (int q = 0; q < 3; q++) {
                    for (int k = 0; k < 5; k++) {
                        float expected = distances[q][k] == 0 || h >= 4 ? 0.0f : distances[q][k] * slope;
                        assertBits(expected, bias.get(h, q, k), h, q, k);
                    }
                }
            }

            BiasCache.Stats before = alibi.cacheStats();
            BiasTensor decode = alibi.forward(1, 5);
            assertRows(new float[][] {{-1, -0.75f, -0.5f, -0.25f, 0}}, decode, 0);
            BiasTensor smaller = alibi.forward(2, 4);
            assertRows(new float[][] {{-0.5f, -0.25f, 0, -0.25f}, {-0.75f, -0.5f, -0.25f, 0}}, smaller, 0);
            BiasCache.Stats after = alibi.cacheStats();
            assertEquals(before.builds(), after.builds(), "served without recomputing");
            assertEquals(before.hits() + 2, after.hits());
            // no copy: a view into the [8, 3, 5] tensor, starting at its last row
            assertEquals(2 * 5, decode.offset());
            assertArrayEquals(new long[] {15, 5, 1}, decode.strides());
            assertEquals(bias.segment().byteSize(), decode.segment().byteSize());
        }
    }

    /** zeta slices the cache top-left; after a (10, 10) prefill a (1, 5) decode must be -[4, 3, 2, 1, 0] * m. */
    @Test
    void cacheServesBottomRightNotZetasTopLeft() {
        try (var alibi = new AlibiPositionalBias(8)) { // head 0: slope 1/2
            alibi.forward(10, 10);
            assertRows(new float[][] {{-2, -1.5f, -1, -0.5f, 0}}, alibi.forward(1, 5), 0);
            assertEquals(1, alibi.cacheStats().builds());
        }
    }

    @Test
    void everyCachedAnswerEqualsAFreshComputation() {
        int[][] sequence = {{7, 9}, {1, 3}, {7, 9}, {2, 9}, {7, 1}, {12, 20}, {1, 40}, {30, 2}, {5, 5}, {1, 1}, {31, 41}};
        try (var alibi = AlibiPositionalBias.builder(5).totalHeads(7).build()) {
            for (int[] s : sequence) {
                assertMatchesReference(new BiasSpec(alibi.slopes(), 7, s[0], s[1], BiasForm.SYMMETRIC), alibi.forward(s[0], s[1]).toArray());
                assertMatchesReference(new BiasSpec(alibi.slopes(), 7, s[0], s[1], BiasForm.CAUSAL), alibi.forwardCausal(s[0], s[1]).toArray());
            }
        }
    }

    @Test
    void growthIsGeometricSoDecodingRebuildsRarely() {
        try (var alibi = new AlibiPositionalBias(8)) {
            alibi.forward(16, 16);
            for (int j = 17; j <= 1000; j++) {
                alibi.forward(1, j);
            }
            assertTrue(alibi.cacheStats().builds() <= 8, "builds: " + alibi.cacheStats());
            for (int n = 0; n < 20; n++) { // alternating shapes: one growth covers both
                alibi.forward(40, 5);
                alibi.forward(5, 1200);
            }
            assertTrue(alibi.cacheStats().builds() <= 10, "builds: " + alibi.cacheStats());
        }
    }

    @Test
    void pastTheMemoryBoundItComputesWithoutCaching() {
        long bound = 4L * 4 * 50 * 50; // room for [4, 50, 50]
        try (var alibi = AlibiPositionalBias.builder(4).cacheMaxBytes(bound).build()) {
            alibi.forward(50, 50);
            BiasTensor big = alibi.forward(60, 70);
            assertMatchesReference(new BiasSpec(alibi.slopes(), 4, 60, 70, BiasForm.SYMMETRIC), big.toArray());
            BiasCache.Stats stats = alibi.cacheStats();
            assertEquals(1, stats.uncached());
            assertEquals(50, stats.capacityI(), "the cached tensor is kept");
            alibi.forward(30, 80); // over the bound with the old shape, fits on its own
            assertTrue(alibi.cacheStats().bytes() <= bound, alibi.cacheStats().toString());
        }
    }

    @Test
    void viewsStayValidAfterTheCacheGrows() {
        try (var alibi = new AlibiPositionalBias(3)) {
            BiasTensor early = alibi.forward(4, 6);
            alibi.forward(100, 120);
            assertMatchesReference(new BiasSpec(alibi.slopes(), 3, 4, 6, BiasForm.SYMMETRIC), early.toArray());
        }
    }

    @Test
    void manyThreadsWithMixedShapesGetExactAnswers() throws Exception {
        int threads = 8;
        try (var alibi = AlibiPositionalBias.builder(12).totalHeads(14).build();
             ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long seed = 1000 + t;
                results.add(pool.submit(() -> {
                    SplittableRandom random = new SplittableRandom(seed);
                    start.await();
                    int checked = 0;
                    for (int n = 0; n < 150; n++) {
                        int i = 1 + random.nextInt(48);
                        int j = 1 + random.nextInt(96);
                        boolean causal = random.nextBoolean();
                        BiasTensor t1 = causal ? alibi.forwardCausal(i, j) : alibi.forward(i, j);
                        BiasSpec spec = new BiasSpec(alibi.slopes(), 14, i, j, causal ? BiasForm.CAUSAL : BiasForm.SYMMETRIC);
                        assertMatchesReference(spec, t1.toArray());
                        checked++;
                    }
                    return checked;
                }));
            }
            start.countDown();
            int total = 0;
            for (Future<Integer> f : results) {
                total += f.get();
            }
            assertEquals(threads * 150, total);
        }
    }

    @Test
    void fusedAddsMatchTheMaterialisedTensor() {
        try (var alibi = AlibiPositionalBias.builder(6).totalHeads(7).build()) {
            float[] scores = BackendContract.randomScores(7 * 9 * 13, 5);
            float[] symmetric = scores.clone();
            alibi.addBias(symmetric, 0, 9, 13);
            float[] causal = scores.clone();
            alibi.addBiasCausal(causal, 0, 9, 13);
            float[] bias = alibi.forward(9, 13).toArray();
            float[] mask = alibi.forwardCausal(9, 13).toArray();
            for (int n = 0; n < scores.length; n++) {
                assertEquals(Float.floatToRawIntBits(scores[n] + bias[n]), Float.floatToRawIntBits(symmetric[n]), "element " + n);
                assertEquals(Float.floatToRawIntBits(scores[n] + mask[n]), Float.floatToRawIntBits(causal[n]), "element " + n);
            }
        }
    }

    @Test
    void decodeRowAddsMinusSlopeTimesDistanceToEveryKey() {
        try (var alibi = AlibiPositionalBias.builder(2).totalHeads(3).slopes(AlibiSlopes.of(0.5f, 0.0625f)).build()) {
            int position = 4;
            float[] scores = new float[2 + 3 * (position + 1)];
            alibi.addBiasDecodeRow(scores, 2, position);
            float[] expected = {0, 0, -2f, -1.5f, -1f, -0.5f, 0, -0.25f, -0.1875f, -0.125f, -0.0625f, 0, 0, 0, 0, 0, 0};
            assertArrayEquals(expected, scores);
            assertEquals("position must be in [0, 2147483646] (was -1)", message(() -> alibi.addBiasDecodeRow(scores, 0, -1)));
        }
    }

    @Test
    void distancesAreTheUndecoratedGetBias() {
        assertArrayEquals(new int[] {-2, -1, 0, -1, -2, -3, -2, -1, 0, -1, -4, -3, -2, -1, 0}, AlibiPositionalBias.distances(3, 5));
        // i > j: query positions -2, -1, 0 over key 0
        assertArrayEquals(new int[] {-2, -1, 0}, AlibiPositionalBias.distances(3, 1));
    }

    @Test
    void badInputIsRejectedWithTheArgumentNamed() {
        assertEquals("heads must be >= 1 (was 0)", message(() -> new AlibiPositionalBias(0)));
        assertEquals("totalHeads must be >= heads = 4 (was 3)", message(() -> new AlibiPositionalBias(4, 3)));
        assertEquals("unknown backend 'gpu'; known: cpu", message(() -> AlibiPositionalBias.builder(2).backend("gpu").build()));
        assertEquals("slopes must hold heads = 2 slopes (was 3)", message(() -> AlibiPositionalBias.builder(2).slopes(AlibiSlopes.forHeads(3))));
        assertEquals("cacheMaxBytes must be >= 0 (was -1)", message(() -> AlibiPositionalBias.builder(2).cacheMaxBytes(-1)));
        try (var alibi = new AlibiPositionalBias(8)) {
            assertEquals("i must be >= 1 (was 0)", message(() -> alibi.forward(0, 5)));
            assertEquals("j must be >= 1 (was -2)", message(() -> alibi.forward(5, -2)));
            assertEquals("totalHeads * i * j = 8 * 65536 * 65536 elements exceeds the largest tensor, 2147483639 elements",
                    message(() -> alibi.forward(65536, 65536)));
            assertEquals("scores needs 64 floats from offset 0 but has length 59", message(() -> alibi.addBias(new float[59], 0, 1, 8)));
            assertMatchesReference(new BiasSpec(alibi.slopes(), 8, 2, 3, BiasForm.SYMMETRIC), alibi.forward(2, 3).toArray());
        }
    }

    @Test
    void closeReleasesTheOwnedBackendButNotAGivenOne() {
        var alibi = new AlibiPositionalBias(2);
        alibi.forward(300, 300);
        alibi.close();
        assertThrows(IllegalStateException.class, () -> alibi.forward(400, 400));
        try (CpuBackend mine = new CpuBackend(2)) {
            AlibiPositionalBias.builder(2).backend(mine).build().close();
            BiasSpec spec = new BiasSpec(AlibiSlopes.forHeads(2), 2, 300, 300, BiasForm.SYMMETRIC);
            assertMatchesReference(spec, BiasTensor.dense(mine.materialize(spec), 2, 300, 300).toArray());
        }
    }

    private static void assertRows(float[][] expected, BiasTensor tensor, int h) {
        assertEquals(expected.length, tensor.i());
        for (int q = 0; q < expected.length; q++) {
            assertEquals(expected[q].length, tensor.j());
            for (int k = 0; k < expected[q].length; k++) {
                assertBits(expected[q][k], tensor.get(h, q, k), h, q, k);
            }
        }
    }

    private static void assertBits(float expected, float actual, int h, int q, int k) {
        assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(actual),
                () -> "(" + h + ", " + q + ", " + k + "): expected " + expected + ", was " + actual);
    }
}
