package org.alibi4j.models.checkpoint;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One safetensors file, mapped read-only into a caller's arena, its header parsed and checked against the
 * file before any tensor is handed out.
 *
 * <p>The format: 8 bytes little-endian header length {@code N}, {@code N} bytes of JSON header
 * {@code {"name": {"dtype": "F16", "shape": [..], "data_offsets": [begin, end]}, ..., "__metadata__": {..}}},
 * then the data; offsets count from the first byte after the header. The checks are those of the reference
 * reader (the {@code safetensors} crate's {@code Metadata::validate}): the tensors, sorted by offset, tile the
 * data exactly, without gaps, overlaps or trailing bytes, and each holds exactly its shape's bytes.
 */
final class SafetensorsFile {

    /** The reference reader's limit on the header; anything larger is not a header. */
    static final long MAX_HEADER_BYTES = 100_000_000;

    private static final String METADATA_KEY = "__metadata__";

    /** Bytes per element of the safetensors dtypes alibi4j does not read, to check their offsets all the same. */
    private static final Map<String, Integer> OTHER_DTYPE_BYTES = Map.ofEntries(
            Map.entry("BOOL", 1), Map.entry("U8", 1), Map.entry("I8", 1),
            Map.entry("F8_E5M2", 1), Map.entry("F8_E4M3", 1), Map.entry("F8_E8M0", 1),
            Map.entry("I16", 2), Map.entry("U16", 2),
            Map.entry("I32", 4), Map.entry("U32", 4),
            Map.entry("F64", 8), Map.entry("I64", 8), Map.entry("U64", 8));

    /**
     * One tensor's header entry.
     *
     * @param dtypeName the dtype as the header names it
     * @param dtype     that dtype where alibi4j reads it, else null
     * @param begin     first byte, counted from the start of the data
     * @param end       one past the last byte
     */
    record Entry(String name, String dtypeName, DType dtype, long[] shape, long begin, long end) {
    }

    private final Path file;
    private final MemorySegment data;
    private final Map<String, Entry> entries;

    private SafetensorsFile(Path file, MemorySegment data, Map<String, Entry> entries) {
        this.file = file;
        this.data = data;
        this.entries = entries;
    }

    /**
     * Maps {@code file} into {@code arena} and checks its header. The mapping lives until the arena closes,
     * also where this throws: the caller closes the arena on failure.
     *
     * @throws InvalidModelException naming the file (and tensor) where it is not a valid safetensors file
     */
    static SafetensorsFile map(Path file, Arena arena) {
        MemorySegment whole;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < Long.BYTES) {
                throw invalid(file, "has " + size + " bytes, fewer than the 8 of a safetensors header length");
            }
            whole = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        } catch (IOException e) {
            throw new InvalidModelException("cannot read " + file + ": " + e.getMessage(), e);
        }
        long size = whole.byteSize();
        long headerLength = whole.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
            throw invalid(file, "has a header length of " + Long.toUnsignedString(headerLength)
                    + " bytes, more than the " + MAX_HEADER_BYTES + " a safetensors header may have");
        }
        if (headerLength > size - Long.BYTES) {
            throw invalid(file, "has a header length of " + headerLength + " bytes, but only "
                    + (size - Long.BYTES) + " bytes follow it (truncated file?)");
        }
        String header;
        try {
            header = Json.utf8(whole.asSlice(Long.BYTES, headerLength).toArray(ValueLayout.JAVA_BYTE));
        } catch (CharacterCodingException e) {
            throw invalid(file, "has a header that is not UTF-8");
        }
        MemorySegment data = whole.asSlice(Long.BYTES + headerLength).asReadOnly();
        Map<String, Entry> entries = parseHeader(file, header);
        checkOffsets(file, entries.values(), data.byteSize());
        return new SafetensorsFile(file, data, Collections.unmodifiableMap(entries));
    }

    /** The file it maps. */
    Path file() {
        return file;
    }

    /** Its tensors, in header order. */
    Map<String, Entry> entries() {
        return entries;
    }

    /** The bytes of {@code entry}, a read-only view of the mapping. */
    MemorySegment bytes(Entry entry) {
        return data.asSlice(entry.begin(), entry.end() - entry.begin());
    }

    private static Map<String, Entry> parseHeader(Path file, String header) {
        Map<String, Entry> entries = new LinkedHashMap<>();
        try {
            // Read the top-level object key by key: a name given twice is an error, not "the last one wins".
            JsonReader reader = Json.reader(header);
            if (reader.peek() != JsonToken.BEGIN_OBJECT) {
                throw invalid(file, "has a header that is not a JSON object");
            }
            reader.beginObject();
            boolean metadataSeen = false;
            while (reader.hasNext()) {
                String name = reader.nextName();
                JsonElement value = JsonParser.parseReader(reader);
                if (name.equals(METADATA_KEY)) {
                    if (metadataSeen) {
                        throw invalid(file, "has " + METADATA_KEY + " twice in its header");
                    }
                    if (!value.isJsonObject() && !value.isJsonNull()) {
                        throw invalid(file, "has a " + METADATA_KEY + " that is not an object");
                    }
                    metadataSeen = true;
                    continue;
                }
                if (entries.containsKey(name)) {
                    throw invalid(file, "has tensor '" + name + "' twice in its header");
                }
                entries.put(name, entry(file, name, value));
            }
            reader.endObject();
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw invalid(file, "has text after the JSON object of its header");
            }
        } catch (IOException | JsonParseException | IllegalStateException | StackOverflowError e) {
            throw new InvalidModelException(file + " does not have a valid JSON header: " + Json.message(e), e);
        }
        return entries;
    }

    private static Entry entry(Path file, String name, JsonElement value) {
        if (!value.isJsonObject()) {
            throw invalidTensor(file, name, "has a header entry that is not an object: " + Json.describe(value));
        }
        JsonObject object = value.getAsJsonObject();
        JsonElement dtype = object.get("dtype");
        if (dtype == null || !dtype.isJsonPrimitive() || !dtype.getAsJsonPrimitive().isString()) {
            throw invalidTensor(file, name, "has no dtype string in its header entry (dtype: "
                    + Json.describe(dtype) + ")");
        }
        String dtypeName = dtype.getAsString();
        long[] shape = longs(file, name, object, "shape", -1);
        long[] offsets = longs(file, name, object, "data_offsets", 2);
        return new Entry(name, dtypeName, DType.lookup(dtypeName).orElse(null), shape, offsets[0], offsets[1]);
    }

    /** A list of non-negative integers (of {@code length} of them where that is not -1). */
    private static long[] longs(Path file, String name, JsonObject object, String key, int length) {
        JsonElement element = object.get(key);
        if (element == null || !element.isJsonArray()
                || (length >= 0 && element.getAsJsonArray().size() != length)) {
            throw invalidTensor(file, name, "has no " + key + (length >= 0 ? " pair" : " list")
                    + " in its header entry (" + key + ": " + Json.describe(element) + ")");
        }
        JsonArray array = element.getAsJsonArray();
        long[] values = new long[array.size()];
        for (int i = 0; i < values.length; i++) {
            Long value = Json.exactInteger(array.get(i), 0, Long.MAX_VALUE);
            if (value == null) {
                throw invalidTensor(file, name, "has " + key + " " + array
                        + ": each must be a non-negative integer");
            }
            values[i] = value;
        }
        return values;
    }

    private static void checkOffsets(Path file, Iterable<Entry> entries, long dataBytes) {
        List<Entry> sorted = new ArrayList<>();
        for (Entry entry : entries) {
            String where = "has data_offsets [" + entry.begin() + ", " + entry.end() + "]";
            if (entry.end() < entry.begin()) {
                throw invalidTensor(file, entry.name(), where + ": the end is before the begin");
            }
            if (entry.end() > dataBytes) {
                throw invalidTensor(file, entry.name(), where + ", past the end of the data ("
                        + dataBytes + " bytes): truncated file?");
            }
            Integer width = entry.dtype() != null ? Integer.valueOf(entry.dtype().bytes())
                    : OTHER_DTYPE_BYTES.get(entry.dtypeName());
            if (width != null) {
                long expected;
                try {
                    expected = Math.multiplyExact(elements(entry.shape()), width.longValue());
                } catch (ArithmeticException e) {
                    throw invalidTensor(file, entry.name(), "has shape " + Arrays.toString(entry.shape())
                            + ", too many elements");
                }
                if (entry.end() - entry.begin() != expected) {
                    throw invalidTensor(file, entry.name(), where + " (" + (entry.end() - entry.begin())
                            + " bytes), but " + entry.dtypeName() + " " + Arrays.toString(entry.shape())
                            + " needs " + expected + " bytes");
                }
            }
            sorted.add(entry);
        }
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expectedBegin = 0;
        String previous = null;
        for (Entry entry : sorted) {
            if (entry.begin() != expectedBegin) {
                throw invalidTensor(file, entry.name(), "has data_offsets [" + entry.begin() + ", "
                        + entry.end() + "], but the data before it ends at " + expectedBegin
                        + (previous == null ? "" : " (tensor '" + previous + "')")
                        + ": tensors must tile the data in order, without gaps or overlaps");
            }
            expectedBegin = entry.end();
            previous = entry.name();
        }
        if (expectedBegin != dataBytes) {
            throw invalid(file, "has " + (dataBytes - expectedBegin) + " bytes after the end of its last tensor"
                    + (previous == null ? "" : " ('" + previous + "')"));
        }
    }

    private static long elements(long[] shape) {
        long count = 1;
        for (long dim : shape) {
            count = Math.multiplyExact(count, dim);
        }
        return count;
    }

    private static InvalidModelException invalid(Path file, String what) {
        return new InvalidModelException(file + " " + what);
    }

    private static InvalidModelException invalidTensor(Path file, String name, String what) {
        return new InvalidModelException("tensor '" + name + "' in " + file + " " + what);
    }
}
