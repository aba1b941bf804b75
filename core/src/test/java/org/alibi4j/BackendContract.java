package org.alibi4j;

import static org.alibi4j.TensorAssertions.assertBitsEqual;
import static org.alibi4j.TensorAssertions.assertMatchesReference;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The cases every backend must pass, bit for bit against {@link AlibiReference}. A backend's test
 * extends this and says how to open the backend; the TornadoVM module runs it too.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class BackendContract {

    /** Head counts with non-powers of two, as models have them. */
    static final int[] HEADS = {1, 3, 5, 6, 12, 20, 40, 80, 96};

    /** Shapes at the edges: 1x1, decode rows, i > j, sizes off any vector width, and some large enough to run in parallel. */
    static final int[][] SHAPES = {
            {1, 1}, {1, 7}, {7, 1}, {3, 5}, {5, 3}, {2, 4}, {1, 1000}, {17, 33}, {33, 17}, {64, 64}, {130, 257}, {257, 130},
    };

    protected AlibiBackend backend;

    /** A new instance of the backend under test. */
    protected abstract AlibiBackend openBackend();

    @BeforeAll
    void open() {
        backend = openBackend();
    }

    @AfterAll
    void close() {
        if (backend != null) {
            backend.close();
        }
    }

    static Stream<BiasSpec> specs() {
        List<BiasSpec> specs = new ArrayList<>();
        for (int heads : HEADS) {
            for (int[] shape : SHAPES) {
                if ((long) heads * shape[0] * shape[1] > 4_000_000) {
                    continue; // the reference is slow; large shapes are covered by fewer heads
                }
                int totalHeads = heads + heads % 3; // some with unbiased heads, some without
                for (BiasForm form : BiasForm.values()) {
                    specs.add(new BiasSpec(AlibiSlopes.forHeads(heads), totalHeads, shape[0], shape[1], form));
                }
            }
        }
        return specs.stream();
    }

    @ParameterizedTest
    @MethodSource("specs")
    void materializeIsBitIdenticalToReference(BiasSpec spec) {
        float[] actual = BiasTensor.dense(backend.materialize(spec), spec.totalHeads(), spec.i(), spec.j()).toArray();
        assertMatchesReference(spec, actual);
    }

    @ParameterizedTest
    @MethodSource("specs")
    void addBiasEqualsScoresPlusMaterializedBias(BiasSpec spec) {
        float[] scores = randomScores(spec.elementCount(), 3 + spec.i() * 31L + spec.j());
        float[] expected = scores.clone();
        float[] bias = AlibiReference.tensor(spec);
        for (int n = 0; n < expected.length; n++) {
            expected[n] += bias[n];
        }
        float[] padded = new float[scores.length + 5];
        System.arraycopy(scores, 0, padded, 3, scores.length);
        backend.addBias(spec, padded, 3);
        float[] actual = new float[scores.length];
        System.arraycopy(padded, 3, actual, 0, scores.length);
        assertBitsEqual(spec, expected, actual);
        assertEquals(0f, padded[0]);
        assertEquals(0f, padded[padded.length - 1]);
    }

    @Test
    void customAndShardedSlopesAreUsedAsGiven() {
        BiasSpec shard = new BiasSpec(AlibiSlopes.forHeadRange(12, 8, 4), 4, 9, 11, BiasForm.SYMMETRIC);
        BiasSpec custom = new BiasSpec(AlibiSlopes.of(0.3f, 1e-7f, 3.0e38f), 3, 4, 6, BiasForm.CAUSAL);
        for (BiasSpec spec : List.of(shard, custom)) {
            assertMatchesReference(spec, BiasTensor.dense(backend.materialize(spec), spec.totalHeads(), spec.i(), spec.j()).toArray());
        }
    }

    @Test
    void decodeRowBeyondExactFloatIntegersUsesTheIntegerForm() {
        // i + j > 2^24: float distances are no longer exact, so the backend must round as the formula does
        int j = (1 << 24) + 3;
        BiasSpec spec = new BiasSpec(AlibiSlopes.of(0.5f, 3e-8f), 2, 1, j, BiasForm.SYMMETRIC);
        BiasTensor tensor = BiasTensor.dense(backend.materialize(spec), 2, 1, j);
        for (int h = 0; h < 2; h++) {
            for (int k : new int[] {0, 1, 2, 3, 4, 5, j / 2, j - 2, j - 1}) {
                assertEquals(Float.floatToRawIntBits(AlibiReference.bias(spec, h, 0, k)),
                        Float.floatToRawIntBits(tensor.get(h, 0, k)), "head " + h + ", k " + k);
            }
        }
    }

    @Test
    void addBiasRejectsScoresTooShort() {
        BiasSpec spec = new BiasSpec(AlibiSlopes.forHeads(2), 2, 3, 4, BiasForm.SYMMETRIC);
        float[] scores = new float[23];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> backend.addBias(spec, scores, 0));
        assertEquals("scores needs 24 floats from offset 0 but has length 23", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> backend.addBias(spec, new float[30], 7));
        assertEquals(0f, scores[0], "nothing half-written");
    }

    /** Seeded scores with the values that show a wrong add: signed zeros, infinities, large and tiny numbers. */
    static float[] randomScores(long n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] specials = {0.0f, -0.0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -1e30f, 1e-30f};
        float[] scores = new float[Math.toIntExact(n)];
        for (int k = 0; k < scores.length; k++) {
            scores[k] = random.nextInt(16) == 0 ? specials[random.nextInt(specials.length)] : (float) random.nextGaussian() * 4;
        }
        return scores;
    }
}
