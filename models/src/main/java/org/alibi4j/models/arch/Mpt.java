package org.alibi4j.models.arch;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.alibi4j.AlibiSlopes;
import org.alibi4j.models.checkpoint.Checkpoint;
import org.alibi4j.models.checkpoint.InvalidModelException;
import org.alibi4j.models.checkpoint.ModelConfig;
import org.alibi4j.models.checkpoint.WeightTensor;

/**
 * MPT (MosaicML), as transformers' {@code MptForCausalLM}: blocked {@code Wqkv} (all queries, then keys, then
 * values), optionally clamped ({@code clip_qkv}); the ALiBi slopes of {@code build_mpt_alibi_tensor}
 * ({@link AlibiSlopes#mpt}); scores {@code q . k * softmax_scale + bias}; erf GELU; an MLP of
 * {@code expansion_ratio * d_model}; the output embedding tied to the input one unless the config unties it.
 *
 * <p>Two options transformers reads differently from MosaicML's own code, where alibi4j follows the
 * checkpoint: {@code alibi_bias_max} sets the slopes (transformers 5 builds them with 8 whatever the config
 * says; the two agree for the default 8, which every released MPT uses); and with {@code no_bias: false} the
 * biases the checkpoint holds are added (transformers' MPT has no bias parameters at all, so a checkpoint
 * it saves holds none and the two agree).
 */
final class Mpt implements ModelFamily {
    private static final Set<String> NORMS = Set.of("low_precision_layernorm", "layernorm");

    @Override
    public String modelType() {
        return "mpt";
    }

    @Override
    public DecoderSpec spec(ModelConfig config) {
        int hidden = ConfigChecks.positive(config, 2048, "d_model", "hidden_size");
        int heads = ConfigChecks.positive(config, 16, "n_heads", "num_attention_heads");
        int headDim = ConfigChecks.headDim(config, hidden, heads);
        ConfigChecks.requireUnset(config, "logit_scale", "alibi4j does not scale the logits");
        String norm = config.string("norm_type", "low_precision_layernorm");
        if (!NORMS.contains(norm)) {
            throw new InvalidModelException(config.file() + ": 'norm_type' = " + norm + " is not supported (supported: " + NORMS + ")");
        }
        ModelConfig attention = config.object("attn_config");
        String type = attention.string("attn_type", "multihead_attention");
        if (!type.equals("multihead_attention")) {
            throw new InvalidModelException(config.file() + ": 'attn_config.attn_type' = " + type
                    + " is not supported (supported: multihead_attention)");
        }
        ConfigChecks.require(attention, "alibi", true, true, "an MPT without ALiBi (learned positions) is not an ALiBi model");
        ConfigChecks.require(attention, "prefix_lm", false, false, "alibi4j runs causal language models only");
        ConfigChecks.require(attention, "qk_ln", false, false, "layer norms on queries and keys are not implemented");
        ConfigChecks.require(attention, "attn_uses_sequence_id", false, false, "sequence ids are a training feature");
        double clip = attention.number("clip_qkv", 0);
        if (clip < 0 || Double.isNaN(clip) || Double.isInfinite(clip)) {
            throw new InvalidModelException(config.file() + ": 'attn_config.clip_qkv' must be a positive number or null (was " + clip + ")");
        }
        double scale = attention.number("softmax_scale", 1.0 / Math.sqrt(headDim));
        if (!(scale > 0) || Double.isInfinite(scale)) {
            throw new InvalidModelException(config.file() + ": 'attn_config.softmax_scale' must be a positive number or null (was " + scale + ")");
        }
        double maxBias = attention.number("alibi_bias_max", 8);
        if (!(maxBias > 0) || Double.isInfinite(maxBias)) {
            throw new InvalidModelException(config.file() + ": 'attn_config.alibi_bias_max' must be a positive number (was " + maxBias + ")");
        }
        int expansion = ConfigChecks.positive(config, 4, "expansion_ratio");
        return new DecoderSpec("mpt", ConfigChecks.positive(config, 50368, "vocab_size"), hidden, heads,
                ConfigChecks.positive(config, 24, "n_layers", "num_hidden_layers"), expansion * hidden,
                ConfigChecks.epsilon(config, "layer_norm_epsilon", 1e-5), AlibiSlopes.mpt(heads, maxBias), (float) scale,
                DecoderSpec.QkvLayout.BLOCKED, (float) clip, Activation.GELU_ERF, false, false, false,
                ConfigChecks.positive(config, 2048, "max_seq_len"), config.integers("eos_token_id"));
    }

    @Override
    public DecoderWeights weights(Checkpoint checkpoint, DecoderSpec spec, ModelConfig config) {
        WeightReader read = new WeightReader(checkpoint, "transformer.", "wte.weight");
        Biases biases = new Biases(read, !config.flag("no_bias", true));
        int h = spec.hidden();
        int f = spec.ffn();
        float eps = spec.normEpsilon();
        List<LayerWeights> layers = new ArrayList<>();
        for (int l = 0; l < spec.layers(); l++) {
            String block = "blocks." + l + ".";
            layers.add(new LayerWeights(
                    new Norm(read.vector(block + "norm_1.weight", h), biases.of(block + "norm_1.bias", h), eps),
                    read.matrix(block + "attn.Wqkv.weight", 3L * h, h), biases.of(block + "attn.Wqkv.bias", 3 * h),
                    read.matrix(block + "attn.out_proj.weight", h, h), biases.of(block + "attn.out_proj.bias", h),
                    new Norm(read.vector(block + "norm_2.weight", h), biases.of(block + "norm_2.bias", h), eps),
                    read.matrix(block + "ffn.up_proj.weight", f, h), biases.of(block + "ffn.up_proj.bias", f),
                    read.matrix(block + "ffn.down_proj.weight", h, f), biases.of(block + "ffn.down_proj.bias", h)));
        }
        WeightTensor embedding = read.matrix("wte.weight", spec.vocabulary(), h);
        WeightTensor head = config.flag("tie_word_embeddings", true) ? embedding : read.head("lm_head.weight", spec.vocabulary(), h);
        return new DecoderWeights(embedding, null, layers,
                new Norm(read.vector("norm_f.weight", h), biases.of("norm_f.bias", h), eps), head);
    }

    /** With {@code no_bias: false}, the biases the checkpoint holds; none otherwise. */
    private record Biases(WeightReader read, boolean allowed) {
        float[] of(String name, int length) {
            return allowed ? read.optionalVector(name, length).orElse(null) : null;
        }
    }
}
