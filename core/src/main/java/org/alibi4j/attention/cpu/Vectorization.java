package org.alibi4j.attention.cpu;

import java.util.Optional;

/**
 * Chooses the attention kernels once, as Lucene's {@code VectorizationProvider} does: the Vector API
 * kernels where the {@code jdk.incubator.vector} module is in the boot layer (the JVM was started with
 * {@code --add-modules jdk.incubator.vector}) and its preferred species holds at least 4 floats, the
 * plain-Java kernels otherwise. It logs which, and why, at INFO. Nothing here touches the incubator
 * API's classes unless the module is present; the holder class defers the choice to first use.
 */
final class Vectorization {
    static final String MODULE = "jdk.incubator.vector";
    private static final System.Logger LOG = System.getLogger("org.alibi4j");

    private Vectorization() {
    }

    /** The kernels this JVM runs best. */
    static AttentionKernels kernels() {
        return Holder.BEST;
    }

    /** Why the Vector API is not used, or empty if it is. */
    static Optional<String> fallbackReason() {
        return Optional.ofNullable(Holder.reason);
    }

    private static final class Holder {
        static String reason;
        static final AttentionKernels BEST = choose();

        private static AttentionKernels choose() {
            if (ModuleLayer.boot().findModule(MODULE).isEmpty()) {
                return fallBack("pass '--add-modules " + MODULE + "' to the JVM to enable the Vector API kernels");
            }
            try {
                AttentionKernels vector = (AttentionKernels) Class.forName("org.alibi4j.attention.cpu.VectorKernels")
                        .getDeclaredConstructor().newInstance();
                LOG.log(System.Logger.Level.INFO, "alibi4j: attention uses {0}", vector.describe());
                return vector;
            } catch (ReflectiveOperationException | LinkageError e) {
                return fallBack("the Vector API kernels could not be loaded: " + e);
            } catch (IllegalStateException e) { // the species is too narrow to pay
                return fallBack(e.getMessage());
            }
        }

        private static AttentionKernels fallBack(String why) {
            reason = why;
            LOG.log(System.Logger.Level.INFO, "alibi4j: attention uses plain Java: {0}", why);
            return new ScalarKernels();
        }
    }
}
