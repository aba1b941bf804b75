/**
 * Hugging Face checkpoints as {@code save_pretrained} writes them: {@link org.alibi4j.models.checkpoint.Checkpoint}
 * maps the safetensors files (one, or the shards of an index) and hands out each tensor as a
 * {@link org.alibi4j.models.checkpoint.WeightTensor}, a read-only view of the mapping at its stored precision;
 * {@link org.alibi4j.models.checkpoint.ModelConfig} reads {@code config.json}. Whatever cannot be used is an
 * {@link org.alibi4j.models.checkpoint.InvalidModelException} that names the file and tensor or key.
 */
package org.alibi4j.models.checkpoint;
