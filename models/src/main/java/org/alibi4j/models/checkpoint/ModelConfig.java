package org.alibi4j.models.checkpoint;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * The {@code config.json} of a Hugging Face model (or one object nested in it, such as MPT's
 * {@code attn_config}), read with typed getters. A key whose value is JSON {@code null} counts as absent, as
 * transformers' config classes treat it. Every message names the file and the key's path:
 * {@code config.json: 'attn_config.alibi_bias_max' must be a number (was "8")}.
 */
public final class ModelConfig {

    private final Path file;
    private final String prefix;
    private final JsonObject object;

    private ModelConfig(Path file, String prefix, JsonObject object) {
        this.file = file;
        this.prefix = prefix;
        this.object = object;
    }

    /**
     * Reads {@code configJson}.
     *
     * @throws InvalidModelException naming the file where it is missing, unreadable, not JSON or not an object
     */
    public static ModelConfig read(Path configJson) {
        Objects.requireNonNull(configJson, "configJson");
        if (!Files.isRegularFile(configJson)) {
            throw new InvalidModelException("model config " + configJson + " does not exist");
        }
        JsonElement root;
        try {
            root = Json.parse(Json.utf8(Files.readAllBytes(configJson)));
        } catch (CharacterCodingException e) {
            throw new InvalidModelException(configJson + " is not UTF-8 text", e);
        } catch (IOException e) {
            throw new InvalidModelException("cannot read " + configJson + ": " + e.getMessage(), e);
        } catch (JsonParseException e) {
            throw new InvalidModelException(configJson + " is not valid JSON: " + e.getMessage(), e);
        }
        if (!root.isJsonObject()) {
            throw new InvalidModelException(configJson + " is not a JSON object (it is " + Json.describe(root) + ")");
        }
        return new ModelConfig(configJson, "", root.getAsJsonObject());
    }

    /** The file it was read from (for a nested object, the file that holds it). */
    public Path file() {
        return file;
    }

    /** Whether {@code key} is present and not null. */
    public boolean has(String key) {
        return value(key) != null;
    }

    /** The keys of this object, in file order (including those whose value is null). */
    public Set<String> keys() {
        return Collections.unmodifiableSet(new LinkedHashSet<>(object.keySet()));
    }

    /** A required string. */
    public String string(String key) {
        JsonElement value = value(key);
        if (!isString(value)) {
            throw wrong(key, "a string", value);
        }
        return value.getAsString();
    }

    /** A string, or {@code dflt} where the key is absent or null. */
    public String string(String key, String dflt) {
        return has(key) ? string(key) : dflt;
    }

    /** A required integer: a JSON number with an exact int value ({@code 3.0} is one, {@code 3.5} is not). */
    public int integer(String key) {
        JsonElement value = value(key);
        Long exact = Json.exactInteger(value, Integer.MIN_VALUE, Integer.MAX_VALUE);
        if (exact == null) {
            throw wrong(key, "an integer", value);
        }
        return exact.intValue();
    }

    /** An integer, or {@code dflt} where the key is absent or null. */
    public int integer(String key, int dflt) {
        return has(key) ? integer(key) : dflt;
    }

    /** A required number. */
    public double number(String key) {
        JsonElement value = value(key);
        if (value == null || !value.isJsonPrimitive() || !value.getAsJsonPrimitive().isNumber()) {
            throw wrong(key, "a number", value);
        }
        double number = value.getAsDouble();
        if (!Double.isFinite(number)) {
            throw wrong(key, "a finite number", value);
        }
        return number;
    }

    /** A number, or {@code dflt} where the key is absent or null. */
    public double number(String key, double dflt) {
        return has(key) ? number(key) : dflt;
    }

    /** A number, or empty where the key is absent or null. */
    public OptionalDouble optionalNumber(String key) {
        return has(key) ? OptionalDouble.of(number(key)) : OptionalDouble.empty();
    }

    /** A boolean, or {@code dflt} where the key is absent or null. */
    public boolean flag(String key, boolean dflt) {
        JsonElement value = value(key);
        if (value == null) {
            return dflt;
        }
        if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isBoolean()) {
            throw wrong(key, "true or false", value);
        }
        return value.getAsBoolean();
    }

    /**
     * An integer or a list of integers, as a list ({@code eos_token_id} may be either); an empty array where
     * the key is absent or null.
     */
    public int[] integers(String key) {
        JsonElement value = value(key);
        if (value == null) {
            return new int[0];
        }
        if (!value.isJsonArray()) {
            Long exact = Json.exactInteger(value, Integer.MIN_VALUE, Integer.MAX_VALUE);
            if (exact == null) {
                throw wrong(key, "an integer or a list of integers", value);
            }
            return new int[] {exact.intValue()};
        }
        JsonArray array = value.getAsJsonArray();
        int[] result = new int[array.size()];
        for (int i = 0; i < result.length; i++) {
            Long exact = Json.exactInteger(array.get(i), Integer.MIN_VALUE, Integer.MAX_VALUE);
            if (exact == null) {
                throw wrong(key, "an integer or a list of integers", value);
            }
            result[i] = exact.intValue();
        }
        return result;
    }

    /** A nested object; an empty one where the key is absent or null. */
    public ModelConfig object(String key) {
        JsonElement value = value(key);
        if (value == null) {
            return new ModelConfig(file, path(key) + ".", new JsonObject());
        }
        if (!value.isJsonObject()) {
            throw wrong(key, "an object", value);
        }
        return new ModelConfig(file, path(key) + ".", value.getAsJsonObject());
    }

    private JsonElement value(String key) {
        Objects.requireNonNull(key, "key");
        JsonElement value = object.get(key);
        return value == null || value.isJsonNull() ? null : value;
    }

    private static boolean isString(JsonElement value) {
        return value != null && value.isJsonPrimitive() && value.getAsJsonPrimitive().isString();
    }

    private String path(String key) {
        return prefix + key;
    }

    private InvalidModelException wrong(String key, String expected, JsonElement value) {
        String was = value == null ? (object.has(key) ? "null" : "absent") : Json.describe(value);
        return new InvalidModelException(file.getFileName() + ": '" + path(key) + "' must be " + expected
                + " (was " + was + ")");
    }

    @Override
    public String toString() {
        return "ModelConfig[" + file + (prefix.isEmpty() ? "" : ", " + prefix.substring(0, prefix.length() - 1))
                + "]";
    }
}
