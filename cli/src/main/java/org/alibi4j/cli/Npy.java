package org.alibi4j.cli;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * NumPy's {@code .npy} format, versions 1.0, 2.0 and 3.0, for the little-endian float32 ({@code <f4}) and
 * float16 ({@code <f2}) arrays in C order that the command line reads and writes.
 *
 * <p>The format (numpy/lib/format.py): the magic {@code \x93NUMPY}, a major and a minor version byte, the
 * header's length (2 bytes little-endian in 1.0, 4 bytes in 2.0 and 3.0), the header (latin-1, utf-8 in 3.0):
 * a Python dict literal {@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }} padded with spaces
 * and ended by {@code \n}, then the elements. Reading checks each part and that the data is exactly as long
 * as the shape says; every problem is an {@link IllegalArgumentException} whose message says what is wrong
 * (the caller adds the file's name).
 */
final class Npy {
    static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** NumPy aligns the start of the data to this many bytes. */
    static final int ALIGN = 64;
    /** The longest header read: a float array's is under 200 bytes (NumPy itself refuses over 10000 unless told otherwise). */
    static final int MAX_HEADER = 1 << 16;
    /** The most elements a Java array holds. */
    static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort F16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int CHUNK = 1 << 20;

    private Npy() {
    }

    /** The element types read and written. */
    enum Dtype {
        F4("<f4", "float32", Float.BYTES),
        F2("<f2", "float16", Short.BYTES);

        final String descr;
        final String numpyName;
        final int bytes;

        Dtype(String descr, String numpyName, int bytes) {
            this.descr = descr;
            this.numpyName = numpyName;
            this.bytes = bytes;
        }

        /** E.g. {@code '<f4' (float32)}. */
        String label() {
            return "'" + descr + "' (" + numpyName + ")";
        }
    }

    /** A parsed header: where the data starts and what it is. */
    record Header(int major, Dtype dtype, long[] shape, long dataOffset) {
        long elements() {
            return Npy.elements(shape);
        }

        long dataBytes() {
            return elements() * dtype.bytes;
        }

        int rank() {
            return shape.length;
        }

        int dim(int axis) {
            return (int) shape[axis];
        }
    }

    /** An array read from a file: float32 elements in {@code floats}, or float16 bits in {@code halves}. */
    record Array(Dtype dtype, long[] shape, float[] floats, short[] halves) {
        int rank() {
            return shape.length;
        }

        int dim(int axis) {
            return (int) shape[axis];
        }
    }

    // ---------------------------------------------------------------- reading

    /**
     * Reads the file at {@code path}, which must hold one of {@code accepted}.
     *
     * @throws IllegalArgumentException if the file is not such an array (the message says why)
     * @throws IOException              if it cannot be read
     */
    static Array read(Path path, Set<Dtype> accepted) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            Header header = readHeader(channel, size, accepted);
            long bytes = header.dataBytes();
            int n = (int) header.elements();
            float[] floats = header.dtype() == Dtype.F4 ? new float[n] : null;
            short[] halves = header.dtype() == Dtype.F2 ? new short[n] : null;
            if (n > 0) {
                // one bulk copy out of the mapped file, converting from little-endian where the CPU is not
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment data = channel.map(FileChannel.MapMode.READ_ONLY, header.dataOffset(), bytes, arena);
                    if (floats != null) {
                        MemorySegment.copy(data, F32_LE, 0, floats, 0, n);
                    } else {
                        MemorySegment.copy(data, F16_LE, 0, halves, 0, n);
                    }
                }
            }
            return new Array(header.dtype(), header.shape(), floats, halves);
        }
    }

    /**
     * Reads and checks the header of the file at {@code path}, and that its data is exactly as long as the shape
     * says, without reading the data.
     */
    static Header header(Path path, Set<Dtype> accepted) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            return readHeader(channel, channel.size(), accepted);
        }
    }

    /**
     * Reads and checks the header of a file of {@code size} bytes, that its data is exactly as long as the shape
     * says, and that the elements fit in a Java array.
     */
    static Header readHeader(FileChannel channel, long size, Set<Dtype> accepted) throws IOException {
        byte[] prefix = readFully(channel, 0, (int) Math.min(size, 12));
        for (int n = 0; n < MAGIC.length; n++) {
            if (n >= prefix.length || prefix[n] != MAGIC[n]) {
                if (size == 0) {
                    throw new IllegalArgumentException("not an .npy file: the file is empty");
                }
                if (n < prefix.length) {
                    throw new IllegalArgumentException("not an .npy file (it does not start with \\x93NUMPY)");
                }
                throw new IllegalArgumentException("not an .npy file: " + size + " bytes, cut inside the magic \\x93NUMPY");
            }
        }
        if (prefix.length < 8) {
            throw new IllegalArgumentException("the header is cut off: the file ends after " + size + " bytes, inside the version");
        }
        int major = prefix[6] & 0xff;
        int minor = prefix[7] & 0xff;
        if (major < 1 || major > 3 || minor != 0) {
            throw new IllegalArgumentException("unsupported .npy format version " + major + "." + minor + " (1.0, 2.0 and 3.0 are read)");
        }
        int lengthBytes = major == 1 ? 2 : 4;
        if (prefix.length < 8 + lengthBytes) {
            throw new IllegalArgumentException("the header is cut off: the file ends after " + size + " bytes, inside the header length");
        }
        ByteBuffer lengthField = ByteBuffer.wrap(prefix, 8, lengthBytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = major == 1 ? Short.toUnsignedLong(lengthField.getShort()) : Integer.toUnsignedLong(lengthField.getInt());
        if (headerLength > MAX_HEADER) {
            throw new IllegalArgumentException("the header's length field says " + headerLength + " bytes, more than the "
                    + MAX_HEADER + " any array of floats needs");
        }
        long dataOffset = 8 + lengthBytes + headerLength;
        if (dataOffset > size) {
            throw new IllegalArgumentException("the header is cut off: its length field says " + headerLength
                    + " bytes, but the file ends " + (size - 8 - lengthBytes) + " bytes after it");
        }
        byte[] raw = readFully(channel, 8 + lengthBytes, (int) headerLength);
        String text = decode(raw, major);
        Map<String, Object> dict = new HeaderParser(text).dict();
        Dtype dtype = dtype(dict.get("descr"), accepted);
        if (!(dict.get("fortran_order") instanceof Boolean fortran)) {
            throw new IllegalArgumentException("malformed header: 'fortran_order' must be True or False (was "
                    + describe(dict.get("fortran_order")) + ")");
        }
        if (!(dict.get("shape") instanceof long[] shape)) {
            throw new IllegalArgumentException("malformed header: 'shape' must be a tuple of integers (was "
                    + describe(dict.get("shape")) + ")");
        }
        if (fortran) {
            throw new IllegalArgumentException("Fortran order (fortran_order: True) is refused, not transposed; save a C-order"
                    + " array (numpy.ascontiguousarray)");
        }
        long count = elements(shape);
        long expected = count < 0 ? -1 : multiplyOrMinusOne(count, dtype.bytes);
        long actual = size - dataOffset;
        if (expected < 0 || actual < expected) {
            throw new IllegalArgumentException("the data is truncated: shape " + shapeText(shape) + " of " + dtype.numpyName + " needs "
                    + (expected < 0 ? "more than 2^63" : Long.toString(expected)) + " bytes after the header, the file has " + actual);
        }
        if (actual > expected) {
            throw new IllegalArgumentException((actual - expected) + " bytes follow the data of shape " + shapeText(shape) + " of "
                    + dtype.numpyName + ": the header's shape or length does not describe the file");
        }
        if (count > MAX_ELEMENTS) {
            throw new IllegalArgumentException("shape " + shapeText(shape) + " has " + count + " elements, more than a Java array holds ("
                    + MAX_ELEMENTS + ")");
        }
        return new Header(major, dtype, shape, dataOffset);
    }

    private static String decode(byte[] raw, int major) {
        if (major < 3) {
            return new String(raw, StandardCharsets.ISO_8859_1);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(raw)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("malformed header: a version 3.0 header must be utf-8 (" + e.getMessage() + ")");
        }
    }

    private static Dtype dtype(Object descr, Set<Dtype> accepted) {
        String expected = String.join(" or ", accepted.stream().sorted().map(Dtype::label).toList());
        if (descr instanceof Object[]) {
            throw new IllegalArgumentException("unsupported dtype: a structured dtype (a list of fields); expected " + expected);
        }
        if (!(descr instanceof String s)) {
            throw new IllegalArgumentException("malformed header: 'descr' must be a dtype string (was " + describe(descr) + ")");
        }
        for (Dtype d : accepted) {
            if (d.descr.equals(s)) {
                return d;
            }
        }
        String type = s.isEmpty() || "<>|=".indexOf(s.charAt(0)) < 0 ? s : s.substring(1);
        String name = typeName(type);
        for (Dtype d : Dtype.values()) {
            if (accepted.contains(d) && d.descr.substring(1).equals(type)) {
                String why = s.startsWith(">") ? "big-endian " + name + " is not supported" : "'" + s + "' does not say its byte order";
                throw new IllegalArgumentException("unsupported dtype '" + s + "': " + why + "; expected " + expected);
            }
        }
        throw new IllegalArgumentException("unsupported dtype '" + s + "'" + (name.equals(type) ? "" : " (" + name + ")") + "; expected " + expected);
    }

    /** NumPy's name of a type string without its byte order, e.g. {@code f8} is float64; the string itself if unknown. */
    private static String typeName(String type) {
        if (type.length() < 2 || !type.substring(1).chars().allMatch(Character::isDigit) || type.length() > 4) {
            return type;
        }
        int size = Integer.parseInt(type.substring(1));
        return switch (type.charAt(0)) {
            case 'f' -> "float" + 8 * size;
            case 'i' -> "int" + 8 * size;
            case 'u' -> "uint" + 8 * size;
            case 'c' -> "complex" + 8 * size;
            case 'b' -> size == 1 ? "bool" : type;
            case 'U' -> "a unicode string";
            case 'S' -> "a byte string";
            case 'V' -> "raw bytes";
            default -> type;
        };
    }

    private static String describe(Object value) {
        if (value == null) {
            return "missing";
        }
        if (value instanceof long[] tuple) {
            return shapeText(tuple);
        }
        if (value instanceof Object[]) {
            return "a list";
        }
        if (value instanceof String s) {
            return "'" + s + "'";
        }
        if (value instanceof Boolean b) {
            return b ? "True" : "False";
        }
        return value.toString();
    }

    private static byte[] readFully(FileChannel channel, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new IOException("the file shrank while it was read");
            }
        }
        return buffer.array();
    }

    /**
     * The Python literal of an .npy header, no more: a dict of string keys whose values are strings,
     * {@code True}/{@code False}, integers, tuples of integers or (for a structured descr) lists, which
     * are recognised and refused. Keys must be exactly {@code descr}, {@code fortran_order} and {@code shape},
     * as NumPy requires; after the dict come only spaces and the final newline.
     */
    static final class HeaderParser {
        private static final Set<String> KEYS = Set.of("descr", "fortran_order", "shape");
        private final String text;
        private int at;

        HeaderParser(String text) {
            this.text = text;
        }

        Map<String, Object> dict() {
            Map<String, Object> dict = new LinkedHashMap<>();
            expect('{');
            skipSpaces();
            while (peek() != '}') {
                String key = string();
                if (!KEYS.contains(key)) {
                    throw malformed("unknown key '" + key + "' (an .npy header holds 'descr', 'fortran_order' and 'shape')");
                }
                skipSpaces();
                expect(':');
                skipSpaces();
                if (dict.put(key, value()) != null) {
                    throw malformed("key '" + key + "' appears twice");
                }
                skipSpaces();
                if (peek() == ',') {
                    at++;
                    skipSpaces();
                } else if (peek() != '}') {
                    throw malformed("expected ',' or '}' at character " + at);
                }
            }
            at++;
            skipSpaces();
            if (at < text.length()) {
                throw malformed("unexpected characters after the dict, from character " + at + " (does the header length field lie?)");
            }
            for (String key : KEYS.stream().sorted().toList()) {
                if (!dict.containsKey(key)) {
                    throw malformed("no '" + key + "'");
                }
            }
            return dict;
        }

        private Object value() {
            char c = peek();
            if (c == '\'' || c == '"') {
                return string();
            }
            if (c == '(') {
                return tuple();
            }
            if (c == '[') {
                skipBracketed();
                return new Object[0];
            }
            if (text.startsWith("True", at)) {
                at += 4;
                return Boolean.TRUE;
            }
            if (text.startsWith("False", at)) {
                at += 5;
                return Boolean.FALSE;
            }
            if (isDigit(c) || c == '-') {
                return integer();
            }
            throw malformed("unexpected " + visible(c) + " at character " + at);
        }

        private long[] tuple() {
            expect('(');
            long[] values = new long[4];
            int count = 0;
            skipSpaces();
            while (peek() != ')') {
                if (count == values.length) {
                    values = Arrays.copyOf(values, 2 * count);
                }
                values[count++] = integer();
                skipSpaces();
                if (peek() == ',') {
                    at++;
                    skipSpaces();
                } else if (peek() != ')') {
                    throw malformed("expected ',' or ')' in the shape at character " + at);
                }
            }
            at++;
            return Arrays.copyOf(values, count);
        }

        private long integer() {
            int start = at;
            if (peek() == '-') {
                at++;
            }
            while (at < text.length() && isDigit(text.charAt(at))) {
                at++;
            }
            String digits = text.substring(start, at);
            if (digits.isEmpty() || digits.equals("-")) {
                throw malformed("expected an integer at character " + start);
            }
            long value;
            try {
                value = Long.parseLong(digits);
            } catch (NumberFormatException e) {
                throw malformed("integer " + digits + " is too large");
            }
            if (value < 0) {
                throw malformed("negative dimension " + value);
            }
            return value;
        }

        private String string() {
            char quote = peek();
            if (quote != '\'' && quote != '"') {
                throw malformed("expected a quoted key at character " + at);
            }
            int end = text.indexOf(quote, at + 1);
            if (end < 0) {
                throw malformed("unterminated string at character " + at);
            }
            String s = text.substring(at + 1, end);
            if (s.indexOf('\\') >= 0) {
                throw malformed("escapes in strings are not supported (" + s + ")");
            }
            at = end + 1;
            return s;
        }

        private void skipBracketed() {
            int depth = 0;
            do {
                char c = peek();
                if (c == '[' || c == '(') {
                    depth++;
                } else if (c == ']' || c == ')') {
                    depth--;
                } else if (c == '\'' || c == '"') {
                    string();
                    continue;
                }
                at++;
            } while (depth > 0);
        }

        private void expect(char c) {
            if (peek() != c) {
                throw malformed("expected '" + c + "' at character " + at + ", found " + visible(peek()));
            }
            at++;
        }

        private char peek() {
            if (at >= text.length()) {
                throw malformed("the header ends at character " + at + " before the dict is closed (is the header cut off?)");
            }
            return text.charAt(at);
        }

        private void skipSpaces() {
            while (at < text.length() && isSpace(text.charAt(at))) {
                at++;
            }
        }

        /** Python's integer literals are ASCII digits ({@link Character#isDigit} takes any script's). */
        private static boolean isDigit(char c) {
            return c >= '0' && c <= '9';
        }

        private static boolean isSpace(char c) {
            return c == ' ' || c == '\n' || c == '\t' || c == '\r';
        }

        private static String visible(char c) {
            return c >= 0x20 && c < 0x7f ? "'" + c + "'" : c < 0x100 ? String.format("byte 0x%02x", (int) c) : String.format("U+%04X", (int) c);
        }

        /** The error, with the header shown on one line: runs of white space as one space, other unprintables as '.'. */
        private IllegalArgumentException malformed(String why) {
            String shown = text.strip().replaceAll("[ \\t\\r\\n]+", " ").replaceAll("[^\\x20-\\x7e]", ".");
            if (shown.length() > 120) {
                shown = shown.substring(0, 117) + "...";
            }
            return new IllegalArgumentException("malformed header: " + why + ": " + shown);
        }
    }

    // ---------------------------------------------------------------- writing

    /**
     * The header NumPy writes for a C-order array: {@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }},
     * spaces and {@code \n}, so that the data starts at a multiple of {@link #ALIGN} bytes.
     */
    static byte[] header(Dtype dtype, int major, long[] shape) {
        if (major < 1 || major > 3) {
            throw new IllegalArgumentException("version must be 1, 2 or 3 (was " + major + ")");
        }
        String dict = "{'descr': '" + dtype.descr + "', 'fortran_order': False, 'shape': " + shapeText(shape) + ", }";
        byte[] text = dict.getBytes(major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        int prefix = major == 1 ? 10 : 12;
        int unpadded = prefix + text.length + 1; // + '\n'
        int padded = (unpadded + ALIGN - 1) / ALIGN * ALIGN;
        int headerLength = padded - prefix;
        if (major == 1 && headerLength > 0xffff) {
            throw new IllegalArgumentException("a version 1.0 header holds at most 65535 bytes (this one needs " + headerLength + ")");
        }
        ByteBuffer b = ByteBuffer.allocate(padded).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) major).put((byte) 0);
        if (major == 1) {
            b.putShort((short) headerLength);
        } else {
            b.putInt(headerLength);
        }
        b.put(text);
        while (b.position() < padded - 1) {
            b.put((byte) ' ');
        }
        b.put((byte) '\n');
        return b.array();
    }

    /** Writes {@code data} as a version 1.0 {@code <f4} array of {@code shape}: to a new file beside {@code path}, then moved over it. */
    static void writeFloats(Path path, long[] shape, float[] data) throws IOException {
        write(path, Dtype.F4, 1, shape, data, null);
    }

    /**
     * Writes floats ({@link Dtype#F4}) or halves ({@link Dtype#F2}) with a header of version {@code major}. The
     * file appears complete or not at all: the bytes go to a temporary file in the same directory, which is
     * then renamed onto {@code path} (atomically where the file system can), replacing what was there.
     */
    static void write(Path path, Dtype dtype, int major, long[] shape, float[] floats, short[] halves) throws IOException {
        long count = elements(shape);
        int length = dtype == Dtype.F4 ? floats.length : halves.length;
        if (count != length) {
            throw new IllegalArgumentException("shape " + shapeText(shape) + " holds " + count + " elements, the data " + length);
        }
        byte[] header = header(dtype, major, shape);
        Path target = path.toAbsolutePath();
        Path temporary = createTemporary(target);
        try {
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                writeFully(channel, ByteBuffer.wrap(header));
                ByteBuffer buffer = ByteBuffer.allocateDirect(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
                int per = CHUNK / dtype.bytes;
                for (int from = 0; from < length; from += per) {
                    int n = Math.min(per, length - from);
                    buffer.clear();
                    if (dtype == Dtype.F4) {
                        buffer.asFloatBuffer().put(floats, from, n);
                    } else {
                        buffer.asShortBuffer().put(halves, from, n);
                    }
                    buffer.limit(n * dtype.bytes);
                    writeFully(channel, buffer);
                }
                channel.force(true);
            }
            try {
                Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temporary); // gone already after a move
        }
    }

    /** A new empty file beside {@code target}, hidden, with the permissions a new file gets (not createTempFile's 0600). */
    private static Path createTemporary(Path target) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path temporary = target.resolveSibling("." + target.getFileName() + "."
                    + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16) + ".tmp");
            try {
                return Files.createFile(temporary);
            } catch (FileAlreadyExistsException e) {
                if (attempt == 9) {
                    throw e;
                }
            }
        }
    }

    private static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    // ---------------------------------------------------------------- shapes

    /** The number of elements of {@code shape}, or {@code -1} if it exceeds a long. */
    static long elements(long[] shape) {
        long n = 1;
        for (long dim : shape) {
            n = multiplyOrMinusOne(n, dim);
            if (n < 0) {
                return -1;
            }
        }
        return n;
    }

    private static long multiplyOrMinusOne(long a, long b) {
        long high = Math.multiplyHigh(a, b);
        long product = a * b;
        return high != 0 || product < 0 ? -1 : product;
    }

    /** A shape as Python writes a tuple: {@code ()}, {@code (5,)}, {@code (2, 3)}. */
    static String shapeText(long[] shape) {
        if (shape.length == 1) {
            return "(" + shape[0] + ",)";
        }
        StringBuilder s = new StringBuilder("(");
        for (int n = 0; n < shape.length; n++) {
            s.append(n == 0 ? "" : ", ").append(shape[n]);
        }
        return s.append(')').toString();
    }

    static String shapeText(int... shape) {
        return shapeText(Arrays.stream(shape).asLongStream().toArray());
    }
}
