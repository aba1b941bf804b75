package org.alibi4j.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Writes a random-weight checkpoint of a {@link ModelShape} as transformers' {@code save_pretrained} would:
 * {@code config.json} and one {@code model.safetensors} with every tensor in F16 or BF16. Matrices are
 * uniform with the standard deviation of transformers' initialiser (0.02), norm weights near 1, biases
 * near 0: values a real checkpoint has, so that every activation stays a normal float.
 *
 * <p>The safetensors file: an 8-byte little-endian header length, the JSON header (each tensor's dtype,
 * shape and data offsets, padded with spaces to a multiple of 8 bytes, as the reference writer pads it),
 * then the tensors' bytes one after another. The data are drawn and written a chunk at a time, so that a
 * gigabyte checkpoint needs no gigabyte of heap.
 */
final class RandomCheckpoint {
    /** transformers' {@code initializer_range} for both families. */
    private static final float STD = 0.02f;
    private static final int CHUNK = 1 << 22;

    private RandomCheckpoint() {
    }

    /**
     * Writes the checkpoint of {@code shape} with weights of {@code dtype} ("F16" or "BF16") into
     * {@code directory} (created), values drawn from {@code seed}; {@code maxPositions} becomes MPT's
     * {@code max_seq_len} (BLOOM's config has no limit). Returns the safetensors file.
     */
    static Path write(Path directory, ModelShape shape, String dtype, int maxPositions, long seed) throws IOException {
        if (!dtype.equals("F16") && !dtype.equals("BF16")) {
            throw new IllegalArgumentException("weights must be F16 or BF16 (was '" + dtype + "')");
        }
        Files.createDirectories(directory);
        Files.writeString(directory.resolve("config.json"), config(shape, dtype, maxPositions));
        Path file = directory.resolve("model.safetensors");
        List<ModelShape.Tensor> tensors = shape.tensors();
        byte[] header = header(tensors, dtype);
        SplittableRandom random = new SplittableRandom(seed);
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ByteBuffer buffer = ByteBuffer.allocateDirect(2 * CHUNK).order(ByteOrder.LITTLE_ENDIAN);
            buffer.putLong(header.length).put(header).flip();
            writeFully(out, buffer);
            for (ModelShape.Tensor t : tensors) {
                for (long done = 0; done < t.elements(); done += CHUNK) {
                    int n = (int) Math.min(CHUNK, t.elements() - done);
                    buffer.clear();
                    for (int i = 0; i < n; i++) {
                        buffer.putShort(bits(value(t.kind(), random), dtype));
                    }
                    buffer.flip();
                    writeFully(out, buffer);
                }
            }
        }
        return file;
    }

    /** Deletes {@code directory} and what it holds. */
    static void delete(Path directory) {
        if (directory == null || !Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete " + directory, e);
        }
    }

    private static float value(ModelShape.Kind kind, SplittableRandom random) {
        float uniform = (float) (random.nextDouble() * 2 - 1) * (float) Math.sqrt(3); // standard deviation 1
        return switch (kind) {
            case MATRIX -> uniform * STD;
            case NORM_WEIGHT -> 1 + uniform * STD;
            case BIAS -> uniform * STD;
        };
    }

    private static short bits(float value, String dtype) {
        if (dtype.equals("F16")) {
            return Float.floatToFloat16(value);
        }
        int b = Float.floatToRawIntBits(value); // to bfloat16, rounded to nearest even (no NaN here)
        return (short) ((b + 0x7FFF + ((b >>> 16) & 1)) >>> 16);
    }

    private static void writeFully(FileChannel out, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }

    /** The JSON header: each tensor's dtype, shape and {@code [begin, end)} bytes in the data, padded to 8 bytes. */
    private static byte[] header(List<ModelShape.Tensor> tensors, String dtype) {
        StringBuilder json = new StringBuilder("{");
        long offset = 0;
        for (ModelShape.Tensor t : tensors) {
            long bytes = 2 * t.elements();
            json.append(json.length() > 1 ? "," : "").append('"').append(t.name()).append("\":{\"dtype\":\"").append(dtype)
                    .append("\",\"shape\":[");
            for (int d = 0; d < t.shape().length; d++) {
                json.append(d > 0 ? "," : "").append(t.shape()[d]);
            }
            json.append("],\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        json.append('}');
        while (json.length() % 8 != 0) {
            json.append(' ');
        }
        return json.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** The family's config.json, as transformers writes it for these sizes (the options alibi4j reads). */
    private static String config(ModelShape s, String dtype, int maxPositions) {
        String torchDtype = dtype.equals("F16") ? "float16" : "bfloat16";
        if (s.family().equals("bloom")) {
            return """
                    {"architectures": ["BloomForCausalLM"], "model_type": "bloom", "vocab_size": %d, "hidden_size": %d,
                     "n_head": %d, "n_layer": %d, "layer_norm_epsilon": 1e-05, "apply_residual_connection_post_layernorm": false,
                     "tie_word_embeddings": true, "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "%s"}
                    """.formatted(s.vocabulary(), s.hidden(), s.heads(), s.layers(), torchDtype);
        }
        return """
                {"architectures": ["MptForCausalLM"], "model_type": "mpt", "vocab_size": %d, "d_model": %d, "n_heads": %d,
                 "n_layers": %d, "expansion_ratio": 4, "max_seq_len": %d, "no_bias": true, "norm_type": "low_precision_layernorm",
                 "layer_norm_epsilon": 1e-05, "attn_config": {"attn_type": "multihead_attention", "alibi": true, "alibi_bias_max": 8,
                 "clip_qkv": null, "softmax_scale": null, "prefix_lm": false, "qk_ln": false}, "tie_word_embeddings": true,
                 "eos_token_id": 0, "torch_dtype": "%s"}
                """.formatted(s.vocabulary(), s.hidden(), s.heads(), s.layers(), maxPositions, torchDtype);
    }
}
