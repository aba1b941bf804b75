package org.alibi4j.models.arch;

import org.alibi4j.models.checkpoint.InvalidModelException;
import org.alibi4j.models.checkpoint.ModelConfig;

/** Reading a config's options, refusing those a family does not implement. */
final class ConfigChecks {
    private ConfigChecks() {
    }

    /**
     * The first of {@code keys} the config has (families renamed some over time), or {@code dflt}, the
     * default of transformers' config class, where it has none (older configs leave defaults out).
     */
    static int positive(ModelConfig config, int dflt, String... keys) {
        for (String key : keys) {
            if (config.has(key)) {
                int value = config.integer(key);
                if (value < 1) {
                    throw new InvalidModelException(config.file() + ": '" + key + "' must be at least 1 (was " + value + ")");
                }
                return value;
            }
        }
        return dflt;
    }

    /** Refuses a boolean option ({@code dflt} where the config leaves it out) set to anything but its one supported value. */
    static void require(ModelConfig config, String key, boolean dflt, boolean supported, String why) {
        boolean value = config.flag(key, dflt);
        if (value != supported) {
            throw new InvalidModelException(config.file() + ": '" + key + "' = " + value + " is not supported: " + why);
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
