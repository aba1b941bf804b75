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
        for (int h = 0; h < t; h++) {
            out.println("head " + h + (h < slopes.length ? " (slope " + slopes[h] + ")" : " (no bias)"));
            for (int q = 0; q < model.i; q++) {
                StringBuilder row = new StringBuilder("  ");
                int start = (h * model.i + q) * rowLength;
                for (int k = 0; k < rowLength; k++) {
                    row.append(String.format("%11s", Json.number(data[start + k]).replace("Infinity", "inf")));
                }
                out.println(row);
            }
        }
        return 0;
    }
}
