package org.alibi4j.models.checkpoint;

import static org.alibi4j.models.checkpoint.SafetensorsWriter.shape;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {

    @TempDir
    Path dir;

    private static short h(double value) {
        return Float.floatToFloat16((float) value);
    }

    private static short bf(double value) {
        return (short) (Float.floatToRawIntBits((float) value) >>> 16);
    }

    /** Three tensors, one of each dtype, odd shapes. */
    private static SafetensorsWriter threeTensors() {
        return new SafetensorsWriter()
                .metadata("format", "pt")
                .f32("lm_head.weight", shape(2, 3), 1f, -2f, 3.5f, 0f, -0f, 1e-40f)
                .halves("ln_f.weight", "F16", shape(3), h(0.5), h(-1.25), h(65504))
                .halves("word_embeddings.weight", "BF16", shape(2, 2), bf(1), bf(-2), bf(0.5), bf(3));
    }

    private static InvalidModelException assertInvalid(Executable executable, String... fragments) {
        InvalidModelException e = assertThrows(InvalidModelException.class, executable);
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), () -> "message lacks '" + fragment + "': " + e.getMessage());
        }
        return e;
    }

    private InvalidModelException assertOpenFails(String... fragments) {
        return assertInvalid(() -> Checkpoint.open(dir).close(), fragments);
    }

    @Test
    void singleFileTensorsReadBack() {
        threeTensors().write(dir.resolve("model.safetensors"));
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            assertEquals(dir, checkpoint.directory());
            assertEquals(List.of("lm_head.weight", "ln_f.weight", "word_embeddings.weight"),
                    List.copyOf(checkpoint.names()));
            assertTrue(checkpoint.contains("ln_f.weight"));
            assertFalse(checkpoint.contains("ln_f.bias"));
            assertEquals(Optional.empty(), checkpoint.find("ln_f.bias"));

            WeightTensor head = checkpoint.tensor("lm_head.weight", 2, 3);
            assertEquals(DType.F32, head.dtype());
            assertArrayEquals(new float[] {1f, -2f, 3.5f, 0f, -0f, 1e-40f}, head.toFloats());
            assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(head.get(4)));
            assertTrue(head.data().isReadOnly());
            assertTrue(head.data().isMapped(), "a view of the mapped file, not a copy");

            assertArrayEquals(new float[] {0.5f, -1.25f, 65504f}, checkpoint.tensor("ln_f.weight").toFloats());
            assertEquals(DType.F16, checkpoint.tensor("ln_f.weight").dtype());
            float[] row = new float[2];
            checkpoint.tensor("word_embeddings.weight").row(1, row, 0);
            assertArrayEquals(new float[] {0.5f, 3f}, row);
            assertEquals(checkpoint.tensor("ln_f.weight"), checkpoint.find("ln_f.weight").orElseThrow());
        }
    }

    @Test
    void namesAreSortedAndUnmodifiable() {
        new SafetensorsWriter().f32("z", shape(1), 1f).f32("a", shape(1), 2f).f32("m.b", shape(1), 3f)
                .write(dir.resolve("model.safetensors"));
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            Set<String> names = checkpoint.names();
            assertEquals(List.of("a", "m.b", "z"), List.copyOf(names));
            assertThrows(UnsupportedOperationException.class, () -> names.add("x"));
        }
    }

    @Test
    void emptyTensorsAndScalars() {
        new SafetensorsWriter().f32("scalar", shape(), 7f).halves("empty", "F16", shape(0, 5))
                .f32("after", shape(1), 9f).write(dir.resolve("model.safetensors"));
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            assertEquals(7f, checkpoint.tensor("scalar").get(0));
            assertEquals(0, checkpoint.tensor("empty", 0, 5).elements());
            assertEquals(9f, checkpoint.tensor("after").get(0));
        }
    }

    @Test
    void missingTensorNamesTheDirectoryAndFiles() {
        threeTensors().write(dir.resolve("model.safetensors"));
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            assertInvalid(() -> checkpoint.tensor("lm_head.bias"),
                    "tensor 'lm_head.bias' not found in " + dir + " (files: model.safetensors)");
        }
    }

    @Test
    void wrongShapeNamesTheFileAndBothShapes() {
        threeTensors().write(dir.resolve("model.safetensors"));
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            assertInvalid(() -> checkpoint.tensor("lm_head.weight", 3, 2), "tensor 'lm_head.weight' in "
                    + dir.resolve("model.safetensors") + " has shape [2, 3], expected [3, 2]");
            assertInvalid(() -> checkpoint.tensor("ln_f.weight", 3, 1), "has shape [3], expected [3, 1]");
        }
    }

    @Test
    void unsupportedDtypeIsRefusedOnlyWhenAskedFor() {
        new SafetensorsWriter().f32("w", shape(2), 1f, 2f)
                .add("positions", "I64", shape(3), new byte[24])
                .add("mystery", "Q4_K", shape(5), new byte[3])
                .write(dir.resolve("model.safetensors"));
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            assertTrue(checkpoint.contains("positions"));
            assertEquals(2f, checkpoint.tensor("w").get(1));
            assertInvalid(() -> checkpoint.tensor("positions"), "tensor 'positions'",
                    dir.resolve("model.safetensors").toString(), "I64", "F32, F16, BF16");
            assertInvalid(() -> checkpoint.find("mystery"), "tensor 'mystery'", "Q4_K", "F32, F16, BF16");
        }
    }

    @Test
    void closeUnmapsAndRefusesLaterCalls() throws IOException {
        Path file = threeTensors().write(dir.resolve("model.safetensors"));
        Checkpoint checkpoint = Checkpoint.open(dir);
        WeightTensor head = checkpoint.tensor("lm_head.weight");
        assertTrue(isMapped(file));
        checkpoint.close();
        assertFalse(isMapped(file), "close() unmaps the file");
        assertThrows(IllegalStateException.class, () -> head.get(0));
        assertThrows(IllegalStateException.class, checkpoint::names);
        assertThrows(IllegalStateException.class, () -> checkpoint.tensor("lm_head.weight"));
        assertThrows(IllegalStateException.class, () -> checkpoint.find("lm_head.weight"));
        assertThrows(IllegalStateException.class, () -> checkpoint.contains("lm_head.weight"));
        checkpoint.close();
    }

    /** Whether this process maps {@code file} (Linux: /proc/self/maps); skips elsewhere. */
    private static boolean isMapped(Path file) throws IOException {
        Path maps = Path.of("/proc/self/maps");
        assumeTrue(Files.isReadable(maps), "needs /proc/self/maps");
        String path = file.toRealPath().toString();
        return Files.readAllLines(maps).stream().anyMatch(line -> line.endsWith(" " + path));
    }

    // ---- sharded checkpoints

    private void writeIndex(JsonObject weightMap) throws IOException {
        JsonObject index = new JsonObject();
        JsonObject metadata = new JsonObject();
        metadata.addProperty("total_size", 0);
        index.add("metadata", metadata);
        index.add("weight_map", weightMap);
        Files.writeString(dir.resolve("model.safetensors.index.json"), index.toString());
    }

    private static JsonObject weightMap(String... nameThenShard) {
        JsonObject map = new JsonObject();
        for (int i = 0; i < nameThenShard.length; i += 2) {
            map.addProperty(nameThenShard[i], nameThenShard[i + 1]);
        }
        return map;
    }

    private static final String SHARD1 = "model-00001-of-00002.safetensors";
    private static final String SHARD2 = "model-00002-of-00002.safetensors";

    private void writeTwoShards() throws IOException {
        new SafetensorsWriter().f32("a.weight", shape(2, 2), 1f, 2f, 3f, 4f).halves("a.bias", "F16", shape(2),
                h(0.5), h(-0.5)).write(dir.resolve(SHARD1));
        new SafetensorsWriter().halves("b.weight", "BF16", shape(1, 3), bf(1), bf(2), bf(4))
                .write(dir.resolve(SHARD2));
        writeIndex(weightMap("a.weight", SHARD1, "a.bias", SHARD1, "b.weight", SHARD2));
    }

    @Test
    void shardedCheckpointReadsEveryShard() throws IOException {
        writeTwoShards();
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            assertEquals(List.of("a.bias", "a.weight", "b.weight"), List.copyOf(checkpoint.names()));
            assertArrayEquals(new float[] {1f, 2f, 3f, 4f}, checkpoint.tensor("a.weight", 2, 2).toFloats());
            assertArrayEquals(new float[] {0.5f, -0.5f}, checkpoint.tensor("a.bias").toFloats());
            assertArrayEquals(new float[] {1f, 2f, 4f}, checkpoint.tensor("b.weight", 1, 3).toFloats());
            assertInvalid(() -> checkpoint.tensor("c"), "tensor 'c' not found in " + dir, SHARD1, SHARD2);
            assertInvalid(() -> checkpoint.tensor("b.weight", 3),
                    "tensor 'b.weight' in " + dir.resolve(SHARD2) + " has shape [1, 3], expected [3]");
        }
    }

    @Test
    void tensorsOfAShardThatTheIndexDoesNotListAreRead() throws IOException {
        writeTwoShards();
        writeIndex(weightMap("a.weight", SHARD1, "b.weight", SHARD2));
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            assertEquals(List.of("a.bias", "a.weight", "b.weight"), List.copyOf(checkpoint.names()));
        }
    }

    @Test
    void emptyWeightMapIsRefused() throws IOException {
        writeTwoShards();
        writeIndex(new JsonObject());
        assertOpenFails("model.safetensors.index.json maps no tensors");
    }

    /** The Hugging Face cache's layout: a snapshot directory of links to blobs named by their hashes. */
    @Test
    void symbolicLinksAreFollowed() throws IOException {
        Path blobs = Files.createDirectory(dir.resolve("blobs"));
        Path snapshot = Files.createDirectories(dir.resolve("snapshots").resolve("0123abcd"));
        Path blob = threeTensors().write(blobs.resolve("9f86d081884c7d65"));
        try {
            Files.createSymbolicLink(snapshot.resolve("model.safetensors"), snapshot.relativize(blob));
        } catch (UnsupportedOperationException | IOException e) {
            assumeTrue(false, "symbolic links unsupported here: " + e);
        }
        try (Checkpoint checkpoint = Checkpoint.open(snapshot)) {
            assertEquals(-2f, checkpoint.tensor("lm_head.weight").get(1));
        }
    }

    @Test
    void singleFileIsPreferredToAnIndex() throws IOException {
        writeTwoShards();
        new SafetensorsWriter().f32("only", shape(1), 5f).write(dir.resolve("model.safetensors"));
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            assertEquals(Set.of("only"), checkpoint.names());
        }
    }

    @Test
    void missingShardIsNamed() throws IOException {
        writeTwoShards();
        Files.delete(dir.resolve(SHARD2));
        assertOpenFails("shard " + SHARD2, "is missing from " + dir);
    }

    @Test
    void tensorInTwoShardsIsRefused() throws IOException {
        writeTwoShards();
        new SafetensorsWriter().halves("b.weight", "BF16", shape(1, 3), bf(1), bf(2), bf(4))
                .f32("a.bias", shape(1), 1f).write(dir.resolve(SHARD2));
        assertOpenFails("tensor 'a.bias' is in two shards", SHARD1, SHARD2);
    }

    @Test
    void tensorOfTheWeightMapMustBeInItsShard() throws IOException {
        writeTwoShards();
        writeIndex(weightMap("a.weight", SHARD1, "a.bias", SHARD2, "b.weight", SHARD2));
        assertOpenFails("tensor 'a.bias' is mapped to " + SHARD2, dir.resolve(SHARD2) + " does not hold it");
        writeIndex(weightMap("a.weight", SHARD1, "ghost", SHARD1, "b.weight", SHARD2));
        assertOpenFails("tensor 'ghost' is mapped to " + SHARD1);
    }

    @Test
    void badIndexFilesAreNamed() throws IOException {
        writeTwoShards();
        Path index = dir.resolve("model.safetensors.index.json");
        Files.writeString(index, "{\"weight_map\": {\"a\": ");
        assertOpenFails(index + " is not valid JSON");
        Files.writeString(index, "[1, 2]");
        assertOpenFails(index + " is not a JSON object");
        Files.writeString(index, "{\"metadata\": {}}");
        assertOpenFails(index + " has no weight_map object");
        Files.writeString(index, "{\"weight_map\": {\"a.weight\": 3}}");
        assertOpenFails(index.toString(), "'a.weight'", "not a file name");
        Files.writeString(index, "{\"weight_map\": {\"a.weight\": \"model.safetensors\"} /* c */}");
        assertOpenFails(index + " is not valid JSON");
        Files.write(index, new byte[] {'{', (byte) 0xff, '}'});
        assertOpenFails(index + " is not UTF-8");
    }

    @Test
    void shardNamesCannotLeadOutOfTheDirectory() throws IOException {
        Path outside = dir.resolve("outside.safetensors");
        new SafetensorsWriter().f32("x", shape(1), 1f).write(outside);
        Path model = Files.createDirectory(dir.resolve("model"));
        for (String name : List.of("../outside.safetensors", outside.toString(), "sub/x.safetensors", "", "..")) {
            JsonObject index = new JsonObject();
            index.add("weight_map", weightMap("x", name));
            Files.writeString(model.resolve("model.safetensors.index.json"), index.toString());
            assertInvalid(() -> Checkpoint.open(model), "names shard '" + name + "', which is not a file name");
        }
    }

    @Test
    void failedOpenUnmapsWhatItMapped() throws IOException {
        writeTwoShards();
        SafetensorsWriter.write(dir.resolve(SHARD2), "{\"b\": {\"dtype\": \"F32\", \"shape\": [2]}}", new byte[8]);
        assertOpenFails("tensor 'b' in " + dir.resolve(SHARD2), "data_offsets");
        assertFalse(isMapped(dir.resolve(SHARD1)), "the first shard was unmapped when the second failed");
    }

    // ---- directories without weights

    @Test
    void missingDirectory() {
        Path absent = dir.resolve("no-such-model");
        assertInvalid(() -> Checkpoint.open(absent), "model directory " + absent + " does not exist");
    }

    @Test
    void directoryWithoutWeights() throws IOException {
        Files.writeString(dir.resolve("config.json"), "{}");
        assertOpenFails("no model.safetensors or model.safetensors.index.json in " + dir);
    }

    @Test
    void pytorchWeightsAreExplained() throws IOException {
        Files.write(dir.resolve("pytorch_model.bin"), new byte[16]);
        assertOpenFails("pytorch_model.bin", "not read", "save_pretrained(safe_serialization=True)");
    }

    @Test
    void aFileIsNotADirectory() throws IOException {
        Path file = Files.writeString(dir.resolve("model.safetensors"), "x");
        assertInvalid(() -> Checkpoint.open(file), file + " is not a directory");
    }

    // ---- broken safetensors files: each message names the file (and the tensor)

    private Path model() {
        return dir.resolve("model.safetensors");
    }

    private void writeRaw(byte[] bytes) {
        SafetensorsWriter.writeBytes(model(), bytes);
    }

    private void writeHeader(String header, int dataBytes) {
        SafetensorsWriter.write(model(), header, new byte[dataBytes]);
    }

    private static byte[] withHeaderLength(long length, byte[] rest) {
        return ByteBuffer.allocate(8 + rest.length).order(ByteOrder.LITTLE_ENDIAN).putLong(length).put(rest).array();
    }

    @Test
    void fileShorterThanTheHeaderLength() {
        writeRaw(new byte[0]);
        assertOpenFails(model() + " has 0 bytes, fewer than the 8");
        writeRaw(new byte[] {1, 0, 0, 0, 0});
        assertOpenFails(model() + " has 5 bytes");
    }

    @Test
    void headerLengthPastTheEndOfTheFile() {
        writeRaw(withHeaderLength(100, "{}".getBytes(StandardCharsets.UTF_8)));
        assertOpenFails(model() + " has a header length of 100 bytes, but only 2 bytes follow it");
    }

    @Test
    void absurdHeaderLengths() {
        writeRaw(withHeaderLength(100_000_001, new byte[16]));
        assertOpenFails(model() + " has a header length of 100000001 bytes, more than the 100000000");
        writeRaw(withHeaderLength(-1, new byte[16]));
        assertOpenFails(model() + " has a header length of 18446744073709551615 bytes");
    }

    @Test
    void headerThatIsNotAJsonObject() {
        writeHeader("{\"a\": {\"dtype\": \"F32\"", 0);
        assertOpenFails(model() + " does not have a valid JSON header");
        writeHeader("[1, 2]", 0);
        assertOpenFails(model() + " has a header that is not a JSON object");
        writeHeader("{} {}", 0);
        assertOpenFails(model() + " does not have a valid JSON header: malformed JSON at line 1 column 5");
        writeHeader("{a: 1}", 0);
        assertOpenFails(model() + " does not have a valid JSON header");
        writeRaw(withHeaderLength(3, new byte[] {'{', (byte) 0xc3, '}'}));
        assertOpenFails(model() + " has a header that is not UTF-8");
        writeHeader("", 0);
        assertOpenFails(model() + " does not have a valid JSON header");
    }

    @Test
    void entryWithoutItsFields() {
        writeHeader("{\"w\": {\"shape\": [1], \"data_offsets\": [0, 4]}}", 4);
        assertOpenFails("tensor 'w' in " + model() + " has no dtype string");
        writeHeader("{\"w\": {\"dtype\": 32, \"shape\": [1], \"data_offsets\": [0, 4]}}", 4);
        assertOpenFails("tensor 'w' in " + model() + " has no dtype string");
        writeHeader("{\"w\": {\"dtype\": \"F32\", \"data_offsets\": [0, 4]}}", 4);
        assertOpenFails("tensor 'w' in " + model() + " has no shape list");
        writeHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [1]}}", 4);
        assertOpenFails("tensor 'w' in " + model() + " has no data_offsets pair");
        writeHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4, 8]}}", 4);
        assertOpenFails("tensor 'w' in " + model() + " has no data_offsets pair");
        writeHeader("{\"w\": [\"F32\"]}", 4);
        assertOpenFails("tensor 'w' in " + model() + " has a header entry that is not an object");
        writeHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [1.5], \"data_offsets\": [0, 4]}}", 4);
        assertOpenFails("tensor 'w' in " + model() + " has shape [1.5]: each must be a non-negative integer");
        writeHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, \"4\"]}}", 4);
        assertOpenFails("tensor 'w' in " + model() + " has data_offsets [0,\"4\"]");
    }

    @Test
    void negativeDimensions() {
        writeHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [-1, 2], \"data_offsets\": [0, 8]}}", 8);
        assertOpenFails("tensor 'w' in " + model() + " has shape [-1,2]: each must be a non-negative integer");
    }

    @Test
    void endBeforeBegin() {
        writeHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [0], \"data_offsets\": [4, 0]}}", 4);
        assertOpenFails("tensor 'w' in " + model() + " has data_offsets [4, 0]: the end is before the begin");
    }

    @Test
    void offsetsOutOfOrder() {
        // Overlapping: both tensors claim the same bytes.
        writeHeader("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]},"
                + " \"b\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 8);
        assertOpenFails(model().toString(), "data_offsets [0, 4], but the data before it ends at 4",
                "without gaps or overlaps");
        // A gap before the first tensor.
        writeHeader("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}", 8);
        assertOpenFails("tensor 'a' in " + model() + " has data_offsets [4, 8], but the data before it ends at 0");
    }

    @Test
    void tensorsListedOutOfOrderButTilingTheDataAreFine() {
        writeHeader("{\"b\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]},"
                + " \"a\": {\"dtype\": \"F16\", \"shape\": [2], \"data_offsets\": [0, 4]}}", 8);
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            assertEquals(List.of("a", "b"), List.copyOf(checkpoint.names()));
        }
    }

    @Test
    void truncatedFile() throws IOException {
        Path file = threeTensors().write(model());
        byte[] bytes = Files.readAllBytes(file);
        writeRaw(java.util.Arrays.copyOf(bytes, bytes.length - 3));
        assertOpenFails("tensor 'word_embeddings.weight' in " + model(), "past the end of the data",
                "truncated file?");
    }

    @Test
    void byteCountMustMatchTheShape() {
        writeHeader("{\"w\": {\"dtype\": \"F16\", \"shape\": [2, 3], \"data_offsets\": [0, 8]}}", 8);
        assertOpenFails("tensor 'w' in " + model() + " has data_offsets [0, 8] (8 bytes), but F16 [2, 3] needs 12");
        // Checked for dtypes alibi4j does not read, too.
        writeHeader("{\"p\": {\"dtype\": \"I64\", \"shape\": [2], \"data_offsets\": [0, 8]}}", 8);
        assertOpenFails("tensor 'p' in " + model(), "but I64 [2] needs 16");
    }

    @Test
    void bytesAfterTheLastTensor() {
        JsonObject header = new SafetensorsWriter().f32("w", shape(1), 1f).header();
        SafetensorsWriter.write(model(), header.toString(), new byte[4 + 6]);
        assertOpenFails(model() + " has 6 bytes after the end of its last tensor ('w')");
    }

    @Test
    void sameNameTwiceInOneHeader() {
        writeHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]},"
                + " \"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}", 8);
        assertOpenFails(model() + " has tensor 'w' twice in its header");
    }

    @Test
    void metadataMustBeAnObject() {
        writeHeader("{\"__metadata__\": [1]}", 0);
        assertOpenFails(model() + " has a __metadata__ that is not an object");
    }

    @Test
    void hugeShapesDoNotOverflow() {
        JsonObject entry = new JsonObject();
        entry.addProperty("dtype", "F32");
        JsonArray dims = new JsonArray();
        dims.add(1L << 40);
        dims.add(1L << 40);
        entry.add("shape", dims);
        JsonArray offsets = new JsonArray();
        offsets.add(0);
        offsets.add(0);
        entry.add("data_offsets", offsets);
        JsonObject header = new JsonObject();
        header.add("w", entry);
        writeHeader(header.toString(), 0);
        assertOpenFails("tensor 'w' in " + model() + " has shape [1099511627776, 1099511627776], too many elements");
    }

    /**
     * A checkpoint far larger than the heap (surefire runs with -Xmx4g) opens instantly: its files are mapped,
     * not read. The file is sparse, so it takes no disk space.
     */
    @Test
    void mapsRatherThanReads() throws IOException {
        long rows = 40_000;
        long cols = 65_537;
        long dataBytes = rows * cols * 2;
        JsonObject header = new SafetensorsWriter().add("big", "F16", shape(rows, cols), new byte[0]).header();
        header.getAsJsonObject("big").getAsJsonArray("data_offsets").set(1, new com.google.gson.JsonPrimitive(dataBytes));
        SafetensorsWriter.write(model(), header.toString(), new byte[0]);
        long dataStart = Files.size(model());
        try (RandomAccessFile file = new RandomAccessFile(model().toFile(), "rw")) {
            file.setLength(dataStart + dataBytes);
            file.seek(dataStart + dataBytes - 2);
            file.write(new byte[] {0x00, 0x3c}); // the last element: 1.0 in binary16
        }
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            WeightTensor big = checkpoint.tensor("big", rows, cols);
            assertEquals(rows * cols, big.elements());
            assertEquals(1f, big.get(rows * cols - 1));
            float[] last = new float[(int) cols];
            big.row((int) rows - 1, last, 0);
            assertEquals(1f, last[(int) cols - 1]);
            assertEquals(0f, last[0]);
            IllegalStateException tooBig = assertThrows(IllegalStateException.class, big::toFloats);
            assertTrue(tooBig.getMessage().contains("'big'"), tooBig.getMessage());
            assertSame(DType.F16, big.dtype());
        }
    }
}
