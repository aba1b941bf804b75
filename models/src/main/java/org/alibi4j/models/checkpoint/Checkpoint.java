package org.alibi4j.models.checkpoint;

import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The weights of a Hugging Face checkpoint as {@code save_pretrained} writes them: {@code model.safetensors},
 * or {@code model.safetensors.index.json} and the shards it names.
 *
 * <p>A sharded checkpoint holds every tensor of the shards its index names, also one the index does not list
 * (as transformers loads every tensor of those files); each tensor the index lists must be in the shard it
 * names, and no tensor may be in two shards.
 *
 * <p>Every file is memory-mapped read-only into one shared arena that this checkpoint owns; nothing is read
 * onto the heap, so the weights of a model larger than the heap load as fast as the headers parse, and pages
 * come in as the model touches them. All headers are checked at {@link #open}: a checkpoint that opens has
 * every tensor's bytes inside its file. A tensor whose dtype alibi4j does not read is refused only when it
 * is asked for, since a checkpoint may carry tensors the model never reads.
 *
 * <p>{@link #close()} unmaps every file. The {@link WeightTensor}s handed out view those mappings: after
 * close their {@code data} is no longer accessible, and any read of it throws {@link IllegalStateException}
 * (the contract of a {@link java.lang.foreign.MemorySegment} whose arena is closed). Close the checkpoint
 * when no thread reads its tensors any more. It is safe to use from several threads.
 */
public final class Checkpoint implements AutoCloseable {

    /** The single-file checkpoint's name. */
    public static final String SINGLE_FILE = "model.safetensors";
    /** The sharded checkpoint's index. */
    public static final String INDEX_FILE = "model.safetensors.index.json";

    /** Where a tensor lives. */
    private record Located(SafetensorsFile file, SafetensorsFile.Entry entry) {
    }

    private final Path directory;
    private final Arena arena;
    private final SortedMap<String, Located> tensors;
    private final List<String> fileNames;
    private volatile boolean closed;

    private Checkpoint(Path directory, Arena arena, SortedMap<String, Located> tensors, List<String> fileNames) {
        this.directory = directory;
        this.arena = arena;
        this.tensors = tensors;
        this.fileNames = fileNames;
    }

    /**
     * Maps the checkpoint in {@code directory} and checks all its headers (and index).
     *
     * @throws InvalidModelException where the directory or any file in it cannot be used, naming it
     */
    public static Checkpoint open(Path directory) {
        Objects.requireNonNull(directory, "directory");
        if (!Files.exists(directory)) {
            throw new InvalidModelException("model directory " + directory + " does not exist");
        }
        if (!Files.isDirectory(directory)) {
            throw new InvalidModelException("model directory " + directory + " is not a directory");
        }
        Path single = directory.resolve(SINGLE_FILE);
        Path index = directory.resolve(INDEX_FILE);
        Arena arena = Arena.ofShared();
        try {
            if (Files.exists(single)) {
                return single(directory, single, arena);
            }
            if (Files.exists(index)) {
                return sharded(directory, index, arena);
            }
            throw noWeights(directory);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    private static Checkpoint single(Path directory, Path file, Arena arena) {
        SafetensorsFile mapped = SafetensorsFile.map(file, arena);
        SortedMap<String, Located> tensors = new TreeMap<>();
        for (SafetensorsFile.Entry entry : mapped.entries().values()) {
            tensors.put(entry.name(), new Located(mapped, entry));
        }
        return new Checkpoint(directory, arena, Collections.unmodifiableSortedMap(tensors), List.of(SINGLE_FILE));
    }

    private static Checkpoint sharded(Path directory, Path index, Arena arena) {
        Map<String, String> weightMap = readWeightMap(index);
        if (weightMap.isEmpty()) {
            throw new InvalidModelException(index + " maps no tensors (its weight_map is empty)");
        }
        Map<String, SafetensorsFile> shards = new TreeMap<>();
        for (String shard : weightMap.values()) {
            if (!shards.containsKey(shard)) {
                Path file = shardFile(directory, index, shard);
                if (!Files.isRegularFile(file)) {
                    throw new InvalidModelException("shard " + shard + " named by " + index + " is missing from "
                            + directory);
                }
                shards.put(shard, SafetensorsFile.map(file, arena));
            }
        }
        SortedMap<String, Located> tensors = new TreeMap<>();
        for (Map.Entry<String, SafetensorsFile> shard : shards.entrySet()) {
            for (SafetensorsFile.Entry entry : shard.getValue().entries().values()) {
                Located earlier = tensors.putIfAbsent(entry.name(), new Located(shard.getValue(), entry));
                if (earlier != null) {
                    throw new InvalidModelException("tensor '" + entry.name() + "' is in two shards: "
                            + earlier.file().file() + " and " + shard.getValue().file());
                }
            }
        }
        for (Map.Entry<String, String> mapped : weightMap.entrySet()) {
            Located located = tensors.get(mapped.getKey());
            if (located == null || !located.file().file().getFileName().toString().equals(mapped.getValue())) {
                throw new InvalidModelException("tensor '" + mapped.getKey() + "' is mapped to " + mapped.getValue()
                        + " by " + index + ", but " + directory.resolve(mapped.getValue()) + " does not hold it");
            }
        }
        return new Checkpoint(directory, arena, Collections.unmodifiableSortedMap(tensors),
                List.copyOf(shards.keySet()));
    }

    /** {@code shard} in {@code directory}: a plain file name, never a path that leads elsewhere. */
    private static Path shardFile(Path directory, Path index, String shard) {
        Path name = directory.getFileSystem().getPath(shard);
        if (shard.isEmpty() || name.isAbsolute() || name.getNameCount() != 1 || shard.equals(".")
                || shard.equals("..") || !name.getFileName().toString().equals(shard)) {
            throw new InvalidModelException(index + " names shard '" + shard + "', which is not a file name");
        }
        return directory.resolve(name);
    }

    /** The index's {@code weight_map}: tensor name to shard file name, each shard a plain file name. */
    private static Map<String, String> readWeightMap(Path index) {
        JsonElement root;
        try {
            root = Json.parse(Json.utf8(Files.readAllBytes(index)));
        } catch (CharacterCodingException e) {
            throw new InvalidModelException(index + " is not UTF-8 text", e);
        } catch (IOException e) {
            throw new InvalidModelException("cannot read " + index + ": " + e.getMessage(), e);
        } catch (JsonParseException e) {
            throw new InvalidModelException(index + " is not valid JSON: " + e.getMessage(), e);
        }
        if (!root.isJsonObject()) {
            throw new InvalidModelException(index + " is not a JSON object");
        }
        JsonElement weightMap = root.getAsJsonObject().get("weight_map");
        if (weightMap == null || !weightMap.isJsonObject()) {
            throw new InvalidModelException(index + " has no weight_map object (weight_map: "
                    + Json.describe(weightMap) + ")");
        }
        Map<String, String> result = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> entry : weightMap.getAsJsonObject().entrySet()) {
            JsonElement shard = entry.getValue();
            if (!shard.isJsonPrimitive() || !shard.getAsJsonPrimitive().isString()) {
                throw new InvalidModelException(index + " maps tensor '" + entry.getKey()
                        + "' to " + Json.describe(shard) + ", not a file name");
            }
            result.put(entry.getKey(), shard.getAsString());
        }
        return result;
    }

    private static InvalidModelException noWeights(Path directory) {
        for (String pytorch : List.of("pytorch_model.bin", "pytorch_model.bin.index.json")) {
            if (Files.exists(directory.resolve(pytorch))) {
                return new InvalidModelException("no " + SINGLE_FILE + " or " + INDEX_FILE + " in " + directory
                        + ": it holds " + pytorch + ", which alibi4j does not read; convert it with"
                        + " save_pretrained(safe_serialization=True)");
            }
        }
        return new InvalidModelException("no " + SINGLE_FILE + " or " + INDEX_FILE + " in " + directory);
    }

    /** The directory it was opened from. */
    public Path directory() {
        return directory;
    }

    /** Every tensor's name, sorted. */
    public Set<String> names() {
        ensureOpen();
        return tensors.keySet();
    }

    /** Whether the checkpoint has a tensor called {@code name}. */
    public boolean contains(String name) {
        ensureOpen();
        return tensors.containsKey(name);
    }

    /**
     * The tensor called {@code name}.
     *
     * @throws InvalidModelException where there is none, or where its dtype is not one alibi4j reads
     */
    public WeightTensor tensor(String name) {
        return find(name).orElseThrow(() -> new InvalidModelException("tensor '" + name + "' not found in "
                + directory + " (files: " + String.join(", ", fileNames) + ")"));
    }

    /**
     * The tensor called {@code name}, which must have exactly {@code shape}.
     *
     * @throws InvalidModelException where there is none, its dtype is not read, or its shape differs
     */
    public WeightTensor tensor(String name, long... shape) {
        WeightTensor tensor = tensor(name);
        if (!Arrays.equals(tensor.shape(), shape)) {
            throw new InvalidModelException("tensor '" + name + "' in " + tensors.get(name).file().file()
                    + " has shape " + Arrays.toString(tensor.shape()) + ", expected " + Arrays.toString(shape));
        }
        return tensor;
    }

    /**
     * The tensor called {@code name}, if the checkpoint has one.
     *
     * @throws InvalidModelException where it has one whose dtype alibi4j does not read
     */
    public Optional<WeightTensor> find(String name) {
        ensureOpen();
        Located located = tensors.get(name);
        if (located == null) {
            return Optional.empty();
        }
        SafetensorsFile.Entry entry = located.entry();
        if (entry.dtype() == null) {
            throw new InvalidModelException("tensor '" + name + "' in " + located.file().file() + " has dtype "
                    + entry.dtypeName() + ", which alibi4j does not read (supported: " + DType.supported() + ")");
        }
        return Optional.of(new WeightTensor(name, entry.dtype(), entry.shape(), located.file().bytes(entry)));
    }

    /** Unmaps every file; the tensors handed out become inaccessible. Closing twice does nothing. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        arena.close();
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("checkpoint " + directory + " is closed");
        }
    }

    @Override
    public String toString() {
        return "Checkpoint[" + directory + ", " + tensors.size() + " tensors in "
                + fileNames.stream().collect(Collectors.joining(", ")) + "]";
    }
}
