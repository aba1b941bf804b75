package org.alibi4j.models.arch;

import java.util.Arrays;

import org.alibi4j.models.checkpoint.InvalidModelException;
import org.alibi4j.models.checkpoint.ModelConfig;

/** Reading a config's options, refusing those a family does not implement. */
final class ConfigChecks {
    private ConfigChecks() {
    }

    /** The first of {@code keys} the config has (families renamed some over time), as an int. */
    static int integer(ModelConfig config, String... keys) {
        for (String key : keys) {
            if (config.has(key)) {
                return config.integer(key);
            }
        }
        throw new InvalidModelException(config.file() + ": '" + keys[0] + "' is missing" + (keys.length > 1
                ? " (nor any of " + Arrays.toString(Arrays.copyOfRange(keys, 1, keys.length)) + ")" : ""));
    }

    static int positive(ModelConfig config, String... keys) {
        int value = integer(config, keys);
        if (value < 1) {
            throw new InvalidModelException(config.file() + ": '" + keys[0] + "' must be at least 1 (was " + value + ")");
        }
        return value;
    }

    /** Refuses a boolean option set to anything but its one supported value. */
    static void require(ModelConfig config, String key, boolean supported, String why) {
        if (config.flag(key, supported) != supported) {
            throw new InvalidModelException(config.file() + ": '" + key + "' = " + !supported + " is not supported: " + why);
        }
    }

    /** Refuses an option that must be absent or null. */
    static void requireUnset(ModelConfig config, String key, String why) {
        if (config.has(key)) {
            throw new InvalidModelException(config.file() + ": '" + key + "' is not supported: " + why);
        }
    }

    /** The heads must divide the width. */
    static int headDim(ModelConfig config, int hidden, int heads) {
        if (hidden % heads != 0) {
            throw new InvalidModelException(config.file() + ": the hidden size " + hidden + " is not a multiple of the " + heads + " heads");
        }
        return hidden / heads;
    }

    static float epsilon(ModelConfig config, String key, double dflt) {
        double eps = config.number(key, dflt);
        if (!(eps > 0) || Double.isInfinite(eps)) {
            throw new InvalidModelException(config.file() + ": '" + key + "' must be a positive number (was " + eps + ")");
        }
        return (float) eps;
    }
}
