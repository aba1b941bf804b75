package org.alibi4j.models.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import org.alibi4j.models.checkpoint.DType;
import org.alibi4j.models.checkpoint.WeightTensor;
import org.junit.jupiter.api.Test;

/** Which kernels a JVM gets, with and without the Vector API module, and what MatMul says about it. */
class VectorizationFallbackTest {

    /**
     * Run in a JVM of its own: prints what MatMul runs, then {@code y} of a small product whose result
     * is exact ({@code [1, 2, 3] . [1, 2, 3] = 14} for each of 70 columns, from each weight type).
     */
    public static void main(String[] args) {
        try (Arena arena = Arena.ofConfined(); MatMul matMul = new MatMul(1)) {
            System.out.println("describe: " + matMul.describe());
            for (DType dtype : DType.values()) {
                float[] w = new float[70 * 3];
                for (int n = 0; n < w.length; n++) {
                    w[n] = n % 3 + 1;
                }
                WeightTensor weight = TestMatrices.tensor(arena, dtype, 70, 3, w);
                float[] y = new float[70];
                matMul.linear(weight, null, new float[] {1, 2, 3}, 1, y);
                boolean all = true;
                for (float v : y) {
                    all &= v == 14;
                }
                System.out.println(dtype + ": " + (all ? "exact" : java.util.Arrays.toString(y)));
            }
        }
    }

    /** Everything this JVM runs, as a class path: its class path, its module path and this class's own location (patched in on the module path). */
    private static String classPath() {
        try {
            return String.join(java.io.File.pathSeparator, System.getProperty("java.class.path"), System.getProperty("jdk.module.path", ""),
                    Path.of(VectorizationFallbackTest.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString(),
                    Path.of(MatMul.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void thisJvmHasTheModuleAndUsesTheVectorKernels() {
        assertTrue(Vectorization.fallbackReason().isEmpty(), () -> Vectorization.fallbackReason().orElseThrow());
        try (MatMul matMul = new MatMul(2)) {
            assertTrue(matMul.describe().startsWith("Vector API "), matMul.describe());
        }
    }

    @Test
    void withoutTheModuleMatMulRunsPlainJavaAndSaysHowToEnableIt() throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(java, "-cp", classPath(), VectorizationFallbackTest.class.getName())
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), output);
        List<String> lines = output.lines().filter(line -> line.startsWith("describe: ")).toList();
        assertEquals(1, lines.size(), output);
        assertTrue(lines.get(0).contains("plain Java, 1 thread: "), output);
        assertTrue(lines.get(0).contains("--add-modules jdk.incubator.vector"), output);
        for (DType dtype : DType.values()) {
            assertTrue(output.contains(dtype + ": exact"), output);
        }
    }
}
