package org.alibi4j.models.checkpoint;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/** The element types of a checkpoint's tensors that alibi4j reads, with their safetensors names. */
public enum DType {
    /** IEEE binary32. */
    F32(4),
    /** IEEE binary16. */
    F16(2),
    /** bfloat16: the upper half of a binary32. */
    BF16(2);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    /**
     * The type a safetensors header names {@code "F32"}, {@code "F16"} or {@code "BF16"}.
     *
     * @throws InvalidModelException for any other name, naming it and the supported ones
     */
    public static DType ofSafetensors(String name) {
        return lookup(name).orElseThrow(
                () -> new InvalidModelException("unsupported dtype '" + name + "' (supported: " + supported() + ")"));
    }

    /** The type a safetensors header names {@code name}, if alibi4j reads it. */
    static Optional<DType> lookup(String name) {
        return Arrays.stream(values()).filter(type -> type.name().equals(name)).findFirst();
    }

    /** The supported safetensors names, comma separated: for messages. */
    static String supported() {
        return Arrays.stream(values()).map(DType::name).collect(Collectors.joining(", "));
    }
}
