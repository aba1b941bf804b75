package org.alibi4j.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.alibi4j.attention.HeadTensor;
import org.alibi4j.models.AlibiModel;
import org.alibi4j.models.ModelSession;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** The logits of every prompt position from one prefill, as a float32 {@code [n, vocabulary]} .npy file. */
@Command(name = "logits", mixinStandardHelpOptions = true, sortOptions = false,
        description = "The [n, vocabulary] float32 logits of every prompt position from one prefill, written as .npy.")
final class LogitsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    CheckpointInput input;

    @Option(names = "--out", required = true, paramLabel = "L.npy", description = "The logits [n, vocabulary], float32 (replaced if it exists).")
    String outName;

    @Override
    public Integer call() {
        Path out = OutputPath.check("--out", outName);
        long start = System.nanoTime();
        float[] logits;
        int n;
        int vocabulary;
        String where;
        try (AlibiModel model = input.load()) {
            int[] tokens = input.tokens(model);
            n = tokens.length;
            vocabulary = model.spec().vocabulary();
            if (model.spec().maxPositions() > 0 && n > model.spec().maxPositions()) {
                throw new IllegalArgumentException("the prompt's " + n + " tokens are longer than the model's " + model.spec().maxPositions()
                        + " positions");
            }
            try (ModelSession session = model.newSession(n, HeadTensor.Precision.F32)) {
                logits = session.prefillAllLogits(tokens);
            }
            where = model.backendName();
        }
        try {
            Npy.writeFloats(out, new long[] {n, vocabulary}, logits);
        } catch (AccessDeniedException e) {
            throw new IllegalArgumentException("--out " + out + ": cannot write: permission denied");
        } catch (IOException e) {
            throw new UncheckedIOException("--out " + out + ": cannot write: " + e.getMessage(), e);
        }
        spec.commandLine().getOut().printf("wrote %s: [%d, %d] float32 logits (attention on %s; %.1f ms)%n", out, n, vocabulary, where,
                (System.nanoTime() - start) / 1e6);
        return 0;
    }
}
