/**
 * alibi4j's models: ALiBi language models (BLOOM, MPT, Falcon with ALiBi) loaded from Hugging Face
 * checkpoints ({@link org.alibi4j.models.checkpoint}) and run end to end on alibi4j's fused attention
 * ({@link org.alibi4j.models}), with their tokenizers ({@link org.alibi4j.models.tokenizer}), matrix kernels
 * ({@link org.alibi4j.models.linalg}) and architectures ({@link org.alibi4j.models.arch}).
 *
 * <p>As the core, the Vector API is optional ({@code requires static}); DJL's tokenizers load a native
 * library, so run with {@code --enable-native-access=org.alibi4j.models,ai.djl.tokenizers} (or
 * {@code ALL-UNNAMED} on the class path) to keep the JVM quiet about it.
 */
module org.alibi4j.models {
    requires transitive org.alibi4j;
    requires com.google.gson;
    requires ai.djl.tokenizers;
    requires static jdk.incubator.vector;

    exports org.alibi4j.models;
    exports org.alibi4j.models.arch;
    exports org.alibi4j.models.checkpoint;
    exports org.alibi4j.models.linalg;
    exports org.alibi4j.models.tokenizer;
}
