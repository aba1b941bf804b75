package org.alibi4j.models.tokenizer;

import ai.djl.huggingface.tokenizers.jni.LibUtils;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import org.alibi4j.models.checkpoint.InvalidModelException;

/**
 * A Hugging Face {@code tokenizer.json}, run by the Rust {@code tokenizers} library that DJL ships with its
 * native code in the jar. {@link #encode} gives exactly what transformers' {@code tokenizer(text)["input_ids"]}
 * gives for that file: the special tokens its post-processor adds, no truncation, no padding (whatever the
 * file's own truncation and padding settings say, as transformers turns them off per call).
 *
 * <p>Talks to DJL's JNI layer ({@link TokenizersLibrary}) rather than its {@code HuggingFaceTokenizer}, whose
 * factories probe the EC2 metadata service over the network (DJL's telemetry) unless a global system property
 * or environment variable opts out, and which truncate to 512 tokens unless told otherwise. The native
 * library is extracted once from the jar into DJL's cache directory ({@code ~/.djl.ai}, or
 * {@code DJL_CACHE_DIR}); nothing is downloaded on the platforms the jar carries.
 *
 * <p>Safe to use from several threads (calls are serialised); {@link #close()} frees the native tokenizer.
 */
public final class TextTokenizer implements AutoCloseable {

    private final Path file;
    private long handle;

    private TextTokenizer(Path file, long handle) {
        this.file = file;
        this.handle = handle;
    }

    /**
     * Loads {@code tokenizerJson}.
     *
     * @throws InvalidModelException naming the file where it is missing, unreadable or not a tokenizer
     * @throws IllegalStateException where the native library cannot be loaded on this platform
     */
    public static TextTokenizer open(Path tokenizerJson) {
        Objects.requireNonNull(tokenizerJson, "tokenizerJson");
        if (!Files.exists(tokenizerJson)) {
            throw new InvalidModelException("tokenizer " + tokenizerJson + " does not exist");
        }
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new InvalidModelException(tokenizerJson + " is not a file");
        }
        String json;
        try {
            json = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(Files.readAllBytes(tokenizerJson)))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new InvalidModelException(tokenizerJson + " is not UTF-8 text", e);
        } catch (IOException e) {
            throw new InvalidModelException("cannot read " + tokenizerJson + ": " + e.getMessage(), e);
        }
        try {
            LibUtils.checkStatus();
        } catch (RuntimeException e) {
            throw new IllegalStateException("the Hugging Face tokenizers native library did not load: "
                    + e.getMessage(), e);
        }
        long handle;
        try {
            handle = TokenizersLibrary.LIB.createTokenizerFromString(json);
        } catch (RuntimeException e) {
            throw new InvalidModelException(tokenizerJson + " is not a valid tokenizer.json: " + e.getMessage(), e);
        }
        TokenizersLibrary.LIB.disableTruncation(handle);
        TokenizersLibrary.LIB.disablePadding(handle);
        return new TextTokenizer(tokenizerJson, handle);
    }

    /** The file it was loaded from. */
    public Path file() {
        return file;
    }

    /**
     * The ids of {@code text}, with the special tokens the tokenizer's post-processor adds. An unpaired
     * surrogate (a {@code String} that is not valid UTF-16, which no UTF-8 text can hold) is read as U+FFFD.
     */
    public synchronized int[] encode(String text) {
        Objects.requireNonNull(text, "text");
        long encoding = TokenizersLibrary.LIB.encode(handle(), wellFormed(text), true);
        try {
            long[] ids = TokenizersLibrary.LIB.getTokenIds(encoding);
            int[] result = new int[ids.length];
            for (int i = 0; i < ids.length; i++) {
                result[i] = Math.toIntExact(ids[i]);
            }
            return result;
        } finally {
            TokenizersLibrary.LIB.deleteEncoding(encoding);
        }
    }

    /**
     * The text of {@code ids}, as transformers' {@code tokenizer.decode(ids, skip_special_tokens=...)}.
     * Bytes that do not form whole UTF-8 characters come out as U+FFFD; ids past the vocabulary are skipped.
     *
     * @throws IllegalArgumentException where an id is negative
     */
    public synchronized String decode(int[] ids, boolean skipSpecialTokens) {
        Objects.requireNonNull(ids, "ids");
        long[] wide = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0) {
                throw new IllegalArgumentException("token id " + ids[i] + " at " + i + " is negative");
            }
            wide[i] = ids[i];
        }
        return TokenizersLibrary.LIB.decode(handle(), wide, skipSpecialTokens);
    }

    /** {@code text} with each unpaired surrogate replaced by U+FFFD; {@code text} itself where it has none. */
    static String wellFormed(String text) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean paired = Character.isHighSurrogate(c) && i + 1 < text.length()
                    && Character.isLowSurrogate(text.charAt(i + 1));
            if (paired) {
                if (out != null) {
                    out.append(c).append(text.charAt(i + 1));
                }
                i++;
            } else if (Character.isSurrogate(c)) {
                if (out == null) {
                    out = new StringBuilder(text.length()).append(text, 0, i);
                }
                out.append('\uFFFD');
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? text : out.toString();
    }

    /** A decoder for generated ids, one at a time, that never splits a character across pieces. */
    public synchronized TextStream stream(boolean skipSpecialTokens) {
        handle();
        return new TextStream(this, skipSpecialTokens);
    }

    /** Frees the native tokenizer; later calls throw {@link IllegalStateException}. Closing twice does nothing. */
    @Override
    public synchronized void close() {
        if (handle != 0) {
            TokenizersLibrary.LIB.deleteTokenizer(handle);
            handle = 0;
        }
    }

    private long handle() {
        if (handle == 0) {
            throw new IllegalStateException("tokenizer " + file + " is closed");
        }
        return handle;
    }

    @Override
    public String toString() {
        return "TextTokenizer[" + file + "]";
    }
}
