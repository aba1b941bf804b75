package org.alibi4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class SamplerTest {

    @Test
    void greedyTakesTheFirstLargest() {
        assertEquals(2, Sampler.greedy().sample(new float[] {1, 3, 5, 5, -2}));
        assertEquals(0, Sampler.greedy().sample(new float[] {7}));
        assertEquals(1, Sampler.greedy().sample(new float[] {Float.NaN, -1, -2}));
    }

    @Test
    void aSeedRepeatsItsDrawsAndAnotherSeedDoesNot() {
        float[] logits = randomLogits(500, 1);
        SamplingOptions options = new SamplingOptions(0.9f, 40, 0.95f, 1234);
        int[] first = draws(new Sampler(options), logits, 64);
        assertArrayEquals(first, draws(new Sampler(options), logits, 64));
        assertNotEquals(java.util.Arrays.toString(first),
                java.util.Arrays.toString(draws(new Sampler(new SamplingOptions(0.9f, 40, 0.95f, 1235)), logits, 64)));
    }

    @Test
    void drawsFollowTheSoftmax() {
        // logits 0 and ln 3 at temperature 1: probabilities 1/4 and 3/4
        Sampler sampler = new Sampler(new SamplingOptions(1, 0, 1, 7));
        float[] logits = {0, (float) Math.log(3)};
        int n = 40_000;
        int ones = 0;
        for (int i = 0; i < n; i++) {
            ones += sampler.sample(logits);
        }
        double sigma = Math.sqrt(n * 0.75 * 0.25);
        assertEquals(0.75 * n, ones, 5 * sigma);
    }

    @Test
    void temperatureSharpens() {
        // at temperature 0.5 the odds 1:3 become 1:9
        Sampler sampler = new Sampler(new SamplingOptions(0.5f, 0, 1, 11));
        float[] logits = {0, (float) Math.log(3)};
        int n = 40_000;
        int ones = 0;
        for (int i = 0; i < n; i++) {
            ones += sampler.sample(logits);
        }
        assertEquals(0.9 * n, ones, 5 * Math.sqrt(n * 0.9 * 0.1));
    }

    @Test
    void topKAndTopPKeepOnlyTheLikeliest() {
        float[] logits = {0, 1, 2, 3, 4, 5};
        Sampler topTwo = new Sampler(new SamplingOptions(5, 2, 1, 3));
        Sampler topP = new Sampler(new SamplingOptions(1, 0, 0.5f, 3)); // p(5) = 0.636 reaches 0.5 alone
        for (int i = 0; i < 2000; i++) {
            int t = topTwo.sample(logits);
            assertTrue(t == 4 || t == 5, "top-k 2 drew " + t);
            assertEquals(5, topP.sample(logits));
        }
        Sampler topKOne = new Sampler(new SamplingOptions(3, 1, 1, 3));
        float[] random = randomLogits(1000, 9);
        assertEquals(Sampler.argmax(random), topKOne.sample(random));
    }

    @Test
    void optionsNameWhatIsWrong() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new SamplingOptions(-1, 0, 1, 0)).getMessage().startsWith("temperature"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new SamplingOptions(Float.NaN, 0, 1, 0)).getMessage().startsWith("temperature"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new SamplingOptions(1, -3, 1, 0)).getMessage().startsWith("top-k"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new SamplingOptions(1, 0, 0, 0)).getMessage().startsWith("top-p"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new SamplingOptions(1, 0, 1.5f, 0)).getMessage().startsWith("top-p"));
        assertThrows(IllegalArgumentException.class, () -> Sampler.greedy().sample(new float[0]));
    }

    private static int[] draws(Sampler sampler, float[] logits, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = sampler.sample(logits);
        }
        return out;
    }

    private static float[] randomLogits(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] logits = new float[n];
        for (int i = 0; i < n; i++) {
            logits[i] = (float) (random.nextGaussian() * 3);
        }
        return logits;
    }
}
