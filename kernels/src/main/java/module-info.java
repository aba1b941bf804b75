/**
 * alibi4j's TornadoVM backend: the ALiBi bias and fused attention kernels run on TornadoVM's devices
 * ({@link org.alibi4j.tornado}), found by the core's {@link java.util.ServiceLoader} as the backends
 * {@code tornado} and {@code tornado-multi} (bias and attention).
 *
 * <p>Run with TornadoVM's JVM flags (its SDK's {@code tornado-argfile}) and, on the module path, put the SDK's
 * modules ({@code $TORNADOVM_HOME/share/java/tornado}) on it beside this module and the core's: a
 * {@code --module-path} given after the argfile replaces the argfile's.
 */
module org.alibi4j.tornado {
    // Both transitive: the exported classes have the core's and TornadoVM's types in their signatures.
    requires transitive org.alibi4j;
    requires transitive tornado.api;

    exports org.alibi4j.tornado;

    // No `opens`: TornadoVM reads a kernel's bytecode through JVMCI and its @Parallel annotations from the
    // class file (class files are never encapsulated). Where it reflects (setAccessible on the kernel's Method
    // and on the fields a task's lambda captures), nothing needs opening: every kernel is a public static
    // method of a public class in this exported package, given to a TaskGraph as a method reference that
    // captures nothing. A non-public kernel or a capturing lambda would need
    // `opens org.alibi4j.tornado to tornado.runtime`; the tests on the module path would show it.

    provides org.alibi4j.AlibiBackendProvider with
            org.alibi4j.tornado.TornadoBackendProvider,
            org.alibi4j.tornado.MultiDeviceTornadoBackendProvider;
    provides org.alibi4j.attention.AttentionBackendProvider with
            org.alibi4j.tornado.TornadoAttentionBackendProvider,
            org.alibi4j.tornado.MultiDeviceTornadoAttentionBackendProvider;
}
