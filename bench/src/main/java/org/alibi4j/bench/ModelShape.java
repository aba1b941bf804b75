package org.alibi4j.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The shape of a model the benchmarks make themselves: its family, sizes and every tensor its checkpoint
 * holds, named as transformers' {@code save_pretrained} names them. Also what a decode step reads and what a
 * prefill computes, counted from the shape.
 *
 * @param name       what the benchmarks call it
 * @param family     the config's {@code model_type}: bloom or mpt
 * @param layers     transformer blocks
 * @param hidden     the model width
 * @param heads      attention heads
 * @param vocabulary rows of the (tied) embedding
 */
record ModelShape(String name, String family, int layers, int hidden, int heads, int vocabulary) {

    /** bigscience/bloom-560m; mosaicml/mpt-1b-redpajama-200b. */
    static final Map<String, ModelShape> KNOWN = Map.of(
            "bloom-560m", new ModelShape("bloom-560m", "bloom", 24, 1024, 16, 250880),
            "mpt-1b", new ModelShape("mpt-1b", "mpt", 24, 2048, 16, 50432));

    /** @throws IllegalArgumentException naming the known shapes if {@code name} is not one */
    static ModelShape of(String name) {
        ModelShape shape = KNOWN.get(name);
        if (shape == null) {
            throw new IllegalArgumentException("unknown model shape '" + name + "' (known: " + KNOWN.keySet().stream().sorted().toList() + ")");
        }
        return shape;
    }

    /** The MLP's inner width: 4 x hidden in both families (MPT's expansion ratio 4). */
    int ffn() {
        return 4 * hidden;
    }

    int headDim() {
        return hidden / heads;
    }

    /** What a tensor holds, which decides the values the benchmark draws for it. */
    enum Kind { MATRIX, NORM_WEIGHT, BIAS }

    /** A tensor of the checkpoint. */
    record Tensor(String name, Kind kind, long... shape) {
        long elements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    /**
     * Every tensor, in the order the checkpoint holds them. BLOOM has biases everywhere and a layer norm
     * after the embedding; MPT ({@code no_bias}, as mpt-1b and mpt-7b) has norm weights alone. Both tie the
     * output embedding to the input one.
     */
    List<Tensor> tensors() {
        List<Tensor> t = new ArrayList<>();
        long h = hidden;
        long f = ffn();
        if (family.equals("bloom")) {
            t.add(new Tensor("transformer.word_embeddings.weight", Kind.MATRIX, vocabulary, h));
            norm(t, "transformer.word_embeddings_layernorm", true);
            for (int l = 0; l < layers; l++) {
                String b = "transformer.h." + l + ".";
                norm(t, b + "input_layernorm", true);
                linear(t, b + "self_attention.query_key_value", 3 * h, h, true);
                linear(t, b + "self_attention.dense", h, h, true);
                norm(t, b + "post_attention_layernorm", true);
                linear(t, b + "mlp.dense_h_to_4h", f, h, true);
                linear(t, b + "mlp.dense_4h_to_h", h, f, true);
            }
            norm(t, "transformer.ln_f", true);
        } else {
            t.add(new Tensor("transformer.wte.weight", Kind.MATRIX, vocabulary, h));
            for (int l = 0; l < layers; l++) {
                String b = "transformer.blocks." + l + ".";
                norm(t, b + "norm_1", false);
                linear(t, b + "attn.Wqkv", 3 * h, h, false);
                linear(t, b + "attn.out_proj", h, h, false);
                norm(t, b + "norm_2", false);
                linear(t, b + "ffn.up_proj", f, h, false);
                linear(t, b + "ffn.down_proj", h, f, false);
            }
            norm(t, "transformer.norm_f", false);
        }
        return t;
    }

    private void norm(List<Tensor> t, String name, boolean bias) {
        t.add(new Tensor(name + ".weight", Kind.NORM_WEIGHT, hidden));
        if (bias) {
            t.add(new Tensor(name + ".bias", Kind.BIAS, hidden));
        }
    }

    private static void linear(List<Tensor> t, String name, long out, long in, boolean bias) {
        t.add(new Tensor(name + ".weight", Kind.MATRIX, out, in));
        if (bias) {
            t.add(new Tensor(name + ".bias", Kind.BIAS, out));
        }
    }

    /** Elements of every tensor: the weights a decode step reads once (the tied embedding is the LM head). */
    long parameters() {
        return tensors().stream().mapToLong(Tensor::elements).sum();
    }

    /** Elements of the blocks' four matrices, all layers. */
    long blockMatrixParameters() {
        return (long) layers * (3L * hidden * hidden + (long) hidden * hidden + 2L * hidden * ffn());
    }

    /** Bytes of K and V a decode step at {@code position} reads: keys 0 .. position of every layer and head. */
    long kvBytes(int position, int bytesPerElement) {
        return 2L * layers * (position + 1) * hidden * bytesPerElement;
    }

    /**
     * FLOPs of a prefill of {@code n} tokens: 2 per multiply-add of the blocks' matrices over every row, of the
     * LM head over the last row only, and of the causal attention, {@code q . k} and {@code p . v} over half
     * the {@code n x n} scores ({@code 2 * 2 * hidden * n * n / 2} a layer). Norms, activations and the
     * softmax are not counted.
     */
    double prefillFlops(int n) {
        double matrices = 2.0 * blockMatrixParameters() * n + 2.0 * vocabulary * hidden;
        double attention = layers * 2.0 * 2.0 * hidden * ((double) n * n / 2);
        return matrices + attention;
    }
}
