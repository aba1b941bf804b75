package org.alibi4j.models.arch;

import org.alibi4j.attention.AlibiAttention;
import org.alibi4j.attention.AttentionBackend;
import org.alibi4j.attention.HeadTensor;
import org.alibi4j.attention.KvCache;
import org.alibi4j.models.checkpoint.Checkpoint;
import org.alibi4j.models.checkpoint.ModelConfig;
import org.alibi4j.models.linalg.MatMul;

/**
 * Runs a {@link DecoderSpec} model: embedding, blocks, final norm, language-model head, in float32, with the
 * attention of each block fused with its ALiBi bias on an alibi4j attention backend, over one
 * {@link KvCache} per layer. Shared by every sequence of a model; a sequence's caches and buffers are a
 * {@link DecoderState}.
 *
 * <p>A block, as the families' modeling code computes it:
 * <pre>
 *   h = norm1(x);  q, k, v = split(clip(h Wqkv + b));  a = attention(q, k, v) Wo + bo
 *   x = a + (residualFromNorm ? h : x)
 *   h = norm2(x);  x = act(h Wup + bup) Wdown + bdown + (residualFromNorm ? h : x)
 * </pre>
 * or, with {@code parallelAttention}, {@code x = mlp(h) + a + x} from the one norm.
 */
public final class Decoder {
    private final DecoderSpec spec;
    private final DecoderWeights weights;
    private final MatMul matMul;
    private final AlibiAttention attention;

    private Decoder(DecoderSpec spec, DecoderWeights weights, MatMul matMul, AttentionBackend backend) {
        this.spec = spec;
        this.weights = weights;
        this.matMul = matMul;
        this.attention = AlibiAttention.builder(spec.heads()).headDim(spec.headDim()).slopes(spec.slopes()).scale(spec.scale())
                .causal().backend(backend).build();
    }

    /**
     * The model of {@code config} over the weights of {@code checkpoint} (views of it: the checkpoint must stay
     * open while the decoder runs), computing its products on {@code matMul} and its attention on
     * {@code backend}; neither is closed by the decoder.
     *
     * @throws org.alibi4j.models.checkpoint.InvalidModelException naming the option, tensor or file that does not fit
     */
    public static Decoder load(ModelConfig config, Checkpoint checkpoint, MatMul matMul, AttentionBackend backend) {
        ModelFamily family = ModelFamilies.of(config);
        DecoderSpec spec = family.spec(config);
        return new Decoder(spec, family.weights(checkpoint, spec, config), matMul, backend);
    }

    public DecoderSpec spec() {
        return spec;
    }

    /** A new sequence's state: one cache per layer of {@code capacity} positions at {@code precision}. */
    public DecoderState newState(int capacity, HeadTensor.Precision precision) {
        return new DecoderState(spec, attention, capacity, precision);
    }

    /**
     * Runs {@code tokens} at positions {@code start .. start + n - 1} of {@code state} and writes the logits
     * of the last {@code logitRows} of them to {@code logits} ({@code [logitRows, vocabulary]}). With
     * {@code start == 0} the rows are one prefill; otherwise {@code n} must be 1 (one decode step).
     */
    public void forward(DecoderState state, int[] tokens, int start, int logitRows, float[] logits) {
        int n = tokens.length;
        int h = spec.hidden();
        state.reserve(n);
        float[] x = state.x;
        for (int r = 0; r < n; r++) {
            weights.embedding().row(tokens[r], x, r * h);
        }
        if (weights.embeddingNorm() != null) {
            weights.embeddingNorm().apply(x, x, n);
        }
        for (int l = 0; l < spec.layers(); l++) {
            block(state, l, weights.layers().get(l), start, n);
        }
        int first = n - logitRows; // the rows whose logits are wanted: the last only, in a prefill
        weights.finalNorm().apply(x, x, first, n);
        float[] last = x;
        if (first > 0) {
            System.arraycopy(x, first * h, state.normed, 0, logitRows * h);
            last = state.normed;
        }
        matMul.linear(weights.lmHead(), null, last, logitRows, logits);
    }

    private void block(DecoderState s, int layer, LayerWeights w, int start, int n) {
        int h = spec.hidden();
        float[] x = s.x;
        float[] normed = s.normed;
        w.attentionNorm().apply(x, normed, n);
        matMul.linear(w.qkv(), w.qkvBias(), normed, n, s.qkv);
        if (spec.clipQkv() > 0) {
            clamp(s.qkv, n * 3 * h, spec.clipQkv());
        }
        attend(s, layer, start, n);
        if (spec.parallelAttention()) {
            matMul.linear(w.attentionOut(), w.attentionOutBias(), s.context, n, s.attended);
            mlp(s, w, normed, n);
            for (int i = 0; i < n * h; i++) {
                x[i] = s.projected[i] + s.attended[i] + x[i]; // transformers' order: (mlp + attention) + residual
            }
            return;
        }
        matMul.linear(w.attentionOut(), w.attentionOutBias(), s.context, n, s.projected);
        float[] residual = spec.residualFromNorm() ? normed : x;
        for (int i = 0; i < n * h; i++) {
            x[i] = s.projected[i] + residual[i];
        }
        w.mlpNorm().apply(x, normed, n);
        mlp(s, w, normed, n);
        residual = spec.residualFromNorm() ? normed : x;
        for (int i = 0; i < n * h; i++) {
            x[i] = s.projected[i] + residual[i];
        }
    }

    /** {@code projected = act(input Wup + bup) Wdown + bdown}. */
    private void mlp(DecoderState s, LayerWeights w, float[] input, int n) {
        matMul.linear(w.up(), w.upBias(), input, n, s.inner);
        spec.activation().applyInPlace(s.inner, n * spec.ffn());
        matMul.linear(w.down(), w.downBias(), s.inner, n, s.projected);
    }

    /** The rows' attention over the layer's cache, reading q, k and v in place from the fused projection. */
    private void attend(DecoderState s, int layer, int start, int n) {
        int h = spec.hidden();
        int d = spec.headDim();
        int heads = spec.heads();
        DecoderSpec.QkvLayout layout = spec.qkvLayout();
        HeadTensor q = part(s.qkv, layout, 0, n);
        HeadTensor k = part(s.qkv, layout, 1, n);
        HeadTensor v = part(s.qkv, layout, 2, n);
        HeadTensor out = HeadTensor.strided(s.context, 0, heads, n, d, d, h);
        KvCache cache = s.caches[layer];
        if (start == 0) {
            cache.prefill(q, k, v, out);
        } else {
            cache.append(start, k, v);
            cache.decode(start, q, out);
        }
    }

    private HeadTensor part(float[] qkv, DecoderSpec.QkvLayout layout, int part, int rows) {
        int h = spec.hidden();
        int d = spec.headDim();
        return HeadTensor.strided(qkv, layout.offset(part, h, d), spec.heads(), rows, d, layout.headStride(d), 3L * h);
    }

    private static void clamp(float[] values, int n, float limit) {
        for (int i = 0; i < n; i++) {
            values[i] = Math.max(-limit, Math.min(limit, values[i]));
        }
    }

}
