package org.alibi4j.attention.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.alibi4j.BackendStatus;
import org.alibi4j.attention.AttentionBackends;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Which kernels a JVM gets, with and without the Vector API module, on the class path and on the module
 * path (where the core's descriptor says {@code requires static jdk.incubator.vector}), and what it says
 * about it.
 */
class VectorizationFallbackTest {

    enum LibraryPath { CLASS_PATH, MODULE_PATH }

    @Test
    void thisJvmHasTheModuleAndUsesTheVectorKernels() {
        BackendStatus cpu = AttentionBackends.statuses().stream().filter(s -> s.name().equals("cpu")).findFirst().orElseThrow();
        assertTrue(cpu.detail().contains("Vector API"), cpu.detail());
        assertTrue(Vectorization.fallbackReason().isEmpty());
    }

    @ParameterizedTest
    @EnumSource(LibraryPath.class)
    void withoutTheModuleTheBackendRunsPlainJavaAndSaysHowToEnableIt(LibraryPath path) throws Exception {
        String cpu = runStatus(path, false);
        assertTrue(cpu.contains("plain Java"), cpu);
        assertTrue(cpu.contains("--add-modules jdk.incubator.vector"), cpu);
    }

    @ParameterizedTest
    @EnumSource(LibraryPath.class)
    void withTheModuleTheBackendRunsTheVectorKernels(LibraryPath path) throws Exception {
        String cpu = runStatus(path, true);
        assertTrue(cpu.contains("Vector API"), cpu);
    }

    /**
     * Runs {@link CpuAttentionStatus} in a new JVM with the library's classes and the test classes on
     * {@code path}, checks that the library ran in the module it should, and returns the CPU backend's status line.
     */
    private static String runStatus(LibraryPath path, boolean vectorModule)
            throws IOException, InterruptedException, URISyntaxException {
        String classes = location(Vectorization.class);
        String testClasses = location(CpuAttentionStatus.class);
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        if (vectorModule) {
            command.addAll(List.of("--add-modules", Vectorization.MODULE));
        }
        if (path == LibraryPath.MODULE_PATH) {
            command.addAll(List.of("--module-path", classes, "--patch-module", "org.alibi4j=" + testClasses,
                    "--module", "org.alibi4j/" + CpuAttentionStatus.class.getName()));
        } else {
            command.addAll(List.of("-cp", classes + java.io.File.pathSeparator + testClasses, CpuAttentionStatus.class.getName()));
        }
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), String.join(" ", command) + "\n" + output);
        String module = path == LibraryPath.MODULE_PATH ? "org.alibi4j" : "unnamed";
        assertEquals(List.of("module: " + module), output.lines().filter(l -> l.startsWith("module: ")).toList(), output);
        List<String> cpu = output.lines().filter(l -> l.startsWith("cpu: ")).toList();
        assertEquals(1, cpu.size(), output);
        return cpu.get(0);
    }

    /** The folder or jar a class was loaded from (a patched module's classes keep their own). */
    private static String location(Class<?> type) throws URISyntaxException {
        return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }
}
