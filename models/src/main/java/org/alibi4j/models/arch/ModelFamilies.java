package org.alibi4j.models.arch;

import java.util.List;

import org.alibi4j.models.checkpoint.InvalidModelException;
import org.alibi4j.models.checkpoint.ModelConfig;

/** The families alibi4j runs, by {@code model_type}. */
public final class ModelFamilies {
    private static final List<ModelFamily> FAMILIES = List.of(new Bloom(), new Mpt(), new Falcon());

    private ModelFamilies() {
    }

    /** The supported {@code model_type}s. */
    public static List<String> supported() {
        return FAMILIES.stream().map(ModelFamily::modelType).toList();
    }

    static ModelFamily of(ModelConfig config) {
        String type = config.string("model_type");
        return FAMILIES.stream().filter(f -> f.modelType().equals(type)).findFirst()
                .orElseThrow(() -> new InvalidModelException(config.file() + ": model_type '" + type + "' is not supported (supported: "
                        + String.join(", ", supported()) + ")"));
    }
}
