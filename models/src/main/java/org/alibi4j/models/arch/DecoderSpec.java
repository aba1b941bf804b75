package org.alibi4j.models.arch;

import org.alibi4j.AlibiSlopes;

/**
 * What a decoder-only ALiBi transformer computes, read from its config: sizes, the attention's slopes and
 * scale, and the few places where the families differ. {@link Decoder} runs any model this describes.
 *
 * @param family          the config's {@code model_type}
 * @param vocabulary      tokens in the vocabulary (rows of the embedding)
 * @param hidden          the model width
 * @param heads           attention heads
 * @param layers          transformer blocks
 * @param ffn             width of the MLP's inner layer
 * @param normEpsilon     layer norms' epsilon
 * @param slopes          the ALiBi slope of each head, as the family's code computes them
 * @param scale           the factor on {@code q . k}
 * @param qkvLayout       how the fused query/key/value projection lays out its outputs
 * @param clipQkv         clamp the fused projection's outputs to {@code [-clipQkv, clipQkv]}; 0 for none
 * @param activation      the MLP's nonlinearity
 * @param embeddingNorm   a layer norm right after the embedding (BLOOM)
 * @param residualFromNorm the residual adds the layer norm's output, not its input (BLOOM's
 *                        {@code apply_residual_connection_post_layernorm})
 * @param parallelAttention the MLP reads the attention's normed input and both add to one residual (Falcon's
 *                        {@code parallel_attn}): {@code x + attention(norm(x)) + mlp(norm(x))}
 * @param maxPositions    the longest sequence the model supports, or 0 where its config sets none
 * @param eosTokenIds     the config's end-of-sequence tokens (none, one or several)
 */
public record DecoderSpec(String family, int vocabulary, int hidden, int heads, int layers, int ffn, float normEpsilon,
                          AlibiSlopes slopes, float scale, QkvLayout qkvLayout, float clipQkv, Activation activation,
                          boolean embeddingNorm, boolean residualFromNorm, boolean parallelAttention, int maxPositions, int[] eosTokenIds) {

    /** Elements per head vector. */
    public int headDim() {
        return hidden / heads;
    }

    /** How a fused {@code [3 * hidden]} projection holds each head's query, key and value. */
    public enum QkvLayout {
        /** {@code [heads, 3, headDim]}: each head's q, k and v side by side (BLOOM, Falcon). */
        PER_HEAD,
        /** {@code [3, heads, headDim]}: all queries, then all keys, then all values (MPT). */
        BLOCKED;

        /** Offset of head 0's query ({@code part} 0), key (1) or value (2) within a row. */
        int offset(int part, int hidden, int headDim) {
            return this == PER_HEAD ? part * headDim : part * hidden;
        }

        /** Distance between consecutive heads of one part within a row. */
        int headStride(int headDim) {
            return this == PER_HEAD ? 3 * headDim : headDim;
        }
    }
}
