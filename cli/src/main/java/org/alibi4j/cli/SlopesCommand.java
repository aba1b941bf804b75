package org.alibi4j.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

import org.alibi4j.AlibiSlopes;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "slopes", mixinStandardHelpOptions = true, description = "Prints the ALiBi slopes of a model.")
final class SlopesCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--heads", required = true, description = "Biased heads.")
    int heads;

    @Option(names = "--max-bias", defaultValue = "8", description = "Maximum bias (default: ${DEFAULT-VALUE}).")
    double maxBias;

    @Option(names = "--format", defaultValue = "text", description = "text or json (default: ${DEFAULT-VALUE}).")
    Format format;

    @Override
    public Integer call() {
        Inputs.atLeastOne("--heads", heads);
        if (!(maxBias > 0) || Double.isInfinite(maxBias)) {
            throw new IllegalArgumentException("--max-bias must be a positive finite number (was " + maxBias + ")");
        }
        float[] slopes = AlibiSlopes.forHeads(heads, maxBias).toArray();
        PrintWriter out = spec.commandLine().getOut();
        if (format == Format.json) {
            out.print("{\"heads\": " + heads + ", \"slopes\": ");
            Json.writeFloats(out, slopes, 0, slopes.length);
            out.println("}");
        } else {
            out.printf("%-6s %s%n", "head", "slope");
            for (int h = 0; h < slopes.length; h++) {
                out.printf("%-6d %s%n", h, Float.toString(slopes[h]));
            }
        }
        return 0;
    }
}
