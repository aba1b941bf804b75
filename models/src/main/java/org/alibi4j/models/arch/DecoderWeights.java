package org.alibi4j.models.arch;

import java.util.List;

import org.alibi4j.models.checkpoint.WeightTensor;

/**
 * A whole model's weights: the embedding, an optional norm after it, the blocks, the final norm and the
 * language-model head (the embedding itself where the model ties them).
 */
record DecoderWeights(WeightTensor embedding, Norm embeddingNorm, List<LayerWeights> layers, Norm finalNorm, WeightTensor lmHead) {
}
