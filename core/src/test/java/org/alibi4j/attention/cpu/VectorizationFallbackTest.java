package org.alibi4j.attention.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import org.alibi4j.attention.AttentionBackends;
import org.alibi4j.BackendStatus;
import org.junit.jupiter.api.Test;

/** Which kernels a JVM gets, with and without the Vector API module, and what it says about it. */
class VectorizationFallbackTest {

    /** Run in a JVM of its own: prints the CPU attention backend's status. */
    public static void main(String[] args) {
        System.out.println(AttentionBackends.statuses().get(0).detail());
    }

    @Test
    void thisJvmHasTheModuleAndUsesTheVectorKernels() {
        BackendStatus cpu = AttentionBackends.statuses().stream().filter(s -> s.name().equals("cpu")).findFirst().orElseThrow();
        assertTrue(cpu.detail().contains("Vector API"), cpu.detail());
        assertTrue(Vectorization.fallbackReason().isEmpty());
    }

    @Test
    void withoutTheModuleTheBackendRunsPlainJavaAndSaysHowToEnableIt() throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), VectorizationFallbackTest.class.getName())
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), output);
        List<String> lines = output.lines().filter(line -> line.startsWith("Java ")).toList();
        assertEquals(1, lines.size(), output);
        assertTrue(lines.get(0).contains("plain Java"), output);
        assertTrue(lines.get(0).contains("--add-modules jdk.incubator.vector"), output);
    }
}
