package org.alibi4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AlibiSlopesTest {

    @Test
    void eightHeadsAreThePapersHalvings() {
        assertArrayEquals(new float[] {1 / 2f, 1 / 4f, 1 / 8f, 1 / 16f, 1 / 32f, 1 / 64f, 1 / 128f, 1 / 256f},
                AlibiSlopes.forHeads(8).toArray());
    }

    @Test
    void twelveHeadsInterleaveTheSixteenHeadSlopes() {
        float[] expected = new float[12];
        for (int h = 0; h < 8; h++) {
            expected[h] = (float) Math.pow(2, -(h + 1));
        }
        for (int k = 0; k < 4; k++) {
            expected[8 + k] = (float) Math.pow(2, -0.5 - k); // 2^-0.5, 2^-1.5, 2^-2.5, 2^-3.5
        }
        assertArrayEquals(expected, AlibiSlopes.forHeads(12).toArray());
    }

    /** x-transformers' slopes for 1..1024 heads, digested by scripts/xtransformers_slopes.py. */
    @Test
    void bitIdenticalToXTransformersForEveryHeadCountUpTo1024() throws IOException {
        var resource = Objects.requireNonNull(getClass().getResourceAsStream("/xtransformers-slopes.sha256"));
        int checked = 0;
        try (var lines = new BufferedReader(new InputStreamReader(resource, StandardCharsets.US_ASCII))) {
            for (String line; (line = lines.readLine()) != null; checked++) {
                String[] fields = line.split(" ");
                int heads = Integer.parseInt(fields[0]);
                assertEquals(fields[1], digest(AlibiSlopes.forHeads(heads).toArray()),
                        () -> heads + " heads differ from x-transformers: " + AlibiSlopes.forHeads(heads));
            }
        }
        assertEquals(1024, checked);
    }

    @Test
    void maxBiasReplacesTheEightInEveryExponent() {
        assertEquals(AlibiSlopes.forHeads(12), AlibiSlopes.forHeads(12, 8.0));
        float[] sixteen = AlibiSlopes.forHeads(4, 16).toArray();
        assertArrayEquals(new float[] {1 / 16f, 1 / 256f, 1 / 4096f, 1 / 65536f}, sixteen);
        float[] six = AlibiSlopes.forHeads(3, 6).toArray(); // c = 2: 2^-3, 2^-6, then 2^(-6 * 1 / 4)
        assertArrayEquals(new float[] {1 / 8f, 1 / 64f, (float) Math.pow(2, -1.5)}, six);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 5, 12, 40, 80})
    void aHeadRangeIsTheSliceOfTheWholeModel(int heads) {
        float[] all = AlibiSlopes.forHeads(heads).toArray();
        for (int offset = 0; offset < heads; offset += Math.max(1, heads / 4)) {
            int count = Math.min(heads - offset, 1 + heads / 3);
            float[] expected = java.util.Arrays.copyOfRange(all, offset, offset + count);
            assertArrayEquals(expected, AlibiSlopes.forHeadRange(heads, offset, count).toArray(), "offset " + offset);
        }
    }

    @Test
    void customSlopesAreCopiedAndChecked() {
        float[] mine = {0.5f, 0.25f};
        AlibiSlopes slopes = AlibiSlopes.of(mine);
        mine[0] = 9;
        assertEquals(0.5f, slopes.get(0));
        assertEquals("slopes[1] must be a positive finite number (was 0.0); a head without bias belongs past `heads` in totalHeads",
                assertThrows(IllegalArgumentException.class, () -> AlibiSlopes.of(1f, 0f)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> AlibiSlopes.of(-1f));
        assertThrows(IllegalArgumentException.class, () -> AlibiSlopes.of(Float.NaN));
        assertThrows(IllegalArgumentException.class, () -> AlibiSlopes.of(Float.POSITIVE_INFINITY));
        assertThrows(IllegalArgumentException.class, () -> AlibiSlopes.of());
    }

    @Test
    void badArgumentsAreNamed() {
        assertEquals("heads must be >= 1 (was 0)", message(() -> AlibiSlopes.forHeads(0)));
        assertEquals("maxBias must be a positive finite number (was -1.0)", message(() -> AlibiSlopes.forHeads(4, -1)));
        assertEquals("maxBias must be a positive finite number (was NaN)", message(() -> AlibiSlopes.forHeads(4, Double.NaN)));
        assertEquals("offset must be in [0, heads - 1] = [0, 7] (was 8)", message(() -> AlibiSlopes.forHeadRange(8, 8, 1)));
        assertEquals("count must be in [1, heads - offset] = [1, 2] (was 3)", message(() -> AlibiSlopes.forHeadRange(8, 6, 3)));
        assertEquals("maxBias 2000.0 is too large: the slope of head 0 (2^-2000.0) underflows float",
                message(() -> AlibiSlopes.forHeads(1, 2000)));
        assertThrows(IndexOutOfBoundsException.class, () -> AlibiSlopes.forHeads(2).get(2));
    }

    static String message(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    private static String digest(float[] slopes) {
        ByteBuffer bits = ByteBuffer.allocate(slopes.length * 4); // big-endian, as the script packs them
        for (float s : slopes) {
            bits.putInt(Float.floatToRawIntBits(s));
        }
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bits.array()));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
