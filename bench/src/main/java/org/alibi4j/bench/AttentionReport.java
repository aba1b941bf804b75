package org.alibi4j.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * The attention sections of {@code RESULTS.md}. On the CPU, per shape and K/V precision: the fused time,
 * its GFLOP/s (prefill) or GB/s read (decode) as a fraction of the same run's baseline (FMA peak, read
 * bandwidth), its speed-up over materialise-then-attend and over the plain-Java kernels, and each PyTorch
 * peer's time (HF BLOOM's eager attention, PyTorch 2's SDPA: the files {@code scripts/pytorch_peer.py
 * --attention --out} writes) with the speed-up over it. On TornadoVM, per shape: the prefill's GFLOP/s as a fraction of the device's
 * FMA loop, a decode step's GB/s (in an engine's graph and through the resident {@code KvCache}) as a
 * fraction of a device copy, the cache against the stateless host call, and the CPU backend beside them.
 * Every ratio is computed from rows of this run, except PyTorch's.
 */
final class AttentionReport {
    static final String PREFILL = "AttentionBenchmark";
    static final String DECODE = "DecodeBenchmark";
    static final String TORNADO_PREFILL = "TornadoAttentionBenchmark";
    static final String TORNADO_DECODE = "TornadoDecodeBenchmark";

    private final List<Report.Row> rows;
    private final Map<String, String> kernels;
    private final List<Peer> peers;
    private final String machine;

    /** One PyTorch peer's figures ({@code P1.F32.ms=...}, {@code torch=...}, {@code blas=...}; null where its file is absent). */
    record Peer(Properties figures, String source) {
        static Peer read(Path file) {
            if (!Files.exists(file)) {
                return new Peer(null, file.toString());
            }
            Properties figures = new Properties();
            try (var in = Files.newBufferedReader(file)) {
                figures.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the PyTorch peer's figures " + file, e);
            }
            return new Peer(figures, file.toString());
        }

        /** Whether the peer ran on a CPU of this model (where it does not say, it is taken to have). */
        boolean onMachine(String cpu) {
            return figures.getProperty("cpu", cpu).equals(cpu);
        }

        /** The column's name, e.g. {@code PyTorch 2.13.0+cpu SDPA}. */
        String label() {
            String torch = figures.getProperty("torch", "?");
            String version = torch.contains(" ") ? torch.substring(0, torch.indexOf(' ')) : torch;
            return "PyTorch " + version + (figures.getProperty("form", "").startsWith("scaled_dot_product_attention") ? " SDPA" : " BLOOM eager");
        }

        String text() {
            if (figures == null) {
                return "no figures (" + source + " not found; see scripts/pytorch_peer.py --attention).";
            }
            return label() + ": " + figures.getProperty("form", "HF BLOOM's attention (`baddbmm`, softmax, `bmm`; GQA by `repeat_interleave`; half K/V widened first)")
                    + ", in PyTorch " + figures.getProperty("torch", "?") + " on the CPU (" + figures.getProperty("cpu", "?") + "), "
                    + figures.getProperty("threads", "?") + " threads, measured " + figures.getProperty("date", "?")
                    + " (not in this run: from `" + source + "`; load average " + figures.getProperty("load", "?")
                    + "), BLAS: `" + figures.getProperty("blas", "?") + "`.";
        }
    }

    AttentionReport(List<Report.Row> rows, Map<String, String> kernels, List<Peer> peers) {
        this(rows, kernels, peers, Report.cpuModel());
    }

    /** {@code machine}: this run's CPU model; a peer measured on another gets no ratio (its figures are not comparable). */
    AttentionReport(List<Report.Row> rows, Map<String, String> kernels, List<Peer> peers, String machine) {
        this.machine = machine;
        this.rows = rows;
        this.kernels = kernels;
        this.peers = peers.stream().filter(p -> p.figures() != null).toList();
    }

    static boolean isAttention(String benchmark) {
        return benchmark.equals(PREFILL) || benchmark.equals(DECODE) || benchmark.equals(TORNADO_PREFILL) || benchmark.equals(TORNADO_DECODE);
    }

    void append(StringBuilder md) {
        appendCpu(md);
        appendTornado(md);
    }

    private boolean ran(String benchmark) {
        return rows.stream().anyMatch(r -> r.benchmark().equals(benchmark));
    }

    private void appendCpu(StringBuilder md) {
        boolean prefill = ran(PREFILL);
        boolean decode = ran(DECODE);
        if (!prefill && !decode) {
            return;
        }
        md.append("\n## Fused ALiBi attention on the CPU\n\n");
        md.append("Each benchmark method runs in its own forked JVM (`--add-modules jdk.incubator.vector`), with the same "
                + "threads (`threads` below) for the backend and every baseline. Kernels that ran: ");
        md.append(kernelsText(what -> !what.startsWith("Tornado"))).append(".\n\n");
        md.append("The PyTorch peers:").append(peerText()).append("\n");
        if (prefill) {
            prefillTable(md);
        }
        if (decode) {
            decodeTable(md);
        }
    }

    /** The kernels recorded for the benchmarks {@code which} accepts (by their record's key), grouped by kernels. */
    private String kernelsText(Predicate<String> which) {
        Map<String, String> recorded = kernels.entrySet().stream().filter(e -> which.test(e.getKey()))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
        if (recorded.isEmpty()) {
            return "not recorded (the forks' record, `KernelLog`, was not found)";
        }
        StringBuilder text = new StringBuilder();
        new TreeSet<>(recorded.values()).forEach(k -> {
            List<String> methods = recorded.entrySet().stream().filter(e -> e.getValue().equals(k))
                    .map(e -> e.getKey().substring(e.getKey().lastIndexOf(' ') + 1)).distinct().sorted().toList();
            text.append(text.isEmpty() ? "" : "; ").append("`").append(String.join("`, `", methods)).append("`: ").append(k);
        });
        return text.toString();
    }

    private String peerText() {
        if (peers.isEmpty()) {
            return "no figures (run `python3 scripts/pytorch_peer.py --attention --out bench/pytorch-cpu`).\n";
        }
        return peers.stream().map(p -> "\n- " + p.text()).collect(Collectors.joining()) + "\n";
    }

    /** The peers' column headers: time and speed-up for each. */
    private String peerHeaders() {
        return peers.stream().map(p -> " " + p.label() + " | vs " + p.label() + " |").collect(Collectors.joining());
    }

    private void prefillTable(StringBuilder md) {
        md.append("\n### Prefill (`AttentionBenchmark`)\n\n");
        md.append("GFLOP/s count `4 T i j d` FLOPs, halved for a causal mask, whatever the kernels skip (the fused kernels skip the product with V of a key tile whose weights all flush to zero, as the seeded inputs' steeper heads give on long rows). `of FMA peak`: fused GFLOP/s over those of "
                + "`fmaPeakBaseline` (independent Vector API FMAs on registers, no loads, same threads; target >= 0.5 on P1). "
                + "`vs materialise`: time of `materializeThenAttendBaseline` (bias, `[T, i, j]` scores, softmax, times V, in "
                + "Vector API Java) over the fused time (target >= 2). `vs plain Java`: the same fused algorithm on the "
                + "plain-Java kernels, over the fused time. `vs PyTorch ...`: that peer's time over the fused time (aim >= 1.5 over PyTorch 2's SDPA); no ratio for a peer measured on another CPU model.\n\n");
        md.append("| shape | K/V | threads | fused | GFLOP/s | FMA peak GFLOP/s | of FMA peak | materialise-then-attend | vs materialise "
                + "| plain-Java kernels | vs plain Java |" + peerHeaders() + "\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|---|").append("---|---|".repeat(peers.size())).append("\n");
        for (Report.Row fused : rows(PREFILL, "fused")) {
            AttentionShape shape = AttentionShape.prefill(fused.params().get("shape"));
            int threads = Integer.parseInt(fused.params().get("threads"));
            double gflops = shape.prefillFlops() / fused.seconds() / 1e9;
            Optional<Report.Row> peak = same(fused, "fmaPeakBaseline");
            Optional<Report.Row> materialized = same(fused, "materializeThenAttendBaseline");
            Optional<Report.Row> plain = same(fused, "plainJava");
            // a compile-time constant: FmaPeak itself (the Vector API) is never loaded in the host JVM
            double peakFlops = (double) FmaPeak.FLOPS_PER_THREAD * threads;
            Optional<Double> peakGflops = peak.map(p -> peakFlops / p.seconds() / 1e9);
            md.append("| ").append(shape.name()).append(" (").append(shape.describe()).append(") | ")
                    .append(fused.params().get("kv")).append(" | ").append(threads).append(" | ")
                    .append(time(fused)).append(" | ").append(String.format("%.1f", gflops)).append(" | ")
                    .append(peakGflops.map(g -> String.format("%.1f", g)).orElse("-")).append(" | ")
                    .append(peakGflops.map(g -> String.format("%.2f", gflops / g)).orElse("-")).append(" | ")
                    .append(materialized.map(AttentionReport::time).orElse("-")).append(" | ")
                    .append(materialized.map(m -> ratio(m.seconds(), fused.seconds())).orElse("-")).append(" | ")
                    .append(plain.map(AttentionReport::time).orElse("-")).append(" | ")
                    .append(plain.map(p -> ratio(p.seconds(), fused.seconds())).orElse("-")).append(" |");
            appendPeer(md, fused);
        }
    }

    private void decodeTable(StringBuilder md) {
        md.append("\n### Decode (`DecodeBenchmark`)\n\n");
        md.append("One step at the last position of a full cache. GB/s read count the K and V bytes the step reads, each "
                + "key/value head once. `of read bandwidth`: fused GB/s over those of `readBandwidthBaseline` (a sum of as "
                + "many bytes of floats with the same threads, Vector API, 8 accumulators; target >= 0.8 on D1). "
                + "`vs plain Java` and `vs PyTorch ...` as for prefill.\n\n");
        md.append("| shape | K/V | threads | fused | GB/s read | read-sum GB/s | of read bandwidth | plain-Java kernels | vs plain Java "
                + "|" + peerHeaders() + "\n");
        md.append("|---|---|---|---|---|---|---|---|---|").append("---|---|".repeat(peers.size())).append("\n");
        for (Report.Row fused : rows(DECODE, "fused")) {
            AttentionShape shape = AttentionShape.decode(fused.params().get("shape"));
            long bytes = shape.decodeBytes(fused.params().get("kv").equals("F16") ? 2 : 4);
            double gbps = bytes / fused.seconds() / 1e9;
            Optional<Double> readGbps = same(fused, "readBandwidthBaseline").map(b -> bytes / b.seconds() / 1e9);
            Optional<Report.Row> plain = same(fused, "plainJava");
            md.append("| ").append(shape.name()).append(" (").append(shape.describe()).append(") | ")
                    .append(fused.params().get("kv")).append(" | ").append(fused.params().get("threads")).append(" | ")
                    .append(time(fused)).append(" | ").append(String.format("%.1f", gbps)).append(" | ")
                    .append(readGbps.map(g -> String.format("%.1f", g)).orElse("-")).append(" | ")
                    .append(readGbps.map(g -> String.format("%.2f", gbps / g)).orElse("-")).append(" | ")
                    .append(plain.map(AttentionReport::time).orElse("-")).append(" | ")
                    .append(plain.map(p -> ratio(p.seconds(), fused.seconds())).orElse("-")).append(" |");
            appendPeer(md, fused);
        }
    }

    private void appendTornado(StringBuilder md) {
        boolean prefill = ran(TORNADO_PREFILL);
        boolean decode = ran(TORNADO_DECODE);
        if (!prefill && !decode) {
            return;
        }
        md.append("\n## Fused ALiBi attention on TornadoVM\n\n");
        md.append("Each method runs in its own forked JVM with TornadoVM's flags, on the device named above. Every ratio is "
                + "against a baseline run on the same device in the same run. The CPU backend's kernels in those forks: ")
                .append(kernelsText(what -> what.startsWith("Tornado"))).append(".\n");
        if (prefill) {
            tornadoPrefillTable(md);
        }
        if (decode) {
            tornadoDecodeTable(md);
        }
    }

    private void tornadoPrefillTable(StringBuilder md) {
        md.append("\n### Prefill (`TornadoAttentionBenchmark`)\n\n");
        md.append("`device`: the tiled prefill task in an engine's graph, Q, K and V on the device, the output left there. "
                + "GFLOP/s as on the CPU. `of FMA loop`: its GFLOP/s over those of `deviceFmaBaseline` (" + DeviceBaselines.FMA_WORK_ITEMS
                + " work-items, each " + DeviceBaselines.FMA_CHAINS + " independent chains of " + DeviceBaselines.FMA_STEPS
                + " OpenCL `fma`s on registers). `CPU backend`: the `cpu` attention backend on the same values (in a fork with "
                + "TornadoVM's JVM flags); `device vs CPU`: its time over the device's.\n\n");
        md.append("| shape | device | GFLOP/s | FMA loop GFLOP/s | of FMA loop | CPU backend | device vs CPU |\n");
        md.append("|---|---|---|---|---|---|---|\n");
        for (Report.Row device : rows(TORNADO_PREFILL, "tornadoAttention")) {
            AttentionShape shape = AttentionShape.prefill(device.params().get("shape"));
            double gflops = shape.prefillFlops() / device.seconds() / 1e9;
            Optional<Double> fmaGflops = same(device, "deviceFmaBaseline").map(b -> DeviceBaselines.FMA_FLOPS / b.seconds() / 1e9);
            Optional<Report.Row> cpu = same(device, "cpuAttention");
            md.append("| ").append(shape.name()).append(" (").append(shape.describe()).append(") | ").append(time(device)).append(" | ")
                    .append(String.format("%.1f", gflops)).append(" | ")
                    .append(fmaGflops.map(g -> String.format("%.1f", g)).orElse("-")).append(" | ")
                    .append(fmaGflops.map(g -> String.format("%.2f", gflops / g)).orElse("-")).append(" | ")
                    .append(cpu.map(AttentionReport::time).orElse("-")).append(" | ")
                    .append(cpu.map(c -> ratio(c.seconds(), device.seconds())).orElse("-")).append(" |\n");
        }
    }

    private void tornadoDecodeTable(StringBuilder md) {
        md.append("\n### Decode (`TornadoDecodeBenchmark`)\n\n");
        md.append("One step at the last position of a full cache of floats. GB/s read count the K and V bytes the step reads, each "
                + "key/value head once. `copy GB/s`: `deviceCopyBaseline`, as many floats as K and V copied from one device buffer to "
                + "another, bytes read plus bytes written; `of copy`: a step's GB/s over those. `engine graph`: the decode tasks in an "
                + "engine's graph, caches on the device. `KV cache`: `KvCache.decode` on the `tornado` backend (the cache appended once; "
                + "the query in, the output back). `stateless`: `AlibiAttention.decode` on `tornado`, which copies K and V to the "
                + "device every step; `cache vs stateless`: its time over the cache's.\n\n");
        md.append("| shape | engine graph | GB/s read | copy GB/s | of copy | KV cache | of copy | stateless | cache vs stateless "
                + "| CPU backend |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|\n");
        for (Report.Row engine : rows(TORNADO_DECODE, "tornadoAttention")) {
            AttentionShape shape = AttentionShape.decode(engine.params().get("shape"));
            long bytes = shape.decodeBytes(Float.BYTES);
            Optional<Double> copyGbps = same(engine, "deviceCopyBaseline").map(b -> DeviceBaselines.copyBytes(shape) / b.seconds() / 1e9);
            Optional<Report.Row> cache = same(engine, "kvCache");
            Optional<Report.Row> stateless = same(engine, "statelessDecode");
            Optional<Report.Row> cpu = same(engine, "cpuAttention");
            double gbps = bytes / engine.seconds() / 1e9;
            md.append("| ").append(shape.name()).append(" (").append(shape.describe()).append(") | ").append(time(engine)).append(" | ")
                    .append(String.format("%.1f", gbps)).append(" | ")
                    .append(copyGbps.map(g -> String.format("%.1f", g)).orElse("-")).append(" | ")
                    .append(copyGbps.map(g -> String.format("%.2f", gbps / g)).orElse("-")).append(" | ")
                    .append(cache.map(AttentionReport::time).orElse("-")).append(" | ")
                    .append(cache.flatMap(c -> copyGbps.map(g -> String.format("%.2f", bytes / c.seconds() / 1e9 / g))).orElse("-")).append(" | ")
                    .append(stateless.map(AttentionReport::time).orElse("-")).append(" | ")
                    .append(stateless.flatMap(st -> cache.map(c -> ratio(st.seconds(), c.seconds()))).orElse("-")).append(" | ")
                    .append(cpu.map(AttentionReport::time).orElse("-")).append(" |\n");
        }
    }

    private void appendPeer(StringBuilder md, Report.Row fused) {
        for (Peer peer : peers) {
            String ms = peer.figures().getProperty(fused.params().get("shape") + "." + fused.params().get("kv") + ".ms");
            if (ms == null) {
                md.append(" - | - |");
                continue;
            }
            double seconds = Double.parseDouble(ms) / 1e3;
            md.append(String.format(" %.2f ms", seconds * 1e3)).append(" | ")
                    .append(peer.onMachine(machine) ? ratio(seconds, fused.seconds()) : "other CPU").append(" |");
        }
        md.append("\n");
    }

    private List<Report.Row> rows(String benchmark, String method) {
        return rows.stream().filter(r -> r.benchmark().equals(benchmark) && r.method().equals(method)).toList();
    }

    /** The row of {@code method} with the same benchmark and parameters as {@code row}. */
    private Optional<Report.Row> same(Report.Row row, String method) {
        return rows.stream().filter(r -> r.benchmark().equals(row.benchmark()) && r.method().equals(method)
                && r.params().equals(row.params())).findFirst();
    }

    private static String time(Report.Row row) {
        return String.format("%.2f ± %.2f %s", row.score(), row.error(), row.unit().replace("/op", ""));
    }

    private static String ratio(double slower, double faster) {
        return String.format("%.2fx", slower / faster);
    }
}
