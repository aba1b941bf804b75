package org.alibi4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;
import java.util.stream.Stream;

import org.alibi4j.attention.HeadTensor;
import org.alibi4j.models.checkpoint.InvalidModelException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/** What {@link AlibiModel#load} refuses, and that a refusal leaves nothing open. */
class ModelLoadingTest {
    @TempDir
    Path temp;

    @Test
    void aDirectoryThatDoesNotExist() {
        assertMessage(temp.resolve("nowhere"), "model directory", "does not exist");
    }

    @Test
    void aMissingOrBrokenConfig() throws IOException {
        Path dir = copy("bloom-f32");
        Files.delete(dir.resolve("config.json"));
        assertMessage(dir, "config.json");
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"bloom\",");
        assertMessage(dir, "config.json");
    }

    @Test
    void anUnsupportedModelTypeListsTheSupported() throws IOException {
        Path dir = edit("bloom-f32", c -> c.addProperty("model_type", "gpt2"));
        assertMessage(dir, "model_type 'gpt2' is not supported", "bloom, mpt, falcon");
    }

    @Test
    void optionsThatAreNotImplementedAreRefusedByName() throws IOException {
        assertMessage(edit("mpt-f32", c -> c.getAsJsonObject("attn_config").addProperty("qk_ln", true)), "'qk_ln'");
        assertMessage(edit("mpt-f32", c -> c.getAsJsonObject("attn_config").addProperty("prefix_lm", true)), "'prefix_lm'");
        assertMessage(edit("mpt-f32", c -> c.getAsJsonObject("attn_config").addProperty("alibi", false)), "'alibi'");
        assertMessage(edit("mpt-f32", c -> c.getAsJsonObject("attn_config").addProperty("attn_type", "multiquery_attention")), "attn_type");
        assertMessage(edit("mpt-f32", c -> c.addProperty("logit_scale", 2.0)), "'logit_scale'");
        assertMessage(edit("mpt-f32", c -> c.addProperty("norm_type", "rmsnorm")), "'norm_type'");
        assertMessage(edit("falcon-f32", c -> c.addProperty("alibi", false)), "'alibi'");
        assertMessage(edit("falcon-f32", c -> c.remove("multi_query")), "'multi_query'"); // transformers' default is true
        assertMessage(edit("falcon-f32", c -> c.addProperty("new_decoder_architecture", true)), "'new_decoder_architecture'");
        assertMessage(edit("bloom-f32", c -> c.addProperty("tie_word_embeddings", false)), "'tie_word_embeddings'");
    }

    @Test
    void missingWeightsTensorsAndShapesAreNamed() throws IOException {
        Path dir = copy("bloom-f32");
        Files.delete(dir.resolve("model.safetensors"));
        assertMessage(dir, "model.safetensors");

        assertMessage(edit("bloom-f32", c -> c.addProperty("n_layer", 3)), "'transformer.h.2.input_layernorm.weight'", "not found");
        assertMessage(edit("bloom-f32", c -> c.addProperty("vocab_size", 401)), "transformer.word_embeddings.weight", "shape");
        assertMessage(edit("bloom-f32", c -> c.addProperty("n_head", 7)), "hidden size 60 is not a multiple of the 7 heads");
    }

    @Test
    void aTruncatedCheckpointIsNamed() throws IOException {
        Path dir = copy("mpt-f32");
        Path weights = dir.resolve("model.safetensors");
        try (var channel = Files.newByteChannel(weights, StandardOpenOption.WRITE)) {
            channel.truncate(Files.size(weights) - 100);
        }
        assertMessage(dir, "model.safetensors");
    }

    @Test
    void aClosedModelRefusesNewSessions() {
        AlibiModel model = AlibiModel.load(ModelFixtures.ROOT.resolve("bloom-f32"));
        model.close();
        assertTrue(assertThrows(IllegalStateException.class, () -> model.newSession(8, HeadTensor.Precision.F32)).getMessage().contains("closed"));
        model.close(); // a second close does nothing
    }

    @Test
    void closingTheModelClosesItsSessions() {
        ModelSession session;
        try (AlibiModel model = AlibiModel.load(ModelFixtures.ROOT.resolve("mpt-f32"))) {
            session = model.newSession(16, HeadTensor.Precision.F32);
            session.prefill(new int[] {5, 6, 7});
        }
        assertThrows(IllegalStateException.class, () -> session.next(8));
    }

    @Test
    void sessionsCheckTheirArguments() {
        try (AlibiModel model = AlibiModel.load(ModelFixtures.ROOT.resolve("mpt-f32"));
             ModelSession session = model.newSession(4, HeadTensor.Precision.F32)) {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> session.prefill(new int[0])).getMessage().contains("at least one"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> session.prefill(new int[] {1, 400})).getMessage()
                    .contains("token id 400 at index 1 is outside the vocabulary [0, 400)"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> session.prefill(new int[] {1, 2, 3, 4, 5})).getMessage()
                    .contains("do not fit the session's 4 positions"));
            assertThrows(IllegalStateException.class, () -> session.next(1)); // not started
            session.prefill(new int[] {1, 2, 3});
            session.next(4);
            assertTrue(assertThrows(IllegalStateException.class, () -> session.next(5)).getMessage().contains("full"));
            assertEquals(4, session.position());
            assertThrows(IllegalArgumentException.class, () -> model.newSession(0, HeadTensor.Precision.F32));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> model.newSession(129, HeadTensor.Precision.F32)).getMessage()
                    .contains("128")); // the fixture's max_seq_len
        }
    }

    private static void assertMessage(Path dir, String... parts) {
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> AlibiModel.load(dir).close());
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + e.getMessage() + "' should name " + part);
        }
    }

    private Path copy(String name) throws IOException {
        Path dir = Files.createTempDirectory(temp, name);
        try (Stream<Path> files = Files.list(ModelFixtures.ROOT.resolve(name))) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        return dir;
    }

    private Path edit(String name, Consumer<JsonObject> change) throws IOException {
        Path dir = copy(name);
        JsonObject config = JsonParser.parseString(Files.readString(dir.resolve("config.json"))).getAsJsonObject();
        change.accept(config);
        Files.writeString(dir.resolve("config.json"), config.toString());
        return dir;
    }
}
