package org.alibi4j.models.checkpoint;

import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Strict JSON (RFC 8259, one value, nothing after it) for the files of a checkpoint, through Gson. */
final class Json {

    private Json() {
    }

    /**
     * The one JSON value of {@code text}.
     *
     * @throws JsonParseException where the text is not exactly one strict JSON value; its message says where
     */
    static JsonElement parse(String text) {
        JsonReader reader = reader(text);
        try {
            if (reader.peek() == JsonToken.END_DOCUMENT) {
                throw new JsonParseException("no JSON value");
            }
            JsonElement value = JsonParser.parseReader(reader);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new JsonParseException("more than one JSON value (" + reader.peek() + " at "
                        + reader.getPath() + ")");
            }
            return value;
        } catch (IOException | StackOverflowError e) {
            throw new JsonParseException(message(e), e);
        } catch (JsonParseException e) {
            throw new JsonParseException(message(e), e);
        }
    }

    /**
     * Gson's message for a parse failure, without its advice to parse leniently and its link: "malformed
     * JSON at line 1 column 5 path $".
     */
    static String message(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        String message = cause.getMessage() == null ? cause.toString() : cause.getMessage();
        int link = message.indexOf("\nSee ");
        if (link >= 0) {
            message = message.substring(0, link);
        }
        return message.replace("Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON",
                "malformed JSON");
    }

    /** A strict reader over {@code text}: no comments, no unquoted names, no NaN. */
    static JsonReader reader(String text) {
        JsonReader reader = new JsonReader(new StringReader(text));
        reader.setStrictness(Strictness.STRICT);
        return reader;
    }

    /** {@code bytes} as UTF-8, refusing malformed input instead of replacing it. */
    static String utf8(byte[] bytes) throws CharacterCodingException {
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes))
                .toString();
    }

    /**
     * The value of a JSON number where it is an integer in {@code [min, max]} ({@code 3.0} is; {@code 3.5},
     * {@code 1e30} are not), else null.
     */
    static Long exactInteger(JsonElement element, long min, long max) {
        if (element == null || !element.isJsonPrimitive() || !element.getAsJsonPrimitive().isNumber()) {
            return null;
        }
        BigDecimal value;
        try {
            value = element.getAsBigDecimal();
        } catch (NumberFormatException e) {
            return null;
        }
        // precision - scale is the number of digits before the point: refuse huge exponents before any
        // arithmetic that would expand them.
        if (value.signum() != 0 && value.precision() - value.scale() > 19) {
            return null;
        }
        try {
            long exact = value.longValueExact();
            return exact >= min && exact <= max ? exact : null;
        } catch (ArithmeticException e) {
            return null;
        }
    }

    /** A short rendering of a JSON value for messages ({@code "was 12"}): long values are cut. */
    static String describe(JsonElement element) {
        if (element == null) {
            return "absent";
        }
        String text = element.toString();
        return text.length() > 60 ? text.substring(0, 57) + "..." : text;
    }
}
