package org.alibi4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.alibi4j.AlibiReference;
import org.alibi4j.AlibiSlopes;
import org.alibi4j.BiasForm;
import org.alibi4j.BiasSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MainTest {

    @Test
    void slopesAsJsonParseBackToTheSameFloats() {
        CliRun run = CliRun.of("slopes", "--heads", "12", "--format", "json");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().startsWith("{\"heads\": 12, \"slopes\": ["), run.out());
        assertArrayEquals(AlibiSlopes.forHeads(12).toArray(), run.jsonFloats("slopes"));
    }

    @Test
    void slopesWithAMaxBias() {
        CliRun run = CliRun.of("slopes", "--heads", "4", "--max-bias", "16");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("3      1.5258789E-5"), run.out());
    }

    @Test
    void biasAsJsonIsTheReferenceTensorBitForBit() {
        CliRun run = CliRun.of("bias", "--heads", "5", "--total-heads", "7", "-i", "6", "-j", "9", "--causal", "--format", "json");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().startsWith("{\"shape\": [7, 6, 9], \"data\": ["), run.out());
        float[] expected = AlibiReference.tensor(new BiasSpec(AlibiSlopes.forHeads(5), 7, 6, 9, BiasForm.CAUSAL));
        float[] actual = run.jsonFloats("data");
        assertEquals(expected.length, actual.length);
        for (int n = 0; n < expected.length; n++) {
            assertEquals(Float.floatToRawIntBits(expected[n]), Float.floatToRawIntBits(actual[n]), "element " + n);
        }
    }

    @Test
    void biasAsTextShowsTheWorkedExample() {
        CliRun run = CliRun.of("bias", "--heads", "4", "--total-heads", "8", "-i", "3", "-j", "5", "--backend", "cpu");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().startsWith("head 0 (slope 0.25)\n         -0.5      -0.25        0.0      -0.25       -0.5\n"), run.out());
        assertTrue(run.out().contains("head 7 (no bias)"), run.out());
    }

    @Test
    void biasAsTextKeepsASpaceBetweenLongValues() {
        CliRun run = CliRun.of("bias", "--heads", "4", "--total-heads", "8", "-i", "3", "-j", "5");
        assertEquals(0, run.exitCode(), run.err());
        // this head's longest value, -0.01171875, sets its column width; 11 characters used to run together
        assertTrue(run.out().contains("head 3 (slope 0.00390625)\n"
                + "    -0.0078125 -0.00390625         0.0 -0.00390625  -0.0078125\n"
                + "   -0.01171875  -0.0078125 -0.00390625         0.0 -0.00390625\n"), run.out());
    }

    @Test
    void infoListsTheCpuBackend() {
        CliRun run = CliRun.of("info");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().matches("(?s)alibi4j \\S+\nJava .*cpu +0 +available +Java \\d+, \\d+ threads?\n.*"), run.out());
    }

    @Test
    void infoListsTheAttentionBackendsAndTheCpuKernels() {
        CliRun run = CliRun.of("info");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().matches("(?s).*\n\nattention backend +rank +status +device / reason\n"
                + "cpu +0 +available +Java \\d+, \\d+ threads?, (Vector API \\d+-bit \\(\\d+ floats\\)"
                + "|plain Java \\(pass '--add-modules jdk.incubator.vector' to the JVM to enable the Vector API kernels\\))\n"), run.out());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "slopes --heads 0                                | --heads must be >= 1 (was 0)",
            "slopes --heads x                                | Invalid value for option '--heads': 'x' is not an int",
            "slopes --heads 4 --max-bias NaN                 | --max-bias must be a positive finite number (was NaN)",
            "bias --heads 4 --total-heads 2 -i 1 -j 1        | --total-heads must be >= --heads = 4 (was 2)",
            "bias --heads -1 -i 1 -j 1                       | --heads must be >= 1 (was -1)",
            "bias --heads 4 -i 0 -j 1                        | -i must be >= 1 (was 0)",
            "bias --heads 4 -i 1 -j 0                        | -j must be >= 1 (was 0)",
            "bias --heads 4 -i 1 -j 1.5                      | Invalid value for option '-j': '1.5' is not an int",
            "bias --heads 4 -i 99999999999 -j 1              | Invalid value for option '-i': '99999999999' is not an int",
            "bias --heads 64 -i 100000 -j 100000             | -i/-j: 64 x 100000 x 100000 elements exceeds the largest tensor, 2147483639 elements",
            "bias --heads 2 -i 2 -j 2 --backend gpu          | unknown backend 'gpu'; known: cpu",
            "bias --heads 2 -i 2 -j 2 --format xml           | Invalid value for option '--format': expected one of [text, json] (case-sensitive) but was 'xml'",
            "render --heads 2 -i 2 -j 2 --out /no/such/x.png | --out: directory /no/such does not exist",
            "smoke --backend nope                            | --backend: unknown backend 'nope'; known: cpu",
            "attention --q q.npy                             | Missing required options: '--k=K.npy', '--v=V.npy', '--out=O.npy'",
    })
    void badInputIsOneLineNamingTheArgumentAndExitsTwo(String args, String message) {
        CliRun run = CliRun.of(args.strip().split(" +"));
        assertEquals(Main.BAD_INPUT, run.exitCode(), run.out() + run.err());
        assertEquals("alibi4j: " + message.strip() + "\n", run.err());
    }
}
