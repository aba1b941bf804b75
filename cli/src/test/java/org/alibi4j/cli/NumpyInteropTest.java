package org.alibi4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.alibi4j.AlibiSlopes;
import org.alibi4j.BiasForm;
import org.alibi4j.attention.AttentionSpec;
import org.alibi4j.attention.HeadTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * NumPy writes the inputs ({@code np.save}, a float16 K with a version 3.0 header, a V with a version 2.0 header),
 * {@code alibi4j attention} runs, and NumPy reads the output with {@code numpy.load} and checks it against its own
 * float64 attention (src/test/resources/numpy_attention.py). Skipped where python3 has no numpy.
 */
class NumpyInteropTest {

    private record Python(int exitCode, String output) {
    }

    private static Python python(String... args) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(List.of(args)).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(2, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IllegalStateException("python3 did not finish: " + output);
        }
        return new Python(process.exitValue(), output);
    }

    private static boolean numpyAvailable() {
        try {
            return python("python3", "-c", "import numpy").exitCode() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    @Test
    void numpyWritesTheInputsAndReadsTheOutput(@TempDir Path dir) throws Exception {
        assumeTrue(numpyAvailable(), "python3 with numpy is not installed here (Debian: apt-get install python3-numpy)");
        String script = script();
        Python write = python("python3", script, "write", dir.toString());
        assertEquals(0, write.exitCode(), write.output());

        CliRun run = CliRun.of("attention", "--q", dir.resolve("q.npy").toString(), "--k", dir.resolve("k.npy").toString(),
                "--v", dir.resolve("v.npy").toString(), "--out", dir.resolve("o.npy").toString(),
                "--heads", "5", "--causal", "--scale", "0.3", "--max-bias", "6");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("[6, 7, 24] float32, 5 of 6 heads biased, 3 key/value heads, 11 keys, causal"), run.out());

        // the headers NumPy wrote: version 1.0 (np.save), 3.0 and 2.0 (write_array)
        assertEquals(List.of(1, 3, 2), List.of(Files.readAllBytes(dir.resolve("q.npy"))[6] & 0xff,
                Files.readAllBytes(dir.resolve("k.npy"))[6] & 0xff, Files.readAllBytes(dir.resolve("v.npy"))[6] & 0xff));
        Npy.Array q = Npy.read(dir.resolve("q.npy"), EnumSet.of(Npy.Dtype.F4));
        Npy.Array k = Npy.read(dir.resolve("k.npy"), EnumSet.allOf(Npy.Dtype.class));
        Npy.Array v = Npy.read(dir.resolve("v.npy"), EnumSet.allOf(Npy.Dtype.class));
        assertEquals(Npy.Dtype.F2, k.dtype());
        assertArrayEquals(new long[] {3, 11, 24}, v.shape());
        float[] o = Npy.read(dir.resolve("o.npy"), EnumSet.of(Npy.Dtype.F4)).floats();
        AttentionSpec spec = new AttentionSpec(AlibiSlopes.forHeads(5, 6), 6, 3, 24, 0.3f, BiasForm.CAUSAL);
        AttentionAssertions.assertWithinBound(spec, HeadTensor.of(q.floats(), 6, 7, 24), HeadTensor.ofHalves(k.halves(), 3, 11, 24),
                HeadTensor.of(v.floats(), 3, 11, 24), o);

        Python check = python("python3", script, "check", dir.toString());
        assertEquals(0, check.exitCode(), check.output());
        assertTrue(check.output().startsWith("numpy.load: (6, 7, 24) float32, max |error| against NumPy's float64 attention "),
                check.output());
    }

    private static String script() throws URISyntaxException {
        return Path.of(NumpyInteropTest.class.getResource("/numpy_attention.py").toURI()).toString();
    }
}
