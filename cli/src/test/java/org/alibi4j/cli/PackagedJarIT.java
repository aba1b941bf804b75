package org.alibi4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import javax.imageio.ImageIO;

import org.alibi4j.AlibiSlopes;
import org.alibi4j.BiasForm;
import org.alibi4j.attention.AttentionSpec;
import org.alibi4j.attention.HeadTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs target/alibi4j.jar as a user would, with {@code java -jar}, and through the launcher scripts/alibi4j. */
class PackagedJarIT {

    private static CliRun java(String... args) throws IOException, InterruptedException {
        String jar = System.getProperty("alibi4j.cli.jar");
        assertTrue(jar != null && Files.isRegularFile(Path.of(jar)), "the packaged jar: " + jar);
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        int split = List.of(args).indexOf("--");
        command.addAll(List.of(args).subList(0, Math.max(0, split))); // JVM options before "--"
        command.add("-jar");
        command.add(jar);
        command.addAll(List.of(args).subList(split + 1, args.length));
        return run(command);
    }

    /** Runs scripts/alibi4j, the launcher, with {@code args}. */
    private static CliRun launcher(String... args) throws IOException, InterruptedException {
        String launcher = System.getProperty("alibi4j.cli.launcher");
        assertTrue(launcher != null && Files.isExecutable(Path.of(launcher)), "the launcher: " + launcher);
        List<String> command = new ArrayList<>(List.of(launcher));
        command.addAll(List.of(args));
        return run(command);
    }

    private static CliRun run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(2, TimeUnit.MINUTES));
        return new CliRun(process.exitValue(), out, err);
    }

    @Test
    void smokePassesOnTheDefaultBackend() throws Exception {
        CliRun run = java("--", "smoke");
        assertEquals(0, run.exitCode(), run.out() + run.err());
        assertTrue(run.out().contains("smoke: all bias cases bit-identical to the reference"), run.out());
        assertTrue(run.out().contains("smoke: all attention cases within the float64 reference's bound"), run.out());
        assertTrue(run.out().contains("cpu ") && run.out().contains("cache growth"), run.out());
        assertTrue(run.out().contains("plain Java") && run.out().contains("decode, f16 position-major"), run.out());
    }

    @Test
    void smokeRunsTheModelCheckpointsFromTheJar() throws Exception {
        CliRun run = java("--", "smoke");
        assertTrue(run.out().contains("smoke: every checkpoint agrees with transformers"), run.out());
        assertEquals("", run.err(), "no JVM warning (native access, logging) on standard error");
    }

    @Test
    void theLauncherGeneratesFromACheckpointWithNothingElseOnStandardError() throws Exception {
        Path model = Path.of("../models/src/test/resources/models/mpt-f32").toAbsolutePath();
        CliRun run = launcher("generate", "--model", model.toString(), "--prompt", "Naïve brûlée, 東京.", "--max-new-tokens", "12", "--format", "json");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("\"tokens\":[55,390,56,263,357,242]"), run.out()); // transformers' greedy tokens, to the eos
        assertTrue(run.err().matches("alibi4j: prompt 19 tokens at [0-9.]+ tokens/s; generated 6 at [0-9.]+ tokens/s \\(stopped at the end-of-sequence "
                + "token; attention on cpu\\)\n"), run.err());
        CliRun bad = launcher("generate", "--model", model.toString(), "--tokens", "1,x");
        assertEquals(2, bad.exitCode());
        assertEquals("alibi4j: --tokens: 'x' (item 2) is not a token id (a whole number)\n", bad.err());
    }

    @Test
    void versionComesFromTheManifestBuild() throws Exception {
        CliRun run = java("--", "--version");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().matches("alibi4j \\d+\\.\\d+\\.\\d+\\S* \\(Java .*\\)\\n"), run.out());
    }

    @Test
    void badInputIsOneLineWithoutAStackTrace() throws Exception {
        CliRun run = java("--", "bias", "--heads", "0", "-i", "1", "-j", "1");
        assertEquals(2, run.exitCode());
        assertEquals("alibi4j: --heads must be >= 1 (was 0)\n", run.err());
    }

    @Test
    void aTensorLargerThanTheHeapIsRefusedByName() throws Exception {
        CliRun run = java("-Xmx256m", "--", "bias", "--heads", "64", "-i", "2048", "-j", "2048");
        assertEquals(2, run.exitCode(), run.err());
        assertTrue(run.err().startsWith("alibi4j: -i/-j: a 64 x 2048 x 2048 tensor needs 1073741824 bytes; this JVM's heap is "), run.err());
        assertFalse(run.err().contains("\tat "), run.err());
        assertEquals(1, run.err().lines().count(), run.err());
    }

    /** Q [6, 9, 40] float32 (version 1.0), K [2, 12, 40] float16, V [2, 12, 40] float32 (version 2.0), in {@code dir}. */
    private static HeadTensor[] attentionInputs(Path dir) throws IOException {
        SplittableRandom random = new SplittableRandom(42);
        float[] q = AttentionAssertions.values(random, 6 * 9 * 40, 2);
        short[] k = AttentionAssertions.halves(AttentionAssertions.values(random, 2 * 12 * 40, 2));
        float[] v = AttentionAssertions.values(random, 2 * 12 * 40, 1);
        Npy.writeFloats(dir.resolve("q.npy"), new long[] {6, 9, 40}, q);
        Npy.write(dir.resolve("k.npy"), Npy.Dtype.F2, 1, new long[] {2, 12, 40}, null, k);
        Npy.write(dir.resolve("v.npy"), Npy.Dtype.F4, 2, new long[] {2, 12, 40}, v, null);
        return new HeadTensor[] {HeadTensor.of(q, 6, 9, 40), HeadTensor.ofHalves(k, 2, 12, 40), HeadTensor.of(v, 2, 12, 40)};
    }

    private static String[] attentionArgs(Path dir, String out) {
        return new String[] {"attention", "--q", dir.resolve("q.npy").toString(), "--k", dir.resolve("k.npy").toString(),
                "--v", dir.resolve("v.npy").toString(), "--out", dir.resolve(out).toString(), "--causal", "--heads", "5"};
    }

    private static void assertAttentionOutput(HeadTensor[] in, Path out) throws IOException {
        Npy.Array o = Npy.read(out, EnumSet.of(Npy.Dtype.F4));
        assertArrayEquals(new long[] {6, 9, 40}, o.shape());
        AttentionSpec spec = new AttentionSpec(AlibiSlopes.forHeads(5), 6, 2, 40, AttentionSpec.defaultScale(40), BiasForm.CAUSAL);
        AttentionAssertions.assertWithinBound(spec, in[0], in[1], in[2], o.floats());
    }

    @Test
    void attentionRoundTripWithoutTheVectorModuleRunsThePlainJavaKernels(@TempDir Path dir) throws Exception {
        HeadTensor[] in = attentionInputs(dir);
        CliRun run = java(Stream.concat(Stream.of("--"), Stream.of(attentionArgs(dir, "o.npy"))).toArray(String[]::new));
        assertEquals(0, run.exitCode(), run.err());
        assertEquals("", run.err());
        assertTrue(run.out().matches("wrote \\S+o\\.npy: \\[6, 9, 40\\] float32, 5 of 6 heads biased, 2 key/value heads, 12 keys, causal"
                + " \\(cpu, Java \\d+, \\d+ threads?, plain Java; \\d+\\.\\d ms\\)\n"), run.out());
        assertAttentionOutput(in, dir.resolve("o.npy"));
    }

    @Test
    void attentionRoundTripWithTheVectorModuleRunsTheVectorKernels(@TempDir Path dir) throws Exception {
        HeadTensor[] in = attentionInputs(dir);
        CliRun run = java(Stream.concat(Stream.of("--add-modules", "jdk.incubator.vector", "--"), Stream.of(attentionArgs(dir, "o.npy")))
                .toArray(String[]::new));
        assertEquals(0, run.exitCode(), run.err());
        assertEquals("WARNING: Using incubator modules: jdk.incubator.vector\n", run.err()); // the JVM's, at start-up
        assertTrue(run.out().contains(", Vector API "), run.out());
        assertAttentionOutput(in, dir.resolve("o.npy"));
    }

    @Test
    void theLauncherRunsTheVectorKernelsAndKeepsErrorsToOneLine(@TempDir Path dir) throws Exception {
        HeadTensor[] in = attentionInputs(dir);
        CliRun run = launcher(attentionArgs(dir, "o.npy"));
        assertEquals(0, run.exitCode(), run.err());
        assertEquals("", run.err(), "the launcher drops the JVM's incubator notice");
        assertTrue(run.out().contains(", Vector API "), run.out());
        assertAttentionOutput(in, dir.resolve("o.npy"));

        CliRun bad = launcher("attention", "--q", dir.resolve("none.npy").toString(), "--k", "k", "--v", "v", "--out", dir.resolve("x.npy").toString());
        assertEquals(2, bad.exitCode());
        assertEquals("alibi4j: --q " + dir.resolve("none.npy") + ": no such file\n", bad.err());
        assertFalse(Files.exists(dir.resolve("x.npy")));
    }

    @Test
    void attentionInputsLargerThanTheHeapAreRefusedBeforeTheyAreRead(@TempDir Path dir) throws Exception {
        attentionInputs(dir);
        // a sparse Q of [64, 1024, 40] floats (10 MiB, as long as its shape says) against a 16 MiB heap
        Path q = Files.write(dir.resolve("q.npy"), NpyTest.rawBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (64, 1024, 40), }",
                new byte[0]));
        try (RandomAccessFile file = new RandomAccessFile(q.toFile(), "rw")) {
            file.setLength(file.length() + 64L * 1024 * 40 * 4);
        }
        CliRun run = java(Stream.concat(Stream.of("-Xmx16m", "--"), Stream.of(attentionArgs(dir, "o.npy"))).toArray(String[]::new));
        assertEquals(2, run.exitCode(), run.err());
        assertTrue(run.err().matches("alibi4j: --q/--k/--v: the inputs and the output take 20977280 bytes; this JVM's heap is \\d+ bytes"
                + " \\(raise -Xmx, e\\.g\\. JAVA_OPTS=-Xmx16g scripts/alibi4j \\.\\.\\.\\)\n"), run.err());
        assertFalse(Files.exists(dir.resolve("o.npy")));
    }

    @Test
    void renderWritesAPngWithAPanelPerHead(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("bias.png");
        CliRun run = java("--", "render", "--heads", "3", "--total-heads", "4", "-i", "16", "-j", "24", "--out", png.toString());
        assertEquals(0, run.exitCode(), run.err());
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(2 * (24 * 8 + 6) + 6, image.getWidth()); // 2 x 2 panels of 24 x 16 keys at 8 pixels each
        assertEquals(2 * (16 * 8 + 18 + 6) + 6, image.getHeight());
        // the query at the last position sits on the key at the last position: no penalty, the brightest colour
        int bright = image.getRGB(6 + 24 * 8 - 1, 6 + 18 + 16 * 8 - 1) & 0xffffff;
        int dark = image.getRGB(6, 6 + 18 + 16 * 8 - 1) & 0xffffff; // the first key seen from the last query
        assertEquals(0xfde725, bright);
        assertEquals(0x440154, dark);
    }
}
