package org.alibi4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NpyTest {
    private static final Set<Npy.Dtype> BOTH = EnumSet.allOf(Npy.Dtype.class);
    private static final Set<Npy.Dtype> FLOATS = EnumSet.of(Npy.Dtype.F4);

    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource({"1, F4", "2, F4", "3, F4", "1, F2", "2, F2", "3, F2"})
    void roundTripsEveryVersionAndType(int major, Npy.Dtype dtype) throws IOException {
        long[] shape = {3, 7, 5};
        SplittableRandom random = new SplittableRandom(major * 31L + dtype.ordinal());
        float[] floats = new float[3 * 7 * 5];
        short[] halves = new short[floats.length];
        for (int n = 0; n < floats.length; n++) {
            floats[n] = (float) random.nextDouble(-100, 100);
            halves[n] = Float.floatToFloat16(floats[n]);
        }
        floats[0] = -0.0f;
        floats[1] = Float.NEGATIVE_INFINITY;
        floats[2] = Float.MIN_VALUE;
        halves[0] = (short) 0x8000; // -0.0
        halves[1] = (short) 0x0001; // the smallest subnormal half
        Path file = dir.resolve("a.npy");
        Npy.write(file, dtype, major, shape, dtype == Npy.Dtype.F4 ? floats : null, dtype == Npy.Dtype.F2 ? halves : null);

        byte[] bytes = Files.readAllBytes(file);
        int dataOffset = bytes.length - floats.length * dtype.bytes;
        assertEquals(0, dataOffset % Npy.ALIGN, "the data starts at a multiple of 64 bytes");
        assertEquals(major, bytes[6]);
        assertEquals('\n', bytes[dataOffset - 1]);

        Npy.Array a = Npy.read(file, BOTH);
        assertEquals(dtype, a.dtype());
        assertArrayEquals(shape, a.shape());
        if (dtype == Npy.Dtype.F4) {
            for (int n = 0; n < floats.length; n++) { // bit for bit, -0.0 and infinity too
                assertEquals(Float.floatToRawIntBits(floats[n]), Float.floatToRawIntBits(a.floats()[n]), "element " + n);
            }
            assertNull(a.halves());
        } else {
            assertArrayEquals(halves, a.halves());
            assertNull(a.floats());
        }
    }

    @Test
    void writesTheHeaderNumpyWrites() throws IOException {
        Path file = dir.resolve("o.npy");
        Npy.writeFloats(file, new long[] {2, 3, 4}, new float[24]);
        byte[] bytes = Files.readAllBytes(file);
        assertEquals(128 + 24 * 4, bytes.length);
        // what numpy 1.x and 2.x write for np.zeros((2, 3, 4), np.float32): version 1.0, header length 118
        String header = new String(bytes, 10, 118, StandardCharsets.ISO_8859_1);
        assertEquals("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }" + " ".repeat(55) + "\n", header);
        assertArrayEquals(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 118, 0}, Arrays.copyOf(bytes, 10));
    }

    @Test
    void writesOneDimensionalAndScalarShapesAsPythonTuples() {
        assertEquals("(5,)", Npy.shapeText(5));
        assertEquals("()", Npy.shapeText());
        assertEquals("(2, 3)", Npy.shapeText(2, 3));
    }

    @Test
    void readsAHeaderWithDoubleQuotesAndNoTrailingComma() throws IOException {
        Path file = raw(1, "{\"shape\": (1, 2, 1), \"fortran_order\": False, \"descr\": \"<f4\"}", floats(1.5f, -2f));
        Npy.Array a = Npy.read(file, FLOATS);
        assertArrayEquals(new long[] {1, 2, 1}, a.shape());
        assertArrayEquals(new float[] {1.5f, -2f}, a.floats());
    }

    @Test
    void replacesAnExistingFileAndLeavesNoTemporaryFile() throws IOException {
        Path file = dir.resolve("o.npy");
        Files.writeString(file, "old");
        Npy.writeFloats(file, new long[] {1}, new float[] {7});
        assertArrayEquals(new float[] {7}, Npy.read(file, FLOATS).floats());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList());
        }
    }

    @Test
    void readsALargeFileInBulk() throws IOException {
        float[] data = new float[3 << 20]; // 12 MiB: several write chunks
        for (int n = 0; n < data.length; n++) {
            data[n] = n;
        }
        Path file = dir.resolve("big.npy");
        Npy.writeFloats(file, new long[] {3, 1024, 1024}, data);
        assertArrayEquals(data, Npy.read(file, FLOATS).floats());
    }

    @ParameterizedTest
    @CsvSource(delimiterString = "=>", quoteCharacter = '`', value = {
            "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }     => unsupported dtype '<f8' (float64); expected '<f4' (float32) or '<f2' (float16)",
            "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }     => unsupported dtype '<i4' (int32); expected '<f4' (float32) or '<f2' (float16)",
            "{'descr': '|u1', 'fortran_order': False, 'shape': (8,), }     => unsupported dtype '|u1' (uint8); expected '<f4' (float32) or '<f2' (float16)",
            "{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }     => unsupported dtype '<U3' (a unicode string); expected '<f4' (float32) or '<f2' (float16)",
            "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }     => unsupported dtype '>f4': big-endian float32 is not supported; expected '<f4' (float32) or '<f2' (float16)",
            "{'descr': '=f4', 'fortran_order': False, 'shape': (2,), }     => unsupported dtype '=f4': '=f4' does not say its byte order; expected '<f4' (float32) or '<f2' (float16)",
            "{'descr': '|f2', 'fortran_order': False, 'shape': (4,), }     => unsupported dtype '|f2': '|f2' does not say its byte order; expected '<f4' (float32) or '<f2' (float16)",
            "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), } => unsupported dtype: a structured dtype (a list of fields); expected '<f4' (float32) or '<f2' (float16)",
            "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }      => Fortran order (fortran_order: True) is refused, not transposed; save a C-order array (numpy.ascontiguousarray)",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }     => the data is truncated: shape (3,) of float32 needs 12 bytes after the header, the file has 8",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }     => 4 bytes follow the data of shape (1,) of float32: the header's shape or length does not describe the file",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }    => malformed header: negative dimension -2: {'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }",
            "{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }         => malformed header: 'fortran_order' must be True or False (was 0)",
            "{'descr': '<f4', 'fortran_order': False, 'shape': 2, }        => malformed header: 'shape' must be a tuple of integers (was 2)",
            "{'descr': '<f4', 'fortran_order': False}                      => malformed header: no 'shape': {'descr': '<f4', 'fortran_order': False}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1} => malformed header: unknown key 'x' (an .npy header holds 'descr', 'fortran_order' and 'shape'): {'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}",
            "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)} => malformed header: key 'descr' appears twice: {'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}",
            "{'descr': '<f4' 'fortran_order': False, 'shape': (2,), }      => malformed header: expected ',' or '}' at character 16: {'descr': '<f4' 'fortran_order': False, 'shape': (2,), }",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2,),       => malformed header: the header ends at character 118 before the dict is closed (is the header cut off?): {'descr': '<f4', 'fortran_order': False, 'shape': (2,),",
            "descr = '<f4'                                                 => malformed header: expected '{' at character 0, found 'd': descr = '<f4'",
    })
    void refusesABadHeaderSayingWhy(String dict, String message) throws IOException {
        Path file = raw(1, dict.strip(), floats(1, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Npy.read(file, BOTH));
        assertEquals(message.strip(), e.getMessage());
    }

    @Test
    void namesOnlyTheAcceptedTypes() throws IOException {
        Path file = raw(1, "{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", floats(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Npy.read(file, FLOATS));
        assertEquals("unsupported dtype '<f2' (float16); expected '<f4' (float32)", e.getMessage());
    }

    @Test
    void refusesWhatIsNotAnNpyFile() throws IOException {
        assertEquals("not an .npy file (it does not start with \\x93NUMPY)", error(Files.writeString(dir.resolve("a.npy"), "hello, world")));
        assertEquals("not an .npy file: the file is empty", error(Files.write(dir.resolve("b.npy"), new byte[0])));
        assertEquals("not an .npy file: 3 bytes, cut inside the magic \\x93NUMPY",
                error(Files.write(dir.resolve("c.npy"), new byte[] {(byte) 0x93, 'N', 'U'})));
    }

    @Test
    void refusesACutOrLyingHeader() throws IOException {
        byte[] good = Files.readAllBytes(write(new long[] {2, 3}, new float[6]));
        Path cut = Files.write(dir.resolve("cut.npy"), Arrays.copyOf(good, 40));
        assertEquals("the header is cut off: its length field says 118 bytes, but the file ends 30 bytes after it", error(cut));
        Path inVersion = Files.write(dir.resolve("v.npy"), Arrays.copyOf(good, 7));
        assertEquals("the header is cut off: the file ends after 7 bytes, inside the version", error(inVersion));
        Path inLength = Files.write(dir.resolve("l.npy"), Arrays.copyOf(good, 9));
        assertEquals("the header is cut off: the file ends after 9 bytes, inside the header length", error(inLength));

        byte[] longer = good.clone();
        longer[8] = (byte) (118 + 8); // the length field claims 8 bytes of the data
        assertEquals("malformed header: unexpected characters after the dict, from character 118 (does the header length field lie?):"
                + " {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } ........", error(Files.write(dir.resolve("long.npy"), longer)));
        byte[] shorter = good.clone();
        shorter[8] = 40; // the dict is cut by its own length field
        assertEquals("malformed header: the header ends at character 40 before the dict is closed (is the header cut off?):"
                + " {'descr': '<f4', 'fortran_order': False,", error(Files.write(dir.resolve("short.npy"), shorter)));
    }

    @Test
    void readsOnlyAsciiDigitsInAVersion3Shape() throws IOException {
        Path file = raw(3, "{'descr': '<f4', 'fortran_order': False, 'shape': (\u0662,), }", floats(1, 2)); // ARABIC-INDIC DIGIT TWO
        assertEquals("malformed header: expected an integer at character 51: {'descr': '<f4', 'fortran_order': False, 'shape': (.,), }",
                error(file));
    }

    @Test
    void refusesAHeaderLengthNoFloatArrayNeeds() throws IOException {
        byte[] bytes = NpyTest.rawBytes(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", floats(1));
        bytes[10] = 1; // 65536 + 116
        assertEquals("the header's length field says 65652 bytes, more than the 65536 any array of floats needs",
                error(Files.write(dir.resolve("long.npy"), bytes)));
    }

    @Test
    void refusesOtherVersions() throws IOException {
        byte[] good = Files.readAllBytes(write(new long[] {1}, new float[1]));
        good[6] = 4;
        assertEquals("unsupported .npy format version 4.0 (1.0, 2.0 and 3.0 are read)", error(Files.write(dir.resolve("v4.npy"), good)));
        good[6] = 1;
        good[7] = 1;
        assertEquals("unsupported .npy format version 1.1 (1.0, 2.0 and 3.0 are read)", error(Files.write(dir.resolve("v11.npy"), good)));
    }

    @Test
    void readsAVersion3HeaderAsUtf8AndRefusesBadUtf8() throws IOException {
        Path file = raw(3, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", floats(3));
        assertArrayEquals(new float[] {3}, Npy.read(file, FLOATS).floats());
        byte[] bytes = Files.readAllBytes(file);
        bytes[12 + 1] = (byte) 0xff; // inside 'descr'
        assertTrue(error(Files.write(dir.resolve("bad.npy"), bytes)).startsWith("malformed header: a version 3.0 header must be utf-8 ("));
    }

    @Test
    void refusesAShapeLargerThanAJavaArray() throws IOException {
        // the data is "there" as far as the size goes: a sparse file of 2^31 floats
        Path file = raw(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2147483648,), }", new byte[0]);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(new byte[1]), Files.size(file) + (1L << 33) - 1);
        }
        assertEquals("shape (2147483648,) has 2147483648 elements, more than a Java array holds (2147483639)", error(file));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Npy.header(file, BOTH));
        assertEquals("shape (2147483648,) has 2147483648 elements, more than a Java array holds (2147483639)", e.getMessage());
    }

    // ---------------------------------------------------------------- helpers

    private String error(Path file) {
        return assertThrows(IllegalArgumentException.class, () -> Npy.read(file, BOTH)).getMessage();
    }

    private Path write(long[] shape, float[] data) throws IOException {
        Path file = dir.resolve("good.npy");
        Npy.writeFloats(file, shape, data);
        return file;
    }

    /** A file of exactly this header text (padded to 64 bytes as NumPy pads) and data. */
    private Path raw(int major, String dict, byte[] data) throws IOException {
        return Files.write(dir.resolve("raw.npy"), rawBytes(major, dict, data));
    }

    static byte[] rawBytes(int major, String dict, byte[] data) {
        byte[] text = dict.getBytes(major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        int prefix = major == 1 ? 10 : 12;
        int length = (prefix + text.length + 1 + 63) / 64 * 64 - prefix;
        ByteBuffer b = ByteBuffer.allocate(prefix + length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(Npy.MAGIC).put((byte) major).put((byte) 0);
        if (major == 1) {
            b.putShort((short) length);
        } else {
            b.putInt(length);
        }
        b.put(text);
        while (b.position() < prefix + length - 1) {
            b.put((byte) ' ');
        }
        return b.put((byte) '\n').put(data).array();
    }

    static byte[] floats(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : values) {
            b.putFloat(f);
        }
        return b.array();
    }
}
