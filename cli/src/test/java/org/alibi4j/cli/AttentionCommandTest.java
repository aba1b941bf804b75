package org.alibi4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.alibi4j.AlibiSlopes;
import org.alibi4j.BiasForm;
import org.alibi4j.attention.AttentionReference;
import org.alibi4j.attention.AttentionSpec;
import org.alibi4j.attention.HeadTensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code alibi4j attention} on .npy files written here, checked against the float64 reference within its bound. */
class AttentionCommandTest {

    @TempDir
    Path dir;

    /** Inputs written to {@link #dir}: Q as floats, K and V as floats or halves. */
    private record Inputs(float[] q, float[] k, float[] v, boolean halves, int t, int g, int i, int j, int d) {
        HeadTensor qTensor() {
            return HeadTensor.of(q, t, i, d);
        }

        HeadTensor kv(float[] data) {
            if (!halves) {
                return HeadTensor.of(data, g, j, d);
            }
            return HeadTensor.ofHalves(AttentionAssertions.halves(data), g, j, d);
        }
    }

    private Inputs inputs(int t, int g, int i, int j, int d, boolean halves, long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        Inputs in = new Inputs(AttentionAssertions.values(random, t * i * d, 2), AttentionAssertions.values(random, g * j * d, 2),
                AttentionAssertions.values(random, g * j * d, 1), halves, t, g, i, j, d);
        Npy.writeFloats(dir.resolve("q.npy"), new long[] {t, i, d}, in.q());
        writeKv(dir.resolve("k.npy"), in.k(), in);
        writeKv(dir.resolve("v.npy"), in.v(), in);
        return in;
    }

    private static void writeKv(Path file, float[] data, Inputs in) throws IOException {
        long[] shape = {in.g(), in.j(), in.d()};
        if (!in.halves()) {
            Npy.write(file, Npy.Dtype.F4, 2, shape, data, null); // version 2.0, as write_array(version=(2, 0)) does
            return;
        }
        Npy.write(file, Npy.Dtype.F2, 1, shape, null, AttentionAssertions.halves(data));
    }

    private String[] args(String... extra) {
        List<String> a = new ArrayList<>(List.of("attention", "--q", dir.resolve("q.npy").toString(), "--k", dir.resolve("k.npy").toString(),
                "--v", dir.resolve("v.npy").toString(), "--out", dir.resolve("o.npy").toString()));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    @ParameterizedTest(name = "T={0} G={1} i={2} j={3} d={4} heads={5} {6} f16={7} scale={8} max-bias={9}")
    @CsvSource({
            "8,  8, 17, 17, 64, 8, symmetric, false, ,      ",
            "12, 4, 33, 70, 80, 9, causal,    false, ,      ",
            "6,  1, 1,  50, 100, 6, causal,   true,  ,      ",
            "5,  5, 9,  4,  16, 3, causal,    false, ,      ",
            "4,  2, 20, 20, 32, 4, symmetric, true,  0.5,   16",
            "3,  3, 7,  11, 8,  1, causal,    false, 0.125, 4",
    })
    void computesWhatTheReferenceComputes(int t, int g, int i, int j, int d, int heads, String form, boolean halves,
                                          Float scale, Double maxBias) throws IOException {
        Inputs in = inputs(t, g, i, j, d, halves, 31L * t + j);
        List<String> extra = new ArrayList<>(List.of("--heads", Integer.toString(heads)));
        if (form.equals("causal")) {
            extra.add("--causal");
        }
        if (scale != null) {
            extra.addAll(List.of("--scale", scale.toString()));
        }
        if (maxBias != null) {
            extra.addAll(List.of("--max-bias", maxBias.toString()));
        }
        CliRun run = CliRun.of(args(extra.toArray(String[]::new)));
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().startsWith("wrote " + dir.resolve("o.npy") + ": [" + t + ", " + i + ", " + d + "] float32, " + heads
                + " of " + t + " heads biased, " + g + " key/value heads, " + j + " keys"), run.out());

        Npy.Array o = Npy.read(dir.resolve("o.npy"), EnumSet.of(Npy.Dtype.F4));
        assertArrayEquals(new long[] {t, i, d}, o.shape());
        AttentionSpec spec = new AttentionSpec(AlibiSlopes.forHeads(heads, maxBias == null ? 8 : maxBias), t, g, d,
                scale == null ? AttentionSpec.defaultScale(d) : scale, form.equals("causal") ? BiasForm.CAUSAL : BiasForm.SYMMETRIC);
        AttentionAssertions.assertWithinBound(spec, in.qTensor(), in.kv(in.k()), in.kv(in.v()), o.floats());
        if (form.equals("causal") && i > j) { // the first i - j queries see no key: zeros
            assertEquals(0f, o.floats()[0]);
        }
    }

    @Test
    void theseTestsRunTheVectorKernels() {
        assertTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(), "cli/pom.xml's argLine adds jdk.incubator.vector");
        CliRun run = CliRun.of("info");
        assertTrue(run.out().contains("Vector API"), run.out());
    }

    @Test
    void headsDefaultToAllOfThemAndTheOutputIsReplaced() throws IOException {
        Inputs in = inputs(4, 2, 3, 5, 8, false, 7);
        Files.writeString(dir.resolve("o.npy"), "an older file");
        CliRun run = CliRun.of(args());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("4 of 4 heads biased"), run.out());
        AttentionSpec spec = new AttentionSpec(AlibiSlopes.forHeads(4), 4, 2, 8, AttentionSpec.defaultScale(8), BiasForm.SYMMETRIC);
        double[] expected = AttentionReference.prefill(spec, in.qTensor(), in.kv(in.k()), in.kv(in.v()));
        float[] actual = Npy.read(dir.resolve("o.npy"), EnumSet.of(Npy.Dtype.F4)).floats();
        for (int n = 0; n < expected.length; n++) {
            assertEquals(expected[n], actual[n], 1e-5, "element " + n);
        }
        assertEquals(List.of("k.npy", "o.npy", "q.npy", "v.npy"), files(dir));
    }

    // ---------------------------------------------------------------- bad input

    /** The bad-input cases' folder ({@code DIR} in them), written once: q [6, 3, 8], k and v [2, 5, 8], and variants. */
    @TempDir
    static Path shared;

    @BeforeAll
    static void writeVariants() throws IOException {
        Path dir = shared;
        Npy.writeFloats(dir.resolve("q6.npy"), new long[] {6, 3, 8}, new float[6 * 3 * 8]);
        Npy.writeFloats(dir.resolve("k2.npy"), new long[] {2, 5, 8}, new float[2 * 5 * 8]);
        Npy.write(dir.resolve("v2h.npy"), Npy.Dtype.F2, 1, new long[] {2, 5, 8}, null, new short[2 * 5 * 8]);
        Npy.write(dir.resolve("q6h.npy"), Npy.Dtype.F2, 1, new long[] {6, 3, 8}, null, new short[6 * 3 * 8]);
        Npy.writeFloats(dir.resolve("k4.npy"), new long[] {4, 5, 8}, new float[4 * 5 * 8]);
        Npy.writeFloats(dir.resolve("k2d4.npy"), new long[] {2, 5, 4}, new float[2 * 5 * 4]);
        Npy.writeFloats(dir.resolve("v2j6.npy"), new long[] {2, 6, 8}, new float[2 * 6 * 8]);
        Npy.writeFloats(dir.resolve("rank2.npy"), new long[] {6, 8}, new float[6 * 8]);
        Npy.writeFloats(dir.resolve("rank4.npy"), new long[] {1, 6, 3, 8}, new float[6 * 3 * 8]);
        Npy.writeFloats(dir.resolve("zero.npy"), new long[] {6, 0, 8}, new float[0]);
        Files.write(dir.resolve("f8.npy"), NpyTest.rawBytes(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (6, 3, 8), }", new byte[6 * 3 * 8 * 8]));
        Files.write(dir.resolve("fortran.npy"), NpyTest.rawBytes(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (6, 3, 8), }", new byte[6 * 3 * 8 * 4]));
        Files.write(dir.resolve("truncated.npy"), NpyTest.rawBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (6, 3, 8), }", new byte[100]));
        byte[] lying = NpyTest.rawBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (6, 3, 8), }", new byte[6 * 3 * 8 * 4]);
        lying[8] += 4;
        Files.write(dir.resolve("lying.npy"), lying);
        Files.write(dir.resolve("cut.npy"), Arrays.copyOf(lying, 50));
        Files.writeString(dir.resolve("text.npy"), "q,k,v\n1,2,3\n");
        Files.createDirectory(dir.resolve("folder.npy"));
    }

    @ParameterizedTest
    @CsvSource(delimiterString = "=>", value = {
            "--q DIR/none.npy      => --q DIR/none.npy: no such file",
            "--q DIR/folder.npy    => --q DIR/folder.npy: is a directory, not an .npy file",
            "--q DIR/text.npy      => --q DIR/text.npy: not an .npy file (it does not start with \\x93NUMPY)",
            "--q DIR/cut.npy       => --q DIR/cut.npy: the header is cut off: its length field says 122 bytes, but the file ends 40 bytes after it",
            "--q DIR/lying.npy     => --q DIR/lying.npy: malformed header: unexpected characters after the dict, from character 118 (does the header length field lie?): {'descr': '<f4', 'fortran_order': False, 'shape': (6, 3, 8), } ....",
            "--q DIR/truncated.npy => --q DIR/truncated.npy: the data is truncated: shape (6, 3, 8) of float32 needs 576 bytes after the header, the file has 100",
            "--q DIR/f8.npy        => --q DIR/f8.npy: unsupported dtype '<f8' (float64); expected '<f4' (float32)",
            "--q DIR/q6h.npy       => --q DIR/q6h.npy: unsupported dtype '<f2' (float16); expected '<f4' (float32)",
            "--k DIR/f8.npy        => --k DIR/f8.npy: unsupported dtype '<f8' (float64); expected '<f4' (float32) or '<f2' (float16)",
            "--q DIR/fortran.npy   => --q DIR/fortran.npy: Fortran order (fortran_order: True) is refused, not transposed; save a C-order array (numpy.ascontiguousarray)",
            "--q DIR/rank2.npy     => --q DIR/rank2.npy: shape (6, 8) has rank 2; expected [T, i, d] (rank 3)",
            "--v DIR/rank4.npy     => --v DIR/rank4.npy: shape (1, 6, 3, 8) has rank 4; expected [G, j, d] (rank 3)",
            "--q DIR/zero.npy      => --q DIR/zero.npy: shape (6, 0, 8) has a zero-sized dimension; expected [T, i, d], each at least 1",
            "--k DIR/zero.npy      => --k DIR/zero.npy: shape (6, 0, 8) has a zero-sized dimension; expected [G, j, d], each at least 1",
            "--k DIR/k2d4.npy      => --k DIR/k2d4.npy: head dimension d = 4 (the last axis) does not match --q's d = 8",
            "--v DIR/v2j6.npy      => --v DIR/v2j6.npy: shape (2, 6, 8) differs from --k's (2, 5, 8); K and V must both be [G, j, d]",
            "--v DIR/k4.npy        => --v DIR/k4.npy: shape (4, 5, 8) differs from --k's (2, 5, 8); K and V must both be [G, j, d]",
            "--k DIR/k4.npy --v DIR/k4.npy => --k DIR/k4.npy: G = 4 key/value heads do not divide --q's T = 6 query heads",
            "--heads 7         => --heads must be in [1, 6], --q's T (was 7)",
            "--heads 0         => --heads must be >= 1 (was 0)",
            "--scale 0         => --scale must be a positive finite number (was 0.0)",
            "--scale -0.5      => --scale must be a positive finite number (was -0.5)",
            "--scale NaN       => --scale must be a positive finite number (was NaN)",
            "--scale Infinity  => --scale must be a positive finite number (was Infinity)",
            "--scale 1e39      => --scale must be a positive finite float32 (was 1.0E39, Infinity as a float)",
            "--scale 1e-50     => --scale must be a positive finite float32 (was 1.0E-50, 0.0 as a float)",
            "--scale x         => Invalid value for option '--scale': 'x' is not a double",
            "--max-bias 0      => --max-bias must be a positive finite number (was 0.0)",
            "--max-bias -Infinity => --max-bias must be a positive finite number (was -Infinity)",
            "--backend gpu     => --backend: unknown attention backend 'gpu'; known: cpu",
            "--out DIR/none/o.npy  => --out DIR/none/o.npy: directory DIR/none does not exist",
            "--out DIR/folder.npy  => --out DIR/folder.npy: is a directory",
            "--out DIR/sub/    => --out DIR/sub/: names a directory; name the output file",
    })
    void badInputIsOneLineNamingTheFileOrFlagAndLeavesNoOutput(String flags, String message) throws IOException {
        List<String> a = new ArrayList<>(List.of("attention", "--q", "DIR/q6.npy", "--k", "DIR/k2.npy", "--v", "DIR/v2h.npy", "--out", "DIR/o.npy"));
        String[] given = flags.strip().split(" +");
        for (int n = 0; n < given.length; n += 2) { // replaces a default or adds the flag
            int at = a.indexOf(given[n]);
            if (at >= 0) {
                a.set(at + 1, given[n + 1]);
            } else {
                a.addAll(List.of(given[n], given[n + 1]));
            }
        }
        List<String> before = files(shared);
        CliRun run = CliRun.of(a.stream().map(arg -> arg.replace("DIR", shared.toString())).toArray(String[]::new));
        assertEquals(Main.BAD_INPUT, run.exitCode(), run.out() + run.err());
        assertEquals("alibi4j: " + message.strip().replace("DIR", shared.toString()) + "\n", run.err());
        assertEquals("", run.out());
        assertEquals(before, files(shared), "no output file, no temporary file");
    }

    @Test
    void theGoodVariantsRunSoTheCasesAboveFailForTheirOwnReason() {
        CliRun run = CliRun.of("attention", "--q", shared.resolve("q6.npy").toString(), "--k", shared.resolve("k2.npy").toString(),
                "--v", shared.resolve("v2h.npy").toString(), "--out", dir.resolve("o.npy").toString());
        assertEquals(0, run.exitCode(), run.err());
    }

    @Test
    void anEmptyBackendNameIsUnknown() {
        CliRun run = CliRun.of("attention", "--q", shared.resolve("q6.npy").toString(), "--k", shared.resolve("k2.npy").toString(),
                "--v", shared.resolve("v2h.npy").toString(), "--out", dir.resolve("o.npy").toString(), "--backend", "");
        assertEquals(Main.BAD_INPUT, run.exitCode());
        assertEquals("alibi4j: --backend: unknown attention backend ''; known: cpu\n", run.err());
    }

    @Test
    void anUnreadableFileIsNamed() throws IOException {
        Path q = Files.copy(shared.resolve("q6.npy"), dir.resolve("q6.npy"));
        Files.setPosixFilePermissions(q, PosixFilePermissions.fromString("---------"));
        assumeFalse(Files.isReadable(q), "this user reads files whatever their permissions (root)");
        CliRun run = CliRun.of("attention", "--q", q.toString(), "--k", shared.resolve("k2.npy").toString(),
                "--v", shared.resolve("v2h.npy").toString(), "--out", dir.resolve("o.npy").toString());
        assertEquals(Main.BAD_INPUT, run.exitCode());
        assertEquals("alibi4j: --q " + q + ": cannot read: permission denied\n", run.err());
    }

    private static List<String> files(Path dir) throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
