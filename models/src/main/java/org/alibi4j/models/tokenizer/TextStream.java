package org.alibi4j.models.tokenizer;

import java.util.Arrays;

/**
 * Decodes generated ids as they come, for printing text while a model generates it. Each {@link #push}
 * decodes all ids so far and returns only what is new; while the text ends in an incomplete UTF-8 character
 * (a byte-level token may carry part of one, which decodes to U+FFFD) it returns nothing and waits for the
 * rest, so a character is never split across pieces. The pieces and {@link #finish()} concatenate to
 * {@code decode(allIds)}.
 *
 * <p>Decoding everything each time keeps the pieces exact for every decoder (some change how a token reads
 * depending on what precedes it); its cost grows with the text, small beside a model's step. Not thread-safe.
 */
public final class TextStream {

    private static final char REPLACEMENT = '\uFFFD';

    private final TextTokenizer tokenizer;
    private final boolean skipSpecialTokens;
    private int[] ids = new int[64];
    private int count;
    private int emitted;
    private boolean finished;

    TextStream(TextTokenizer tokenizer, boolean skipSpecialTokens) {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = skipSpecialTokens;
    }

    /** Adds {@code id}; returns the text that became complete with it (often empty, never a partial character). */
    public String push(int id) {
        if (finished) {
            throw new IllegalStateException("the stream is finished");
        }
        if (count == ids.length) {
            ids = Arrays.copyOf(ids, ids.length * 2);
        }
        ids[count++] = id;
        String text = tokenizer.decode(Arrays.copyOf(ids, count), skipSpecialTokens);
        if (text.length() <= emitted || text.charAt(text.length() - 1) == REPLACEMENT) {
            return "";
        }
        String piece = text.substring(emitted);
        emitted = text.length();
        return piece;
    }

    /** Ends the stream: returns whatever text is left (an incomplete last character as U+FFFD). */
    public String finish() {
        if (finished) {
            return "";
        }
        finished = true;
        String text = tokenizer.decode(Arrays.copyOf(ids, count), skipSpecialTokens);
        return text.length() <= emitted ? "" : text.substring(emitted);
    }
}
