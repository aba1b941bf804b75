package org.alibi4j.cli;

import org.alibi4j.AlibiPositionalBias;

import picocli.CommandLine.Option;

/** The options that describe a model and a bias shape, shared by {@code bias} and {@code render}. */
final class ModelOptions {
    @Option(names = "--heads", required = true, description = "Biased heads.")
    int heads;

    @Option(names = "--total-heads", description = "Heads in the tensor, >= --heads (default: --heads).")
    Integer totalHeads;

    @Option(names = "-i", required = true, description = "Queries: the last i of the j keys.")
    int i;

    @Option(names = "-j", required = true, description = "Keys.")
    int j;

    @Option(names = "--causal", description = "Future keys are -inf (the symmetric bias elsewhere).")
    boolean causal;

    @Option(names = "--backend", description = "cpu, tornado, ... (default: the best available).")
    String backend;

    int totalHeads() {
        return totalHeads == null ? heads : totalHeads;
    }

    /** Checks every value, then opens the module; nothing is opened for bad input. */
    AlibiPositionalBias open() {
        Inputs.shape(heads, totalHeads(), i, j);
        AlibiPositionalBias.Builder builder = AlibiPositionalBias.builder(heads).totalHeads(totalHeads());
        if (backend != null) {
            builder.backend(backend);
        }
        return builder.build();
    }

    String shape() {
        return totalHeads() + " x " + i + " x " + j;
    }
}
