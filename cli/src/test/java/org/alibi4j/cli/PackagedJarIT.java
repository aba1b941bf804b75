package org.alibi4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs target/alibi4j.jar as a user would, with {@code java -jar}. */
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
        assertTrue(run.out().contains("smoke: all cases bit-identical to the reference"), run.out());
        assertTrue(run.out().contains("cpu ") && run.out().contains("cache growth"), run.out());
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
