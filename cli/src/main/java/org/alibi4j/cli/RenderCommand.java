package org.alibi4j.cli;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import javax.imageio.ImageIO;

import org.alibi4j.AlibiPositionalBias;
import org.alibi4j.BiasTensor;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * A PNG heat map: one panel per head, brightest at distance 0 and darkest at the head's most negative
 * bias (each panel has its own scale, since slopes differ by orders of magnitude); masked keys grey.
 */
@Command(name = "render", mixinStandardHelpOptions = true, description = "Draws the bias as a PNG heat map, one panel per head.")
final class RenderCommand implements Callable<Integer> {
    private static final int LABEL = 18;
    private static final int GAP = 6;
    private static final int MAX_PANEL = 384;
    private static final Color MASKED = new Color(200, 200, 200);
    /** Viridis at five stops, dark to bright. */
    private static final int[][] PALETTE = {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model;

    @Option(names = "--out", required = true, description = "The PNG file to write.")
    Path out;

    @Override
    public Integer call() {
        if (out.getParent() != null && !Files.isDirectory(out.getParent())) {
            throw new IllegalArgumentException("--out: directory " + out.getParent() + " does not exist");
        }
        BufferedImage image;
        try (AlibiPositionalBias alibi = model.open()) {
            BiasTensor bias = model.causal ? alibi.forwardCausal(model.i, model.j) : alibi.forward(model.i, model.j);
            image = draw(bias, alibi.slopes().toArray());
        }
        try {
            ImageIO.write(image, "png", out.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("--out: cannot write " + out + ": " + e.getMessage(), e);
        }
        spec.commandLine().getOut().println("wrote " + out + " (" + image.getWidth() + " x " + image.getHeight() + ", "
                + model.shape() + (model.causal ? ", causal" : "") + ")");
        return 0;
    }

    private static BufferedImage draw(BiasTensor bias, float[] slopes) {
        int heads = bias.totalHeads();
        int i = bias.i();
        int j = bias.j();
        int scale = Math.max(1, 192 / Math.max(i, j)); // small tensors get big pixels
        int panelW = Math.min(j * scale, MAX_PANEL);
        int panelH = Math.min(i * scale, MAX_PANEL);
        int columns = (int) Math.ceil(Math.sqrt(heads));
        int rows = (heads + columns - 1) / columns;
        int cellW = Math.max(panelW, 90) + GAP;
        int cellH = panelH + LABEL + GAP;
        BufferedImage image = new BufferedImage(columns * cellW + GAP, rows * cellH + GAP, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, image.getWidth(), image.getHeight());
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int h = 0; h < heads; h++) {
            int x0 = GAP + (h % columns) * cellW;
            int y0 = GAP + (h / columns) * cellH;
            g.setColor(Color.BLACK);
            g.drawString("h" + h + (h < slopes.length ? "  m=" + slopes[h] : "  no bias"), x0, y0 + LABEL - 5);
            float darkest = 0;
            for (int q = 0; q < i; q++) {
                for (int k = 0; k < j; k++) {
                    float v = bias.get(h, q, k);
                    if (Float.isFinite(v)) {
                        darkest = Math.min(darkest, v);
                    }
                }
            }
            for (int y = 0; y < panelH; y++) {
                int q = (int) ((long) y * i / panelH);
                for (int x = 0; x < panelW; x++) {
                    int k = (int) ((long) x * j / panelW);
                    float v = bias.get(h, q, k);
                    int rgb = Float.isFinite(v) ? color(darkest == 0 ? 0 : v / darkest) : MASKED.getRGB();
                    image.setRGB(x0 + x, y0 + LABEL + y, rgb);
                }
            }
        }
        g.dispose();
        return image;
    }

    /** {@code t} 0 (no penalty) is bright, 1 (the largest penalty) is dark. */
    private static int color(float t) {
        double position = (1 - t) * (PALETTE.length - 1);
        int low = Math.min(PALETTE.length - 2, (int) position);
        double f = position - low;
        int rgb = 0;
        for (int c = 0; c < 3; c++) {
            int value = (int) Math.round(PALETTE[low][c] + f * (PALETTE[low + 1][c] - PALETTE[low][c]));
            rgb = (rgb << 8) | value;
        }
        return rgb;
    }
}
