package org.alibi4j.models.arch;

import org.alibi4j.models.checkpoint.Checkpoint;
import org.alibi4j.models.checkpoint.ModelConfig;

/**
 * One architecture of ALiBi models, as transformers' modeling code for it computes: how its config reads
 * into a {@link DecoderSpec}, and where its checkpoint keeps each weight. A config option the family does
 * not implement is refused with its name, never quietly run as a different model.
 */
interface ModelFamily {

    /** The config's {@code model_type}. */
    String modelType();

    /** The model the config describes. */
    DecoderSpec spec(ModelConfig config);

    /** The weights of that model, views of the checkpoint checked against the spec's shapes. */
    DecoderWeights weights(Checkpoint checkpoint, DecoderSpec spec, ModelConfig config);
}
