package org.alibi4j.models.arch;

import java.util.ArrayList;
import java.util.List;

import org.alibi4j.AlibiSlopes;
import org.alibi4j.models.checkpoint.Checkpoint;
import org.alibi4j.models.checkpoint.ModelConfig;

/**
 * BLOOM and BLOOMZ, as transformers' {@code BloomForCausalLM}: a layer norm after the embedding; per-head
 * interleaved {@code query_key_value}; the ALiBi bias of {@code build_alibi_tensor} ({@link AlibiSlopes#bloom});
 * scores {@code q . k / sqrt(d) + bias}; tanh GELU; biases everywhere; optionally the residual taken after
 * each block's layer norms ({@code apply_residual_connection_post_layernorm}); the output embedding tied to
 * the input one. {@code pretraining_tp} and {@code slow_but_exact} only change the order of a sum, and are
 * accepted.
 */
final class Bloom implements ModelFamily {

    @Override
    public String modelType() {
        return "bloom";
    }

    @Override
    public DecoderSpec spec(ModelConfig config) {
        int hidden = ConfigChecks.positive(config, 64, "hidden_size", "n_embed");
        int heads = ConfigChecks.positive(config, 8, "n_head", "num_attention_heads");
        int headDim = ConfigChecks.headDim(config, hidden, heads);
        ConfigChecks.require(config, "tie_word_embeddings", true, true, "BloomForCausalLM ties its output embedding to the input one");
        return new DecoderSpec("bloom", ConfigChecks.positive(config, 250880, "vocab_size"), hidden, heads,
                ConfigChecks.positive(config, 2, "n_layer", "num_hidden_layers"), 4 * hidden,
                ConfigChecks.epsilon(config, "layer_norm_epsilon", 1e-5), AlibiSlopes.bloom(heads), (float) (1.0 / Math.sqrt(headDim)),
                DecoderSpec.QkvLayout.PER_HEAD, 0, Activation.GELU_TANH, true,
                config.flag("apply_residual_connection_post_layernorm", false), false, 0, config.integers("eos_token_id"));
    }

    @Override
    public DecoderWeights weights(Checkpoint checkpoint, DecoderSpec spec, ModelConfig config) {
        WeightReader read = new WeightReader(checkpoint, "transformer.", "word_embeddings.weight");
        int h = spec.hidden();
        float eps = spec.normEpsilon();
        List<LayerWeights> layers = new ArrayList<>();
        for (int l = 0; l < spec.layers(); l++) {
            String block = "h." + l + ".";
            layers.add(new LayerWeights(
                    read.norm(block + "input_layernorm", h, eps),
                    read.matrix(block + "self_attention.query_key_value.weight", 3L * h, h),
                    read.vector(block + "self_attention.query_key_value.bias", 3 * h),
                    read.matrix(block + "self_attention.dense.weight", h, h),
                    read.vector(block + "self_attention.dense.bias", h),
                    read.norm(block + "post_attention_layernorm", h, eps),
                    read.matrix(block + "mlp.dense_h_to_4h.weight", spec.ffn(), h),
                    read.vector(block + "mlp.dense_h_to_4h.bias", spec.ffn()),
                    read.matrix(block + "mlp.dense_4h_to_h.weight", h, spec.ffn()),
                    read.vector(block + "mlp.dense_4h_to_h.bias", h)));
        }
        var embedding = read.matrix("word_embeddings.weight", spec.vocabulary(), h);
        return new DecoderWeights(embedding, read.norm("word_embeddings_layernorm", h, eps), layers,
                read.norm("ln_f", h, eps), embedding);
    }
}
