package org.alibi4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import org.alibi4j.BackendStatus;
import org.alibi4j.attention.AttentionBackends;
import org.alibi4j.attention.HeadTensor;
import org.alibi4j.models.tokenizer.TextTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every committed checkpoint, on every attention backend available here, against what transformers computed
 * for it ({@link ModelFixtures}).
 *
 * <p>Bounds, each relative to the largest |logit| of the case: {@link #LOGITS_BOUND} for float32 against
 * float32 (the two differ only in the order of float sums), {@link #DECODE_BOUND} for decode steps against
 * one prefill of the same tokens (different kernels, the same arithmetic), {@link #HALF_CACHE_BOUND} for
 * decode steps over caches of halves (each key and value rounded to 11 bits). Falcon rounds each ALiBi term
 * {@code slope * position} to bfloat16, which alibi4j does not (it is not a function of the distance): for
 * Falcon the prefill bound is at least twice how far that rounding moves transformers' own logits.
 */
class TransformersAgreementTest {
    static final double LOGITS_BOUND = 1e-4;
    static final double DECODE_BOUND = 2e-5;
    static final double HALF_CACHE_BOUND = 5e-3;

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (BackendStatus backend : AttentionBackends.statuses()) {
            if (backend.available()) {
                for (ModelFixtures fixture : ModelFixtures.all()) {
                    cases.add(Arguments.of(fixture, backend.name()));
                }
            }
        }
        return cases.stream();
    }

    @Test
    void everyFamilyAndPrecisionIsCovered() {
        List<ModelFixtures> all = ModelFixtures.all();
        for (String family : List.of("bloom", "mpt")) {
            for (String dtype : List.of("float32", "float16", "bfloat16")) {
                assertTrue(all.stream().anyMatch(f -> f.family().equals(family) && f.dtype().equals(dtype)), family + " " + dtype);
            }
        }
        assertTrue(all.stream().anyMatch(ModelFixtures::stoppedAtEos), "a case that stops at the end-of-sequence token");
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("cases")
    void logitsOfEveryPromptPositionAgree(ModelFixtures fixture, String backend) {
        try (AlibiModel model = load(fixture, backend); ModelSession session = model.newSession(64, HeadTensor.Precision.F32)) {
            float[] logits = session.prefillAllLogits(fixture.promptTokens());
            double bound = Math.max(LOGITS_BOUND * fixture.logitsMaxAbs(), 2 * fixture.biasRoundingShift());
            assertWithin(fixture.logits(), logits, bound, fixture, "prefill logits");
        }
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("cases")
    void greedyContinuationIsTransformers(ModelFixtures fixture, String backend) {
        try (AlibiModel model = load(fixture, backend); ModelSession session = model.newSession(64, HeadTensor.Precision.F32)) {
            Generator.Result result = Generator.generate(session, fixture.promptTokens(),
                    new Generator.Options(fixture.maxNewTokens(), SamplingOptions.greedy(), model.spec().eosTokenIds()), null);
            assertArrayEquals(fixture.greedyTokens(), result.tokens(), fixture.name());
            assertEquals(fixture.stoppedAtEos() ? Generator.Stop.END_OF_SEQUENCE : Generator.Stop.MAX_NEW_TOKENS, result.stop());
        }
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("cases")
    void decodeStepsAgreeWithOnePrefill(ModelFixtures fixture, String backend) {
        try (AlibiModel model = load(fixture, backend); ModelSession session = model.newSession(64, HeadTensor.Precision.F32)) {
            float[] oneShot = session.prefillAllLogits(fixture.promptTokens());
            float[] stepped = stepped(session, fixture.promptTokens());
            assertWithin(oneShot, stepped, DECODE_BOUND * fixture.logitsMaxAbs(), fixture, "decode steps against one prefill");
        }
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("cases")
    void halfCachesStayWithinTheirBound(ModelFixtures fixture, String backend) {
        try (AlibiModel model = load(fixture, backend); ModelSession session = model.newSession(64, HeadTensor.Precision.F16)) {
            float[] stepped = stepped(session, fixture.promptTokens());
            assertWithin(fixture.logits(), stepped, HALF_CACHE_BOUND * fixture.logitsMaxAbs(), fixture, "decode steps over half caches");
        }
    }

    @Test
    void theTokenizerGivesTransformersTokensAndText() {
        for (ModelFixtures fixture : ModelFixtures.all()) {
            try (TextTokenizer tokenizer = TextTokenizer.open(fixture.directory().resolve("tokenizer.json"))) {
                assertArrayEquals(fixture.promptTokens(), tokenizer.encode(fixture.prompt()), fixture.name());
                assertEquals(fixture.greedyText(), tokenizer.decode(fixture.greedyTokens(), true), fixture.name());
            }
        }
    }

    @Test
    void sessionsOfOneModelRunOnManyThreadsAtOnce() throws Exception {
        ModelFixtures fixture = ModelFixtures.all().getFirst();
        try (AlibiModel model = AlibiModel.load(fixture.directory(), AlibiModel.Options.defaults().withBackend("cpu"));
             ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<int[]>> runs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                runs.add(pool.submit(() -> {
                    try (ModelSession session = model.newSession(64, HeadTensor.Precision.F32)) {
                        return Generator.generate(session, fixture.promptTokens(),
                                new Generator.Options(fixture.maxNewTokens(), SamplingOptions.greedy(), model.spec().eosTokenIds()), null).tokens();
                    }
                }));
            }
            for (Future<int[]> run : runs) {
                assertArrayEquals(fixture.greedyTokens(), run.get());
            }
        }
    }

    /** Logits of every prompt position by a prefill of the first token and one decode step per token after it. */
    private static float[] stepped(ModelSession session, int[] tokens) {
        int vocabulary = session.vocabulary();
        float[] logits = new float[tokens.length * vocabulary];
        System.arraycopy(session.prefill(Arrays.copyOf(tokens, 1)), 0, logits, 0, vocabulary);
        for (int p = 1; p < tokens.length; p++) {
            System.arraycopy(session.next(tokens[p]), 0, logits, p * vocabulary, vocabulary);
        }
        assertEquals(tokens.length, session.position());
        return logits;
    }

    private static AlibiModel load(ModelFixtures fixture, String backend) {
        return AlibiModel.load(fixture.directory(), AlibiModel.Options.defaults().withBackend(backend));
    }

    static void assertWithin(float[] expected, float[] actual, double bound, ModelFixtures fixture, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        int vocabulary = fixture.vocabulary();
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            double error = Math.abs((double) expected[i] - actual[i]);
            assertFalse(Double.isNaN(error), what + ": NaN at position " + i / vocabulary + ", token " + i % vocabulary);
            if (error > bound) {
                throw new AssertionError(fixture.name() + " " + what + ": position " + i / vocabulary + ", token " + i % vocabulary
                        + ": expected " + expected[i] + ", was " + actual[i] + " (error " + error + " > bound " + bound + ")");
            }
            worst = Math.max(worst, error);
        }
        System.out.printf("%s %s: largest error %.3g (%.3f of the bound)%n", fixture.name(), what, worst, worst / bound);
    }
}
