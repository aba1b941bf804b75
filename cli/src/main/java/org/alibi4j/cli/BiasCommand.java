package org.alibi4j.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

import org.alibi4j.AlibiPositionalBias;
import org.alibi4j.BiasTensor;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "bias", mixinStandardHelpOptions = true, description = "Prints the [total-heads, i, j] ALiBi bias.")
final class BiasCommand implements Callable<Integer> {
    /** Columns are at least this wide (plus the space between them), wider where a value is longer. */
    private static final int MIN_WIDTH = 10;

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model;

    @Option(names = "--format", defaultValue = "text", description = "text or json (default: ${DEFAULT-VALUE}).")
    Format format;

    @Override
    public Integer call() {
        float[] data;
        float[] slopes;
        try (AlibiPositionalBias alibi = model.open()) {
            BiasTensor bias = model.causal ? alibi.forwardCausal(model.i, model.j) : alibi.forward(model.i, model.j);
            data = bias.toArray();
            slopes = alibi.slopes().toArray();
        }
        PrintWriter out = spec.commandLine().getOut();
        int t = model.totalHeads();
        int rowLength = model.j;
        if (format == Format.json) {
            out.print("{\"shape\": [" + t + ", " + model.i + ", " + model.j + "], \"data\": ");
            Json.writeFloats(out, data, 0, data.length);
            out.println("}");
            return 0;
        }
        int headSize = model.i * rowLength;
        for (int h = 0; h < t; h++) {
            out.println("head " + h + (h < slopes.length ? " (slope " + slopes[h] + ")" : " (no bias)"));
            int width = MIN_WIDTH; // one width per head, so its columns line up; a space between columns always
            for (int n = h * headSize; n < (h + 1) * headSize; n++) {
                width = Math.max(width, text(data[n]).length());
            }
            String column = " %" + width + "s";
            for (int q = 0; q < model.i; q++) {
                StringBuilder row = new StringBuilder("  ");
                int start = h * headSize + q * rowLength;
                for (int k = 0; k < rowLength; k++) {
                    row.append(String.format(column, text(data[start + k])));
                }
                out.println(row);
            }
        }
        return 0;
    }

    private static String text(float value) {
        return Json.number(value).replace("Infinity", "inf");
    }
}
