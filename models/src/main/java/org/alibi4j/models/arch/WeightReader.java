package org.alibi4j.models.arch;

import java.util.Optional;

import org.alibi4j.models.checkpoint.Checkpoint;
import org.alibi4j.models.checkpoint.InvalidModelException;
import org.alibi4j.models.checkpoint.WeightTensor;

/**
 * Reads a family's tensors by name, checking each shape. Checkpoints of a {@code *ForCausalLM} name the base
 * model's tensors with a prefix ({@code transformer.}); those of the base model alone (as some on the Hub
 * are) do not: both are read.
 */
final class WeightReader {
    private final Checkpoint checkpoint;
    private final String prefix;

    WeightReader(Checkpoint checkpoint, String basePrefix, String probe) {
        this.checkpoint = checkpoint;
        this.prefix = checkpoint.contains(basePrefix + probe) || !checkpoint.contains(probe) ? basePrefix : "";
    }

    /** A matrix or vector of the base model, at its stored precision. */
    WeightTensor matrix(String name, long... shape) {
        return checkpoint.tensor(prefix + name, shape);
    }

    /** A vector of the base model, widened to float. */
    float[] vector(String name, int length) {
        return checkpoint.tensor(prefix + name, length).toFloats();
    }

    /** A vector of the base model that may be absent. */
    Optional<float[]> optionalVector(String name, int length) {
        return checkpoint.contains(prefix + name) ? Optional.of(vector(name, length)) : Optional.empty();
    }

    /** A norm with a bias. */
    Norm norm(String name, int width, float epsilon) {
        return new Norm(vector(name + ".weight", width), vector(name + ".bias", width), epsilon);
    }

    /** A tensor outside the base model (the untied {@code lm_head.weight}). */
    WeightTensor head(String name, long... shape) {
        if (!checkpoint.contains(name)) {
            throw new InvalidModelException("tensor '" + name + "' not found in " + checkpoint.directory()
                    + ": the config unties the output embedding (tie_word_embeddings false), so the checkpoint must hold it");
        }
        return checkpoint.tensor(name, shape);
    }
}
