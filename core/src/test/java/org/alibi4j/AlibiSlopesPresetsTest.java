package org.alibi4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import org.junit.jupiter.api.Test;

/** The families' slopes against what transformers computes ({@code scripts/transformers_slopes.py}). */
class AlibiSlopesPresetsTest {

    record Line(String family, int heads, float[] slopes) {
    }

    @Test
    void mptSlopesAreTransformersBitForBit() throws IOException {
        int checked = 0;
        for (Line line : lines()) {
            if (line.family().startsWith("mpt")) {
                double maxBias = Double.parseDouble(line.family().substring(3));
                assertArrayEquals(line.slopes(), AlibiSlopes.mpt(line.heads(), maxBias).toArray(),
                        line.family() + " with " + line.heads() + " heads");
                checked++;
            }
        }
        assertEquals(256, checked);
    }

    /**
     * BLOOM raises a float base to integer powers with torch's float {@code pow}, whose vectorised form (SLEEF,
     * 1-ulp) is not always correctly rounded; the preset is. The two agree bit for bit wherever the base is a
     * power of two (up to 15 heads) and within 1 ulp everywhere.
     */
    @Test
    void bloomSlopesAreTransformersWithinOneUlp() throws IOException {
        int checked = 0;
        int offByOne = 0;
        for (Line line : lines()) {
            if (line.family().equals("bloom")) {
                float[] ours = AlibiSlopes.bloom(line.heads()).toArray();
                assertEquals(line.slopes().length, ours.length);
                for (int h = 0; h < ours.length; h++) {
                    int ulps = Math.abs(Float.floatToRawIntBits(ours[h]) - Float.floatToRawIntBits(line.slopes()[h]));
                    assertTrue(ulps <= 1, "bloom " + line.heads() + " heads, head " + h + ": " + ours[h] + " vs " + line.slopes()[h]);
                    if (line.heads() < 16) {
                        assertEquals(0, ulps, "bloom " + line.heads() + " heads, head " + h);
                    }
                    offByOne += ulps;
                }
                checked++;
            }
        }
        assertEquals(128, checked);
        assertTrue(offByOne < 128, offByOne + " slopes off by an ulp: more than torch's rounding explains");
    }

    @Test
    void mptOrdersNonPowersOfTwoOddFirst() {
        // 6 heads: the 8-head slopes 2^-1 .. 2^-8, odd-numbered (2^-2, 2^-4, 2^-6, 2^-8) then even (2^-1, 2^-3)
        assertArrayEquals(new float[] {1 / 4f, 1 / 16f, 1 / 64f, 1 / 256f, 1 / 2f, 1 / 8f}, AlibiSlopes.mpt(6, 8).toArray());
        assertArrayEquals(AlibiSlopes.forHeads(8).toArray(), AlibiSlopes.mpt(8, 8).toArray());
    }

    @Test
    void presetsCheckTheirArguments() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AlibiSlopes.bloom(0)).getMessage().contains("heads"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AlibiSlopes.mpt(-1, 8)).getMessage().contains("heads"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AlibiSlopes.mpt(4, 0)).getMessage().contains("maxBias"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AlibiSlopes.mpt(4, Double.NaN)).getMessage().contains("maxBias"));
    }

    private static List<Line> lines() throws IOException {
        List<Line> lines = new ArrayList<>();
        try (var in = new BufferedReader(new InputStreamReader(Objects.requireNonNull(
                AlibiSlopesPresetsTest.class.getResourceAsStream("/transformers-slopes.txt")), StandardCharsets.US_ASCII))) {
            for (String text = in.readLine(); text != null; text = in.readLine()) {
                if (text.startsWith("#")) {
                    continue;
                }
                String[] fields = text.split(" ");
                String[] hex = fields[2].split(",");
                float[] slopes = new float[hex.length];
                for (int h = 0; h < hex.length; h++) {
                    slopes[h] = Float.intBitsToFloat(Integer.parseUnsignedInt(hex[h], 16));
                }
                lines.add(new Line(fields[0], Integer.parseInt(fields[1]), slopes));
            }
        }
        return lines;
    }
}
