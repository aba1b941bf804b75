/**
 * alibi4j's core: ALiBi slopes, bias tensors and their cache ({@link org.alibi4j}), fused ALiBi attention
 * and its KV cache ({@link org.alibi4j.attention}), and the plain-Java backends ({@link org.alibi4j.cpu},
 * {@link org.alibi4j.attention.cpu}).
 *
 * <p>The Vector API is optional: the attention kernels use it where the JVM resolves
 * {@code jdk.incubator.vector} ({@code --add-modules jdk.incubator.vector}) and run plain Java otherwise,
 * saying why in the log ({@code System.Logger} {@code org.alibi4j}, INFO). Backends are found with
 * {@link java.util.ServiceLoader}: other modules (the TornadoVM backend) provide more.
 */
@SuppressWarnings("module") // org.alibi4j.tornado is built only where TornadoVM is installed
module org.alibi4j {
    requires static jdk.incubator.vector;

    exports org.alibi4j;
    exports org.alibi4j.attention;
    exports org.alibi4j.cpu;
    exports org.alibi4j.attention.cpu;
    exports org.alibi4j.parallel;
    // Argument checks shared with the TornadoVM backend; not API.
    exports org.alibi4j.internal to org.alibi4j.tornado;

    uses org.alibi4j.AlibiBackendProvider;
    uses org.alibi4j.attention.AttentionBackendProvider;

    provides org.alibi4j.AlibiBackendProvider with org.alibi4j.cpu.CpuBackendProvider;
    provides org.alibi4j.attention.AttentionBackendProvider with org.alibi4j.attention.cpu.CpuAttentionBackendProvider;
}
