package org.alibi4j.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.util.ListStatistics;

/** How ModelReport reads the results ModelSuite writes. */
class ModelReportTest {

    private static String entry(String method, String context, double score, double... iterations) {
        StringBuilder raw = new StringBuilder();
        for (double v : iterations) {
            raw.append(raw.isEmpty() ? "" : ", ").append(v);
        }
        return """
                {"benchmark": "org.alibi4j.bench.ModelBenchmark.%s",
                 "params": {"context": "%s", "kv": "F32", "model": "bloom-560m", "threads": "2", "weights": "F16"},
                 "primaryMetric": {"score": %s, "scoreError": 1.0, "scoreUnit": "ms/op", "rawData": [[%s]]}}
                """.formatted(method, context, score, raw);
    }

    @Test
    void roundsOfARowAreOneResultOfAllTheirIterations(@TempDir Path dir) throws IOException {
        Path json = dir.resolve("model-decode.json");
        Files.writeString(json, "[" + String.join(",",
                entry("decode", "512", 41, 40, 42),
                entry("decodeReadBaseline", "512", 33, 33, 33),
                entry("decode", "4096", 50, 50, 50),
                entry("decode", "512", 47, 46, 48),
                entry("decodeReadBaseline", "512", 31, 30, 32)) + "]");

        List<ModelReport.Measured> results = ModelReport.Measured.readJson(json);

        assertEquals(3, results.size(), "decode at 512 and 4096, the baseline at 512");
        ModelReport.Measured decode = results.getFirst();
        assertEquals("decode", decode.method());
        assertEquals("512", decode.param("context"));
        assertArrayEquals(new double[] {40, 42, 46, 48}, decode.iterations());
        assertEquals(44, decode.ms(), 1e-12);
        ListStatistics expected = new ListStatistics(new double[] {40, 42, 46, 48});
        assertEquals(expected.getMeanErrorAt(0.999), decode.error(), 1e-12);
        assertArrayEquals(new double[] {33, 33, 30, 32}, results.get(1).iterations());
        assertEquals(50, results.get(2).ms(), 1e-12, "a row run once keeps JMH's score");
        assertEquals(1.0, results.get(2).error(), 1e-12);
    }
}
