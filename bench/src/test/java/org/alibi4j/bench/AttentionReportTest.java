package org.alibi4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.junit.jupiter.api.Test;

/** The attention section's arithmetic: FLOPs, bytes, fractions and speed-ups from known times. */
class AttentionReportTest {

    private static Report.Row row(String benchmark, String method, String shape, String kv, double ms) {
        return new Report.Row(benchmark, method, Map.of("shape", shape, "kv", kv, "threads", "2"), ms / 1e3, 0, ms, 0, "ms/op");
    }

    private static String line(String md, String start) {
        return md.lines().filter(l -> l.startsWith(start)).findFirst().orElseThrow(() -> new AssertionError("no line " + start + " in\n" + md));
    }

    @Test
    void prefillRowQuotesPeakMaterialiseAndPeer() {
        // P1: 4 * 32 * 2048 * 2048 * 128 / 2 = 34.36 GFLOP; the probe does 2 * 3 * 2^32 = 25.77 GFLOP a call
        List<Report.Row> rows = List.of(
                row("AttentionBenchmark", "fused", "P1", "F32", 343.6),
                row("AttentionBenchmark", "fmaPeakBaseline", "P1", "F32", 128.8),
                row("AttentionBenchmark", "materializeThenAttendBaseline", "P1", "F32", 687.2),
                row("AttentionBenchmark", "plainJava", "P1", "F32", 3436));
        Properties peer = new Properties();
        peer.setProperty("P1.F32.ms", "1374.4");
        peer.setProperty("torch", "1.13.0a0 (Debian python3-torch 1.13.1+dfsg-4)");
        peer.setProperty("cpu", "AMD EPYC");
        peer.setProperty("blas", "libopenblasp-r0.3.21.so (system)");
        Properties sdpa = new Properties();
        sdpa.setProperty("P1.F32.ms", "515.4");
        sdpa.setProperty("torch", "2.13.0+cpu");
        sdpa.setProperty("form", "scaled_dot_product_attention, ALiBi (and the causal -inf) as a float attn_mask");
        StringBuilder md = new StringBuilder();
        new AttentionReport(rows, Map.of("AttentionBenchmark shape=P1 kv=F32 threads=2 fused", "Vector API 512-bit (16 floats)"),
                List.of(new AttentionReport.Peer(peer, "bench/pytorch-cpu.properties"),
                        new AttentionReport.Peer(sdpa, "bench/pytorch2-cpu.properties")), "AMD EPYC").append(md);
        String p1 = line(md.toString(), "| P1 ");
        // fused 100.0 GFLOP/s against a peak of 200.1: 0.50; 2x materialise, 10x plain Java, 4x PyTorch
        assertTrue(p1.contains("| 100.0 | 200.1 | 0.50 |"), p1);
        assertTrue(p1.contains("| 2.00x |"), p1);
        assertTrue(p1.contains("| 10.00x |"), p1);
        assertTrue(p1.endsWith("| 1374.40 ms | 4.00x | 515.40 ms | 1.50x |"), p1);
        Properties elsewhere = new Properties();
        elsewhere.setProperty("P1.F32.ms", "1000");
        elsewhere.setProperty("cpu", "Intel(R) Xeon(R) Processor");
        StringBuilder other = new StringBuilder();
        new AttentionReport(rows, Map.of(), List.of(new AttentionReport.Peer(elsewhere, "x.properties")), "AMD EPYC").append(other);
        assertTrue(line(other.toString(), "| P1 ").endsWith("| 1000.00 ms | other CPU |"), other.toString()); // no cross-machine ratio
        assertTrue(md.toString().contains("| PyTorch 1.13.0a0 BLOOM eager | vs PyTorch 1.13.0a0 BLOOM eager | PyTorch 2.13.0+cpu SDPA |"),
                md.toString());
        assertTrue(md.toString().contains("`fused`: Vector API 512-bit (16 floats)"), md.toString());
        assertTrue(md.toString().contains("libopenblasp-r0.3.21.so"), md.toString());
    }

    private static Report.Row tornado(String benchmark, String method, String shape, double ms) {
        return new Report.Row(benchmark, method, Map.of("shape", shape), ms / 1e3, 0, ms, 0, "ms/op");
    }

    @Test
    void tornadoPrefillIsAFractionOfTheDeviceFmaLoop() {
        // P3: 4 * 16 * 512 * 512 * 64 = 1.074 GFLOP; the FMA loop: 2 * 2^20 * 8 * 1024 = 17.18 GFLOP
        List<Report.Row> rows = List.of(
                tornado("TornadoAttentionBenchmark", "tornadoAttention", "P3", 10.737),
                tornado("TornadoAttentionBenchmark", "deviceFmaBaseline", "P3", 85.9),
                tornado("TornadoAttentionBenchmark", "cpuAttention", "P3", 32.2));
        StringBuilder md = new StringBuilder();
        new AttentionReport(rows, Map.of(), List.of()).append(md);
        String p3 = line(md.toString(), "| P3 ");
        // 100.0 GFLOP/s against the loop's 200.0: 0.50; the CPU 3x slower
        assertTrue(p3.contains("| 100.0 | 200.0 | 0.50 | 32.20 ± 0.00 ms | 3.00x |"), p3);
        assertTrue(md.toString().contains("## Fused ALiBi attention on TornadoVM"), md.toString());
        assertTrue(!md.toString().contains("on the CPU\n"), "no CPU section without CPU rows");
    }

    @Test
    void tornadoDecodeIsAFractionOfTheDeviceCopyAndTheCacheIsComparedWithTheStatelessCall() {
        // D2: K and V read 2 * 8 * 32768 * 128 * 4 = 268.4 MB; the copy moves twice that
        List<Report.Row> rows = List.of(
                tornado("TornadoDecodeBenchmark", "tornadoAttention", "D2", 2.684),
                tornado("TornadoDecodeBenchmark", "deviceCopyBaseline", "D2", 2.684),
                tornado("TornadoDecodeBenchmark", "kvCache", "D2", 5.368),
                tornado("TornadoDecodeBenchmark", "statelessDecode", "D2", 53.68),
                tornado("TornadoDecodeBenchmark", "cpuAttention", "D2", 20));
        StringBuilder md = new StringBuilder();
        new AttentionReport(rows, Map.of(), List.of()).append(md);
        String d2 = line(md.toString(), "| D2 ");
        // 100 GB/s read against a copy of 200 GB/s (read + write): 0.50; the cache at 50 GB/s, 0.25, 10x the stateless call
        assertTrue(d2.contains("| 2.68 ± 0.00 ms | 100.0 | 200.0 | 0.50 | 5.37 ± 0.00 ms | 0.25 | 53.68 ± 0.00 ms | 10.00x | 20.00 ± 0.00 ms |"),
                d2);
        assertEquals(2 * AttentionShape.D2.decodeBytes(4), DeviceBaselines.copyBytes(AttentionShape.D2));
    }

    @Test
    void decodeRowCountsEachKeyValueHeadOnceAndHalvesAsTwoBytes() {
        // D2 with halves: 2 * 8 * 32768 * 128 * 2 bytes = 134.2 MB
        List<Report.Row> rows = List.of(
                row("DecodeBenchmark", "fused", "D2", "F16", 13.42),
                row("DecodeBenchmark", "readBandwidthBaseline", "D2", "F16", 10.736));
        StringBuilder md = new StringBuilder();
        new AttentionReport(rows, Map.of(), List.of(new AttentionReport.Peer(null, "bench/pytorch-cpu.properties"))).append(md);
        String d2 = line(md.toString(), "| D2 ");
        assertTrue(d2.contains("| 10.0 | 12.5 | 0.80 |"), d2);
        assertTrue(d2.endsWith("| 0.80 | - | - |"), d2); // no plain-Java row, no peer file
        assertEquals(134_217_728L, AttentionShape.D2.decodeBytes(2));
    }
}
