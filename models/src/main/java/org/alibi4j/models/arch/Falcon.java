package org.alibi4j.models.arch;

import java.util.ArrayList;
import java.util.List;

import org.alibi4j.AlibiSlopes;
import org.alibi4j.models.checkpoint.Checkpoint;
import org.alibi4j.models.checkpoint.InvalidModelException;
import org.alibi4j.models.checkpoint.ModelConfig;

/**
 * Falcon with {@code alibi: true} (falcon-rw-1b, falcon-rw-7b), as transformers' {@code FalconForCausalLM}
 * computes it with its SDPA attention: per-head interleaved {@code query_key_value} (as BLOOM), erf GELU,
 * biases where {@code bias} is true, optionally the attention and the MLP in parallel from one layer norm
 * ({@code parallel_attn}), the output embedding tied to the input one.
 *
 * <p>Falcon scales the ALiBi term by {@code 1/sqrt(headDim)} as well as {@code q . k}, so the slopes here are
 * BLOOM's, rounded to bfloat16 as Falcon's {@code build_alibi_tensor} rounds them, then divided by
 * {@code sqrt(headDim)}. Falcon also rounds each product {@code slope * position} to bfloat16; alibi4j keeps
 * it exact, which agrees while positions are small (the tests' prompts) and is closer to the formula beyond.
 * Like transformers, no sequence limit is taken from {@code max_position_embeddings}.
 * Rotary Falcons ({@code alibi: false}), the new decoder architecture and multi-query attention are refused.
 * (transformers' eager Falcon adds the ALiBi term twice; its SDPA path, the default, does not.)
 */
final class Falcon implements ModelFamily {

    @Override
    public String modelType() {
        return "falcon";
    }

    @Override
    public DecoderSpec spec(ModelConfig config) {
        ConfigChecks.require(config, "alibi", false, true, "a rotary Falcon is not an ALiBi model");
        ConfigChecks.require(config, "new_decoder_architecture", false, false, "the new decoder architecture (Falcon-40B and later) is not implemented");
        ConfigChecks.require(config, "multi_query", true, false, "multi-query Falcon is not implemented");
        ConfigChecks.require(config, "tie_word_embeddings", true, true, "FalconForCausalLM ties its output embedding to the input one here");
        String activation = config.string("activation", "gelu");
        if (!activation.equals("gelu")) {
            throw new InvalidModelException(config.file() + ": 'activation' = " + activation + " is not supported (supported: gelu)");
        }
        int hidden = ConfigChecks.positive(config, 4544, "hidden_size", "n_embed");
        int heads = ConfigChecks.positive(config, 71, "num_attention_heads", "n_head");
        int headDim = ConfigChecks.headDim(config, hidden, heads);
        int ffn = ConfigChecks.positive(config, 4 * hidden, "ffn_hidden_size");
        double root = Math.sqrt(headDim);
        float[] slopes = AlibiSlopes.bloom(heads).toArray();
        for (int h = 0; h < heads; h++) {
            slopes[h] = (float) (bfloat16(slopes[h]) / root);
        }
        return new DecoderSpec("falcon", ConfigChecks.positive(config, 65024, "vocab_size"), hidden, heads,
                ConfigChecks.positive(config, 32, "num_hidden_layers", "n_layer"), ffn, ConfigChecks.epsilon(config, "layer_norm_epsilon", 1e-5),
                AlibiSlopes.of(slopes), (float) (1 / root), DecoderSpec.QkvLayout.PER_HEAD, 0, Activation.GELU_ERF, false, false,
                config.flag("parallel_attn", true), 0,
                config.integers("eos_token_id"));
    }

    /** Rounds to the nearest bfloat16, ties to even, as torch's {@code .bfloat16()}. */
    private static float bfloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int rounded = bits + 0x7fff + ((bits >>> 16) & 1);
        return Float.intBitsToFloat(rounded & 0xffff0000);
    }

    @Override
    public DecoderWeights weights(Checkpoint checkpoint, DecoderSpec spec, ModelConfig config) {
        WeightReader read = new WeightReader(checkpoint, "transformer.", "word_embeddings.weight");
        boolean bias = config.flag("bias", false);
        int h = spec.hidden();
        int f = spec.ffn();
        float eps = spec.normEpsilon();
        List<LayerWeights> layers = new ArrayList<>();
        for (int l = 0; l < spec.layers(); l++) {
            String block = "h." + l + ".";
            layers.add(new LayerWeights(
                    read.norm(block + "input_layernorm", h, eps),
                    read.matrix(block + "self_attention.query_key_value.weight", 3L * h, h),
                    bias ? read.vector(block + "self_attention.query_key_value.bias", 3 * h) : null,
                    read.matrix(block + "self_attention.dense.weight", h, h),
                    bias ? read.vector(block + "self_attention.dense.bias", h) : null,
                    spec.parallelAttention() ? null : read.norm(block + "post_attention_layernorm", h, eps),
                    read.matrix(block + "mlp.dense_h_to_4h.weight", f, h),
                    bias ? read.vector(block + "mlp.dense_h_to_4h.bias", f) : null,
                    read.matrix(block + "mlp.dense_4h_to_h.weight", h, f),
                    bias ? read.vector(block + "mlp.dense_4h_to_h.bias", h) : null));
        }
        var embedding = read.matrix("word_embeddings.weight", spec.vocabulary(), h);
        return new DecoderWeights(embedding, null, layers, read.norm("ln_f", h, eps), embedding);
    }
}
