package org.alibi4j.models.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.alibi4j.models.checkpoint.InvalidModelException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Against transformers' {@code PreTrainedTokenizerFast} on a byte-level BPE trained for the test (see
 * {@code tokenizer/make_tokenizer_fixture.py}).
 */
class TextTokenizerTest {

    private static final char REPLACEMENT = '\uFFFD';

    private static TextTokenizer tokenizer;
    private static JsonObject expected;

    @TempDir
    Path dir;

    private static Path resource(String name) {
        try {
            return Path.of(TextTokenizerTest.class.getResource("/tokenizer/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @BeforeAll
    static void open() throws IOException {
        tokenizer = TextTokenizer.open(resource("tokenizer.json"));
        expected = JsonParser.parseString(Files.readString(resource("expected.json"))).getAsJsonObject();
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    private static int[] ints(JsonElement array) {
        return array.getAsJsonArray().asList().stream().mapToInt(JsonElement::getAsInt).toArray();
    }

    private static List<JsonObject> encodings() {
        return expected.getAsJsonArray("encodings").asList().stream().map(JsonElement::getAsJsonObject).toList();
    }

    @Test
    void encodeGivesTransformersIds() {
        for (JsonObject encoding : encodings()) {
            String text = encoding.get("text").getAsString();
            assertArrayEquals(ints(encoding.get("ids")), tokenizer.encode(text), () -> "text " + quote(text));
        }
    }

    @Test
    void specialTokensComeFromThePostProcessor() {
        int[] ids = tokenizer.encode("The quick brown fox.");
        assertEquals(1, ids[0], "<s>");
        assertEquals(2, ids[ids.length - 1], "</s>");
        assertArrayEquals(new int[] {1, 2}, tokenizer.encode(""));
    }

    @Test
    void longTextsAreNotTruncated() {
        String text = "ALiBi ".repeat(120) + "end";
        int[] ids = tokenizer.encode(text);
        assertTrue(ids.length > 512, "got " + ids.length + " ids");
        assertEquals(2, ids[ids.length - 1]);
        assertEquals("<s>" + text + "</s>", tokenizer.decode(ids, false));
    }

    @Test
    void truncationAndPaddingInTheFileAreSwitchedOffAsTransformersDoes() {
        try (TextTokenizer truncating = TextTokenizer.open(resource("tokenizer_truncating.json"))) {
            int checked = 0;
            for (JsonElement element : expected.getAsJsonArray("file_truncation_ignored")) {
                JsonObject encoding = element.getAsJsonObject();
                int[] ids = ints(encoding.get("ids"));
                assertArrayEquals(ids, truncating.encode(encoding.get("text").getAsString()));
                assertArrayEquals(ids, tokenizer.encode(encoding.get("text").getAsString()));
                checked++;
            }
            assertEquals(2, checked);
            assertTrue(truncating.encode("The quick brown fox.").length > 10, "longer than both the limit and the pad");
        }
    }

    @Test
    void decodeGivesTransformersText() {
        for (JsonObject encoding : encodings()) {
            int[] ids = ints(encoding.get("ids"));
            String text = encoding.get("text").getAsString();
            assertEquals(encoding.get("decoded").getAsString(), tokenizer.decode(ids, false), () -> quote(text));
            assertEquals(encoding.get("decoded_skipping_special").getAsString(), tokenizer.decode(ids, true),
                    () -> "skipping special tokens: " + quote(text));
        }
    }

    @Test
    void decodeOfCutsAndUnknownIdsGivesTransformersText() {
        int replaced = 0;
        for (JsonElement element : expected.getAsJsonArray("cuts")) {
            JsonObject cut = element.getAsJsonObject();
            String text = cut.get("decoded").getAsString();
            assertEquals(text, tokenizer.decode(ints(cut.get("ids")), false), () -> "ids " + cut.get("ids"));
            replaced += text.indexOf(REPLACEMENT) >= 0 ? 1 : 0;
        }
        assertTrue(replaced > 3, "the fixture cuts characters in " + replaced + " places");
    }

    @Test
    void unpairedSurrogatesReadAsReplacementCharacters() {
        assertArrayEquals(tokenizer.encode("x\uFFFDy\uFFFD"), tokenizer.encode("x\uD800y\uDC00"));
        assertArrayEquals(tokenizer.encode("\uFFFD🙂"), tokenizer.encode("\uDBFF🙂"));
        assertEquals("a🙂b", TextTokenizer.wellFormed("a🙂b"));
        assertEquals("\uFFFD\uFFFD", TextTokenizer.wellFormed("\uDC00\uD800"));
    }

    @Test
    void nulIsAnOrdinaryCharacter() {
        int[] ids = tokenizer.encode("a\u0000b");
        assertEquals(5, ids.length, java.util.Arrays.toString(ids));
        assertEquals("a\u0000b", tokenizer.decode(ids, true));
    }

    @Test
    void negativeIdsAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> tokenizer.decode(new int[] {1, -5}, false));
        assertTrue(e.getMessage().contains("-5"), e.getMessage());
    }

    @Test
    void streamPiecesConcatenateToTheWholeTextAndNeverSplitACharacter() {
        int heldBack = 0;
        for (JsonObject encoding : encodings()) {
            int[] ids = ints(encoding.get("ids"));
            for (boolean skip : new boolean[] {false, true}) {
                TextStream stream = tokenizer.stream(skip);
                StringBuilder text = new StringBuilder();
                for (int id : ids) {
                    String piece = stream.push(id);
                    assertTrue(piece.indexOf(REPLACEMENT) < 0, () -> "piece " + quote(piece));
                    heldBack += piece.isEmpty() ? 1 : 0;
                    text.append(piece);
                }
                String rest = stream.finish();
                assertTrue(rest.indexOf(REPLACEMENT) < 0, () -> "rest " + quote(rest));
                text.append(rest);
                assertEquals(tokenizer.decode(ids, skip), text.toString());
            }
        }
        assertTrue(heldBack > 10, "held back " + heldBack + " times");
    }

    @Test
    void streamHoldsBackEachPartialCharacterUntilItIsWhole() {
        // "🙂" is four bytes; this tokenizer spells it in more than one token.
        int[] ids = tokenizer.encode("a🙂b");
        TextStream stream = tokenizer.stream(true);
        List<String> pieces = new ArrayList<>();
        for (int id : ids) {
            pieces.add(stream.push(id));
        }
        pieces.add(stream.finish());
        assertTrue(pieces.contains("🙂"), "pieces " + pieces);
        assertEquals("a🙂b", String.join("", pieces));
        assertTrue(pieces.stream().filter(String::isEmpty).count() >= 2, "pieces " + pieces);
    }

    @Test
    void streamEndingInsideACharacterFinishesWithTheReplacement() {
        int[] ids = tokenizer.encode("x我");
        int[] cut = java.util.Arrays.copyOf(ids, ids.length - 2); // drops </s> and the last byte of 我
        String whole = tokenizer.decode(cut, true);
        assertEquals(REPLACEMENT, whole.charAt(whole.length() - 1));
        TextStream stream = tokenizer.stream(true);
        StringBuilder text = new StringBuilder();
        for (int id : cut) {
            text.append(stream.push(id));
        }
        assertEquals("x", text.toString());
        assertEquals(whole.substring(1), stream.finish());
        assertEquals("", stream.finish());
        assertThrows(IllegalStateException.class, () -> stream.push(5));
    }

    @Test
    void missingOrInvalidFilesAreNamed() throws IOException {
        Path absent = dir.resolve("tokenizer.json");
        assertInvalid(() -> TextTokenizer.open(absent), "tokenizer " + absent + " does not exist");
        assertInvalid(() -> TextTokenizer.open(dir), dir + " is not a file");
        Files.writeString(absent, "{\"version\": \"1.0\", \"model\": ");
        assertInvalid(() -> TextTokenizer.open(absent), absent + " is not a valid tokenizer.json");
        Files.writeString(absent, "{\"hello\": 1}");
        assertInvalid(() -> TextTokenizer.open(absent), absent + " is not a valid tokenizer.json");
        Files.write(absent, new byte[] {'{', (byte) 0xff, '}'});
        assertInvalid(() -> TextTokenizer.open(absent), absent + " is not UTF-8 text");
    }

    @Test
    void closedTokenizerRefusesCalls() {
        TextTokenizer own = TextTokenizer.open(resource("tokenizer.json"));
        TextStream stream = own.stream(false);
        assertEquals(3, own.encode(" ").length);
        own.close();
        own.close();
        assertThrows(IllegalStateException.class, () -> own.encode("x"));
        assertThrows(IllegalStateException.class, () -> own.decode(new int[] {1}, false));
        assertThrows(IllegalStateException.class, () -> own.stream(false));
        assertThrows(IllegalStateException.class, () -> stream.push(1));
        assertFalse(tokenizer.encode("still open").length == 0, "other tokenizers are unaffected");
    }

    private static void assertInvalid(Executable executable, String fragment) {
        InvalidModelException e = assertThrows(InvalidModelException.class, executable);
        assertTrue(e.getMessage().contains(fragment), () -> "message lacks '" + fragment + "': " + e.getMessage());
    }

    private static String quote(String text) {
        return '"' + (text.length() > 40 ? text.substring(0, 40) + "..." : text) + '"';
    }
}
