package org.alibi4j.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

import javax.imageio.ImageIO;

import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.RunResult;

/** Turns JMH results into a Markdown report and a bandwidth chart. */
final class Report {
    static final String BASELINE = "arraysFillBaseline";

    /** Each benchmark class's baseline methods end so: {@code arraysFillBaseline}, {@code deviceFillBaseline}. */
    static boolean isBaseline(String method) {
        return method.endsWith("Baseline");
    }

    /** One measured benchmark method at one set of parameters. */
    record Row(String benchmark, String method, Map<String, String> params, double seconds, double errorSeconds,
               double score, double error, String unit) {

        /**
         * Bytes the operation writes, or 0 where bandwidth means nothing (a cache hit; attention, whose
         * output is small beside what it reads and computes: compared by time with its baseline).
         */
        long bytesWritten() {
            if (!params.containsKey("heads")) {
                return 0;
            }
            long heads = Long.parseLong(params.get("heads"));
            return switch (benchmark) {
                case "MaterializeBenchmark", "FusedAddBenchmark", "TornadoMaterializeBenchmark", "TornadoFusedAddBenchmark",
                     "TornadoHostAddBenchmark" ->
                        heads * sq(params.get("size")) * Float.BYTES;
                // the result's bytes: two per half
                case "TornadoHalfBenchmark" -> heads * sq(params.get("size")) * (method.equals("tornadoHalf") ? 2 : Float.BYTES);
                case "DecodeRowBenchmark", "TornadoDecodeRowBenchmark" -> heads * Long.parseLong(params.get("keys")) * Float.BYTES;
                default -> 0;
            };
        }

        double gigabytesPerSecond() {
            return bytesWritten() / seconds / 1e9;
        }

        String paramText() {
            return params.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(" "));
        }

        private static long sq(String s) {
            long n = Long.parseLong(s);
            return n * n;
        }
    }

    private final List<Row> rows = new ArrayList<>();
    private final List<String> notRun;
    private final Map<String, String> kernels;
    private final List<AttentionReport.Peer> peers;

    /** {@code notRun}: benchmarks that produced no result, each with what it needed. */
    Report(List<RunResult> results, List<String> notRun) {
        this(results, notRun, Map.of(), List.of());
    }

    /**
     * With what the attention section needs besides JMH's numbers: the kernels each fork recorded
     * ({@link KernelLog}) and the PyTorch peers' figures.
     */
    Report(List<RunResult> results, List<String> notRun, Map<String, String> kernels, List<AttentionReport.Peer> peers) {
        this.notRun = List.copyOf(notRun);
        this.kernels = Map.copyOf(kernels);
        this.peers = List.copyOf(peers);
        for (RunResult r : results) {
            BenchmarkParams p = r.getParams();
            String[] name = p.getBenchmark().split("\\.");
            Map<String, String> params = new TreeMap<>();
            for (String key : p.getParamsKeys()) {
                params.put(key, p.getParam(key));
            }
            double score = r.getPrimaryResult().getScore();
            double error = r.getPrimaryResult().getScoreError();
            String unit = r.getPrimaryResult().getScoreUnit();
            double toSeconds = switch (unit) {
                case "s/op" -> 1;
                case "ms/op" -> 1e-3;
                case "us/op" -> 1e-6;
                case "ns/op" -> 1e-9;
                default -> throw new IllegalStateException("unexpected unit " + unit);
            };
            rows.add(new Row(name[name.length - 2], name[name.length - 1], params, score * toSeconds, error * toSeconds,
                    score, Double.isNaN(error) ? 0 : error, unit));
        }
    }

    /** The baseline measured in the same run with the same parameters. */
    private Optional<Row> baselineOf(Row row) {
        return rows.stream()
                .filter(b -> b.benchmark().equals(row.benchmark()) && isBaseline(b.method()) && b.params().equals(row.params()))
                .findFirst();
    }

    String markdown(String mode, String started) {
        StringBuilder md = new StringBuilder();
        md.append("# alibi4j benchmark results\n\n");
        md.append("Written by `scripts/bench.sh ").append(mode).append("` (JMH ").append(jmhVersion()).append(").\n\n");
        md.append("| | |\n|---|---|\n");
        md.append("| date | ").append(started).append(" |\n");
        md.append("| machine | ").append(cpuModel()).append(", ").append(Runtime.getRuntime().availableProcessors())
                .append(" processors, ").append(memory()).append(" |\n");
        md.append("| JDK | ").append(System.getProperty("java.vm.name")).append(' ').append(Runtime.version())
                .append(" (").append(System.getProperty("java.vendor")).append(") |\n");
        String tornado = System.getenv("TORNADOVM_HOME");
        md.append("| TornadoVM | ").append(tornado == null
                ? "not installed (TORNADOVM_HOME unset): no TornadoVM benchmarks in this run"
                : Path.of(tornado).getFileName() + ", device: " + System.getProperty("alibi4j.bench.tornadoDevice", "its default"))
                .append(" |\n\n");
        md.append("Bandwidth is bytes written per second; `vs baseline` is this row's bandwidth over that of a ")
                .append("multi-threaded `Arrays.fill` of the same floats measured in the same run ")
                .append("(time of the baseline over time of the row); for the TornadoVM bias benchmarks the baseline is a ")
                .append("device-side fill of as many floats (`deviceFillBaseline`; the attention ones have baselines of their own, ")
                .append("below), and `CacheHitBenchmark backend=tornado` ")
                .append("serves views of a tensor resident on the device. The machine is shared: trust ratios over times.\n");
        if (!notRun.isEmpty()) {
            md.append("\nNot run (JMH reported an error in their set-up; the run's console output has it):\n\n");
            notRun.forEach(n -> md.append("- ").append(n).append('\n'));
        }

        Map<String, List<Row>> byBenchmark = new LinkedHashMap<>();
        rows.forEach(r -> byBenchmark.computeIfAbsent(r.benchmark(), b -> new ArrayList<>()).add(r));
        for (Map.Entry<String, List<Row>> e : byBenchmark.entrySet()) {
            if (AttentionReport.isAttention(e.getKey())) {
                continue; // their own section, below
            }
            md.append("\n## ").append(e.getKey()).append("\n\n");
            md.append("| parameters | method | time | GB/s written | vs baseline |\n|---|---|---|---|---|\n");
            for (Row row : e.getValue()) {
                md.append("| ").append(row.paramText()).append(" | ").append(row.method()).append(" | ")
                        .append(String.format("%.3f ± %.3f %s", row.score(), row.error(), row.unit())).append(" | ");
                md.append(row.bytesWritten() == 0 ? "-" : String.format("%.2f", row.gigabytesPerSecond())).append(" | ");
                md.append(baselineOf(row).filter(b -> b != row)
                        .map(b -> String.format("%.2f", b.seconds() / row.seconds())).orElse(isBaseline(row.method()) ? "1.00" : "-"));
                md.append(" |\n");
            }
        }
        new AttentionReport(rows, kernels, peers).append(md);
        if (hasChart()) {
            md.append("\n![bandwidth against size](bandwidth.png)\n");
        }
        return md.toString();
    }

    /** Whether any benchmark of the chart ran. */
    boolean hasChart() {
        return PANELS.stream().anyMatch(p -> rows.stream().anyMatch(r -> r.benchmark().equals(p.benchmark())));
    }

    /** One chart panel: a materialise benchmark's bandwidth against size, with its baseline. */
    private record Panel(String benchmark, String title, String baselineMethod, String baselineLabel) {
    }

    private static final List<Panel> PANELS = List.of(
            new Panel("MaterializeBenchmark", "CPU: bias fill vs multi-threaded Arrays.fill (GB/s written)",
                    BASELINE, "Arrays.fill (baseline)"),
            new Panel("TornadoMaterializeBenchmark", "TornadoVM device: bias fill vs device-side fill (GB/s written)",
                    "deviceFillBaseline", "device fill (baseline)"));

    /**
     * Bandwidth against size of the materialise benchmarks, one panel per backend measured (each on its
     * own scale: a GPU and a CPU differ by orders of magnitude), one line per method and head count.
     */
    void writeChart(Path png) throws IOException {
        List<Panel> measured = PANELS.stream()
                .filter(p -> rows.stream().anyMatch(r -> r.benchmark().equals(p.benchmark()))).toList();
        if (measured.isEmpty()) {
            return; // an attention-only run: nothing to draw
        }
        int width = 900;
        int panelHeight = 560;
        BufferedImage image = new BufferedImage(width, panelHeight * Math.max(1, measured.size()), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, image.getHeight());
        for (int p = 0; p < measured.size(); p++) {
            drawPanel(g, measured.get(p), p * panelHeight, width, panelHeight);
        }
        g.dispose();
        ImageIO.write(image, "png", png.toFile());
    }

    /** One line of a panel: a method at one head count. */
    private record Line(String method, String heads) {
        static final Comparator<Line> ORDER = Comparator.comparing(Line::method).thenComparing(Line::heads);

        String label(Panel panel) {
            return (method.equals(panel.baselineMethod()) ? panel.baselineLabel() : method) + ", " + heads + " heads";
        }
    }

    private void drawPanel(Graphics2D g, Panel panel, int y0, int width, int height) {
        Map<Line, TreeMap<Integer, Double>> series = new TreeMap<>(Line.ORDER);
        for (Row row : rows) {
            if (row.benchmark().equals(panel.benchmark())) {
                series.computeIfAbsent(new Line(row.method(), row.params().get("heads")), l -> new TreeMap<>())
                        .put(Integer.parseInt(row.params().get("size")), row.gigabytesPerSecond());
            }
        }
        int left = 80;
        int right = 260;
        int top = y0 + 50;
        int bottom = 70;
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(panel.title(), left, y0 + 30);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        double maxGbps = series.values().stream().flatMap(m -> m.values().stream()).mapToDouble(d -> d).max().orElse(1) * 1.15;
        int minSize = series.values().stream().mapToInt(TreeMap::firstKey).min().orElse(128);
        int maxSize = series.values().stream().mapToInt(TreeMap::lastKey).max().orElse(4096);
        double logMin = Math.log(minSize);
        double logSpan = Math.max(1e-9, Math.log(maxSize) - logMin);
        int plotW = width - left - right;
        int plotH = height - (top - y0) - bottom;
        g.drawRect(left, top, plotW, plotH);
        for (int s = minSize; s <= maxSize; s *= 2) {
            int x = left + (int) ((Math.log(s) - logMin) / logSpan * plotW);
            g.setColor(new Color(230, 230, 230));
            g.drawLine(x, top + 1, x, top + plotH - 1);
            g.setColor(Color.BLACK);
            g.drawString(Integer.toString(s), x - 12, top + plotH + 18);
        }
        g.drawString("i = j (square tensors, log scale)", left + plotW / 2 - 90, top + plotH + 42);
        for (int t = 0; t <= 5; t++) {
            double v = maxGbps * t / 5;
            int y = top + plotH - (int) (v / maxGbps * plotH);
            g.drawString(String.format("%.1f", v), left - 40, y + 4);
        }
        // one colour per head count; the baseline dashed, a second method dotted
        Color[] colors = {new Color(31, 119, 180), new Color(214, 39, 40), new Color(44, 160, 44), new Color(148, 103, 189)};
        List<String> headCounts = series.keySet().stream().map(Line::heads).distinct().sorted().toList();
        List<String> methods = series.keySet().stream().map(Line::method)
                .filter(m -> !m.equals(panel.baselineMethod())).distinct().sorted().toList();
        int n = 0;
        for (Map.Entry<Line, TreeMap<Integer, Double>> s : series.entrySet()) {
            String method = s.getKey().method();
            g.setColor(colors[headCounts.indexOf(s.getKey().heads()) % colors.length]);
            if (method.equals(panel.baselineMethod())) {
                g.setStroke(new BasicStroke(2, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1, new float[] {7, 5}, 0));
            } else if (methods.indexOf(method) > 0) {
                g.setStroke(new BasicStroke(2, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 1, new float[] {1, 4}, 0));
            } else {
                g.setStroke(new BasicStroke(2.5f));
            }
            int px = -1;
            int py = -1;
            for (Map.Entry<Integer, Double> point : s.getValue().entrySet()) {
                int x = left + (int) ((Math.log(point.getKey()) - logMin) / logSpan * plotW);
                int y = top + plotH - (int) (point.getValue() / maxGbps * plotH);
                g.fillOval(x - 3, y - 3, 7, 7);
                if (px >= 0) {
                    g.drawLine(px, py, x, y);
                }
                px = x;
                py = y;
            }
            int ly = top + 20 + n * 22;
            g.drawLine(width - right + 15, ly - 4, width - right + 45, ly - 4);
            g.setColor(Color.BLACK);
            g.drawString(s.getKey().label(panel), width - right + 52, ly);
            n++;
        }
        g.setStroke(new BasicStroke(1));
    }

    private static String jmhVersion() {
        String v = org.openjdk.jmh.runner.Runner.class.getPackage().getImplementationVersion();
        return v == null ? "1.37" : v;
    }

    static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).strip())
                    .findFirst().orElse(System.getProperty("os.arch"));
        } catch (IOException | RuntimeException e) {
            return System.getProperty("os.arch");
        }
    }

    private static String memory() {
        try {
            return Files.readAllLines(Path.of("/proc/meminfo")).stream()
                    .filter(l -> l.startsWith("MemTotal")).map(l -> Long.parseLong(l.replaceAll("\\D", "")) / 1024 / 1024 + " GiB RAM")
                    .findFirst().orElse("? RAM");
        } catch (IOException | RuntimeException e) {
            return "? RAM";
        }
    }
}
