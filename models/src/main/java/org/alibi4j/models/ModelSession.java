package org.alibi4j.models;

import org.alibi4j.models.arch.Decoder;
import org.alibi4j.models.arch.DecoderState;

/**
 * One sequence of a model: its KV caches (one per layer, on the model's attention backend) and its position.
 * {@link #prefill} starts the sequence with a prompt; each {@link #next} runs one more token. Both return the
 * logits of the token that follows, {@code [vocabulary]} floats.
 *
 * <p>A session is one sequence: its methods may be called from any thread, one call at a time (they are
 * synchronized). {@link #close()} frees its caches.
 */
public final class ModelSession implements AutoCloseable {
    private final AlibiModel model;
    private final Decoder decoder;
    private final DecoderState state;
    private int position;
    private boolean closed;

    ModelSession(AlibiModel model, Decoder decoder, DecoderState state) {
        this.model = model;
        this.decoder = decoder;
        this.state = state;
    }

    /**
     * Starts the sequence anew with {@code tokens} (positions {@code 0 .. n - 1}) and returns the logits of the
     * token after the last.
     *
     * @throws IllegalArgumentException if {@code tokens} is empty, holds an id outside the vocabulary, or is
     *                                  longer than the capacity (the session is unchanged)
     */
    public synchronized float[] prefill(int[] tokens) {
        return run(tokens, 1);
    }

    /** As {@link #prefill}, returning the logits after every prompt position: {@code [n, vocabulary]}, row-major. */
    public synchronized float[] prefillAllLogits(int[] tokens) {
        return run(tokens, tokens == null ? 0 : tokens.length);
    }

    private float[] run(int[] tokens, int logitRows) {
        checkOpen();
        checkTokens(tokens);
        if (tokens.length > capacity()) {
            throw new IllegalArgumentException("the prompt's " + tokens.length + " tokens do not fit the session's " + capacity() + " positions");
        }
        position = 0; // a failure on the way leaves an empty sequence, not a half-run one
        float[] logits = new float[Math.multiplyExact(logitRows, vocabulary())];
        decoder.forward(state, tokens, 0, logitRows, logits);
        position = tokens.length;
        return logits;
    }

    /**
     * Runs {@code token} at {@link #position()} and returns the logits of the token after it.
     *
     * @throws IllegalArgumentException if the id is outside the vocabulary
     * @throws IllegalStateException    if the sequence has not started, or is full
     */
    public synchronized float[] next(int token) {
        checkOpen();
        checkTokens(new int[] {token});
        if (position == 0) {
            throw new IllegalStateException("the sequence has not started: prefill a prompt first");
        }
        if (position >= capacity()) {
            throw new IllegalStateException("the session is full: its " + capacity() + " positions are used");
        }
        float[] logits = new float[vocabulary()];
        decoder.forward(state, new int[] {token}, position, 1, logits);
        position++;
        return logits;
    }

    /**
     * Goes back to {@code position}: the tokens from there on are forgotten, and the next call of {@link #next}
     * runs its token at {@code position} (a rejected draft of speculative decoding, another continuation of the
     * same prefix). The caches keep their rows; the next step's key and value replace the forgotten ones.
     *
     * @throws IllegalArgumentException if {@code position} is outside {@code [1, position()]} (the session is unchanged)
     */
    public synchronized void rewind(int position) {
        checkOpen();
        if (position < 1 || position > this.position) {
            throw new IllegalArgumentException("position must be in [1, " + this.position + "], the tokens in the sequence (was " + position + ")"
                    + (this.position == 0 ? ": the sequence has not started" : ""));
        }
        this.position = position;
    }

    /** Tokens in the sequence so far. */
    public synchronized int position() {
        return position;
    }

    /** The most tokens the sequence may hold. */
    public int capacity() {
        return state.capacity();
    }

    /** The model's vocabulary size (the logits' length). */
    public int vocabulary() {
        return decoder.spec().vocabulary();
    }

    /** The model this session runs. */
    public AlibiModel model() {
        return model;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            state.close();
            model.closed(this);
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this session is closed");
        }
    }

    private void checkTokens(int[] tokens) {
        if (tokens == null || tokens.length == 0) {
            throw new IllegalArgumentException("tokens must hold at least one token id");
        }
        int vocabulary = vocabulary();
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= vocabulary) {
                throw new IllegalArgumentException("token id " + tokens[i] + (tokens.length > 1 ? " at index " + i : "")
                        + " is outside the vocabulary [0, " + vocabulary + ")");
            }
        }
    }
}
