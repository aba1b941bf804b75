package org.alibi4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

import org.alibi4j.attention.HeadTensor;
import org.alibi4j.models.AlibiModel;
import org.alibi4j.models.ModelSession;
import org.alibi4j.models.checkpoint.Checkpoint;
import org.alibi4j.models.checkpoint.DType;
import org.alibi4j.models.checkpoint.WeightTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What ModelBenchmark is built on: its checkpoints load and run, its counts are right, its baseline reads every byte. */
class ModelBenchmarkPartsTest {

    @ParameterizedTest
    @CsvSource({"bloom, F16", "bloom, BF16", "mpt, F16", "mpt, BF16"})
    void randomCheckpointsLoadRunAndHoldWhatTheShapeCounts(String family, String dtype, @TempDir Path dir) throws IOException {
        ModelShape shape = new ModelShape("tiny", family, 3, 40, 5, 97); // head dim 8, sizes off the vector widths
        Path file = RandomCheckpoint.write(dir, shape, dtype, 64, 3);
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            long elements = 0;
            for (ModelShape.Tensor expected : shape.tensors()) {
                WeightTensor t = checkpoint.tensor(expected.name(), expected.shape());
                assertEquals(DType.valueOf(dtype), t.dtype(), expected.name());
                elements += t.elements();
                float centre = expected.kind() == ModelShape.Kind.NORM_WEIGHT ? 1 : 0;
                float bound = (float) (0.02 * Math.sqrt(3)) + (dtype.equals("BF16") ? 0x1p-8f : 0x1p-11f); // the range, and its rounding
                for (long i = 0; i < t.elements(); i++) {
                    float v = t.get(i);
                    assertTrue(Math.abs(v - centre) <= bound, expected.name() + "[" + i + "] = " + v + " is not within " + bound + " of " + centre);
                }
            }
            assertEquals(shape.parameters(), elements, "the tensors the shape counts");
            assertEquals(shape.tensors().size(), checkpoint.names().size());
            assertEquals(2 * elements, Files.size(file) - 8 - headerLength(file), "the data bytes");
        }
        try (AlibiModel model = AlibiModel.load(dir, AlibiModel.Options.defaults().withThreads(2));
             ModelSession session = model.newSession(20, HeadTensor.Precision.F16)) {
            assertEquals(family, model.spec().family());
            assertEquals(shape.ffn(), model.spec().ffn());
            int[] prompt = new SplittableRandom(1).ints(9, 0, shape.vocabulary()).toArray();
            float[] first = session.prefill(prompt);
            session.next(5);
            session.rewind(prompt.length);
            float[] again = session.next(5);
            float[] third = session.next(6);
            assertEquals(shape.vocabulary(), first.length);
            for (float[] logits : new float[][] {first, again, third}) {
                for (float v : logits) {
                    assertTrue(Float.isFinite(v));
                }
            }
            session.rewind(prompt.length);
            assertEquals(prompt.length, session.position());
            org.junit.jupiter.api.Assertions.assertArrayEquals(again, session.next(5), "a step repeated at the same position");
        }
    }

    private static long headerLength(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        return java.nio.ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    @Test
    void theCountsOfAStepAndAPrefill() {
        ModelShape s = new ModelShape("tiny", "mpt", 2, 40, 5, 97);
        assertEquals(2L * 2 * 10 * 40 * 4, s.kvBytes(9, 4), "K and V of positions 0 .. 9, 2 layers, 40 floats a row");
        // per layer: qkv 120 x 40, out 40 x 40, up 160 x 40, down 40 x 160
        long matrices = 2L * (120 * 40 + 40 * 40 + 160 * 40 + 40 * 160);
        assertEquals(matrices, s.blockMatrixParameters());
        double expected = 2.0 * matrices * 7 + 2.0 * 97 * 40 + 2 * 2.0 * 2 * 40 * (7 * 7 / 2.0);
        assertEquals(expected, s.prefillFlops(7), 1e-6);
        assertEquals(matrices + 97 * 40 + 2 * 40 + 2 * 40 + 40, s.parameters(), "matrices, embedding, two norm weights a layer, the final one");
    }

    @Test
    void unknownShapesAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelShape.of("gpt-2"));
        assertTrue(e.getMessage().contains("gpt-2") && e.getMessage().contains("bloom-560m") && e.getMessage().contains("mpt-1b"), e.getMessage());
    }

    @Test
    void theReadBaselineReadsEveryByteOnce() {
        SplittableRandom random = new SplittableRandom(9);
        try (Arena arena = Arena.ofShared(); SegmentReadBandwidth bandwidth = new SegmentReadBandwidth(3)) {
            for (long size : new long[] {0, 1, 7, 63, 64, 513, 4099, (1 << 16) + 5, 3 * (1 << 17) + 6}) {
                MemorySegment s = arena.allocate(Math.max(1, size)).asSlice(0, size);
                int expected = 0;
                for (long i = 0; i < size; i++) {
                    s.set(ValueLayout.JAVA_BYTE, i, (byte) random.nextInt());
                }
                for (long i = 0; i + 4 <= size; i += 4) {
                    expected += s.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i);
                }
                for (long i = size / 4 * 4; i < size; i++) {
                    expected += s.get(ValueLayout.JAVA_BYTE, i);
                }
                assertEquals(expected, bandwidth.sum(s), size + " bytes");
                assertEquals(2 * expected, bandwidth.sum(s, s), size + " bytes twice");
            }
        }
    }

    @Test
    void theReportReplacesItsOwnSectionOnly(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("RESULTS.md");
        ModelReport.writeSection(file, ModelReport.HEADING + "\n\nfirst\n");
        assertTrue(Files.readString(file).startsWith("# "), "a new file gets a title");
        Files.writeString(file, "# results\n\n## Linear\n\nkept\n\n" + ModelReport.HEADING + "\n\nold\n\n## After\n\nkept too\n");
        ModelReport.writeSection(file, ModelReport.HEADING + "\n\nnew\n\n");
        String text = Files.readString(file);
        assertEquals("# results\n\n## Linear\n\nkept\n\n" + ModelReport.HEADING + "\n\nnew\n\n## After\n\nkept too\n", text);
        Files.writeString(file, "# results\n\n## Linear\n\nkept\n");
        ModelReport.writeSection(file, ModelReport.HEADING + "\n\nappended\n");
        text = Files.readString(file);
        assertTrue(text.startsWith("# results\n\n## Linear\n\nkept\n\n" + ModelReport.HEADING), text);
        assertFalse(text.contains("old"));
    }
}
