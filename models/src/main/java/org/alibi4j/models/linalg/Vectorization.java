package org.alibi4j.models.linalg;

import java.util.Optional;

/**
 * Chooses the matrix kernels once, as core's attention {@code Vectorization} does: the Vector API
 * kernels where the {@code jdk.incubator.vector} module is in the boot layer (the JVM was started with
 * {@code --add-modules jdk.incubator.vector}) and its preferred species holds at least 8 floats, the
 * plain-Java kernels otherwise. It logs which, and why, at INFO. Nothing here touches the incubator
 * API's classes unless the module is present; the holder class defers the choice to first use.
 */
final class Vectorization {
    static final String MODULE = "jdk.incubator.vector";
    private static final System.Logger LOG = System.getLogger("org.alibi4j");

    private Vectorization() {
    }

    /** The kernels this JVM runs best. */
    static LinearKernels kernels() {
        return Holder.BEST;
    }

    /** Why the Vector API is not used, or empty if it is. */
    static Optional<String> fallbackReason() {
        return Optional.ofNullable(Holder.reason);
    }

    private static final class Holder {
        static String reason;
        static final LinearKernels BEST = choose();

        private static LinearKernels choose() {
            if (ModuleLayer.boot().findModule(MODULE).isEmpty()) {
                return fallBack("pass '--add-modules " + MODULE + "' to the JVM to enable the Vector API kernels");
            }
            try {
                LinearKernels vector = (LinearKernels) Class.forName("org.alibi4j.models.linalg.VectorKernels")
                        .getDeclaredConstructor().newInstance();
                LOG.log(System.Logger.Level.INFO, "alibi4j: matrix products use {0}", vector.describe());
                return vector;
            } catch (ReflectiveOperationException | LinkageError e) {
                return fallBack("the Vector API kernels could not be loaded: " + e);
            } catch (IllegalStateException e) { // the species is too narrow to pay
                return fallBack(e.getMessage());
            }
        }

        private static LinearKernels fallBack(String why) {
            reason = why;
            LOG.log(System.Logger.Level.INFO, "alibi4j: matrix products use plain Java: {0}", why);
            return new ScalarKernels();
        }
    }
}
