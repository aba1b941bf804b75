package org.alibi4j.models.arch;

import org.alibi4j.models.checkpoint.WeightTensor;

/**
 * One transformer block's weights: matrices at their stored precision (views of the mapped checkpoint),
 * norms and biases widened to float. A null bias is none.
 */
record LayerWeights(Norm attentionNorm, WeightTensor qkv, float[] qkvBias, WeightTensor attentionOut, float[] attentionOutBias,
                    Norm mlpNorm, WeightTensor up, float[] upBias, WeightTensor down, float[] downBias) {
}
