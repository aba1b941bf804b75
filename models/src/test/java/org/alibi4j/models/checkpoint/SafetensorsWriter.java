package org.alibi4j.models.checkpoint;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes safetensors files for tests: tensors laid out one after another as the reference writer lays them
 * out, or any header and data at all, to spoil a file on purpose.
 */
final class SafetensorsWriter {

    private record Tensor(String name, String dtype, long[] shape, byte[] bytes) {
    }

    private final List<Tensor> tensors = new ArrayList<>();
    private JsonObject metadata;

    /** Adds a tensor with its raw little-endian bytes. */
    SafetensorsWriter add(String name, String dtype, long[] shape, byte[] bytes) {
        tensors.add(new Tensor(name, dtype, shape.clone(), bytes.clone()));
        return this;
    }

    SafetensorsWriter f32(String name, long[] shape, float... values) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float value : values) {
            buffer.putInt(Float.floatToRawIntBits(value));
        }
        return add(name, "F32", shape, buffer.array());
    }

    /** F16 or BF16 (or any 2-byte dtype) from bit patterns. */
    SafetensorsWriter halves(String name, String dtype, long[] shape, short... bits) {
        return add(name, dtype, shape, shortBytes(bits));
    }

    SafetensorsWriter metadata(String key, String value) {
        if (metadata == null) {
            metadata = new JsonObject();
        }
        metadata.addProperty(key, value);
        return this;
    }

    /** The header the reference writer would write for these tensors (before padding). */
    JsonObject header() {
        JsonObject header = new JsonObject();
        if (metadata != null) {
            header.add("__metadata__", metadata);
        }
        long offset = 0;
        for (Tensor tensor : tensors) {
            JsonObject entry = new JsonObject();
            entry.addProperty("dtype", tensor.dtype());
            JsonArray shape = new JsonArray();
            for (long dim : tensor.shape()) {
                shape.add(dim);
            }
            entry.add("shape", shape);
            JsonArray offsets = new JsonArray();
            offsets.add(offset);
            offsets.add(offset + tensor.bytes().length);
            entry.add("data_offsets", offsets);
            header.add(tensor.name(), entry);
            offset += tensor.bytes().length;
        }
        return header;
    }

    /** All tensors' bytes, one after another. */
    byte[] data() {
        ByteBuffer buffer = ByteBuffer.allocate(tensors.stream().mapToInt(t -> t.bytes().length).sum());
        tensors.forEach(t -> buffer.put(t.bytes()));
        return buffer.array();
    }

    /** Writes these tensors to {@code file}; returns it. */
    Path write(Path file) {
        return write(file, header().toString(), data());
    }

    /**
     * Writes {@code header} (padded with spaces to a multiple of 8 bytes, as the reference writer does) and
     * {@code data} to {@code file}; returns it.
     */
    static Path write(Path file, String header, byte[] data) {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer buffer = ByteBuffer.allocate(8 + padded + data.length).order(ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(padded).put(json);
        for (int i = json.length; i < padded; i++) {
            buffer.put((byte) ' ');
        }
        buffer.put(data);
        return writeBytes(file, buffer.array());
    }

    static Path writeBytes(Path file, byte[] bytes) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            return Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] shortBytes(short... bits) {
        ByteBuffer buffer = ByteBuffer.allocate(bits.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (short value : bits) {
            buffer.putShort(value);
        }
        return buffer.array();
    }

    static long[] shape(long... dims) {
        return dims;
    }
}
