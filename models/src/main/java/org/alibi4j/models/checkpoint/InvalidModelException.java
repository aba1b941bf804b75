package org.alibi4j.models.checkpoint;

/**
 * A checkpoint, config or tokenizer that cannot be used as it is: the message names the file, tensor or
 * option, and what is wrong with it. An {@link IllegalArgumentException}, so that callers that already
 * treat bad arguments as bad input (the command line: exit code 2) need nothing new.
 */
public class InvalidModelException extends IllegalArgumentException {
    public InvalidModelException(String message) {
        super(message);
    }

    public InvalidModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
