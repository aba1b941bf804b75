package org.alibi4j.models.arch;

import java.util.Optional;

/**
 * Chooses the {@link RowKernels} once, as the matrix kernels' {@code Vectorization} does: the Vector API's
 * where the {@code jdk.incubator.vector} module is in the boot layer (the JVM was started with
 * {@code --add-modules jdk.incubator.vector}), plain Java otherwise. It logs which, and why, at INFO.
 * Nothing here touches the incubator API's classes unless the module is present; the holder class defers
 * the choice to first use.
 */
final class RowVectorization {
    static final String MODULE = "jdk.incubator.vector";
    private static final System.Logger LOG = System.getLogger("org.alibi4j");

    private RowVectorization() {
    }

    static RowKernels kernels() {
        return Holder.BEST;
    }

    /** Why the Vector API is not used, or empty if it is. */
    static Optional<String> fallbackReason() {
        return Optional.ofNullable(Holder.reason);
    }

    private static final class Holder {
        static String reason;
        static final RowKernels BEST = choose();

        private static RowKernels choose() {
            if (ModuleLayer.boot().findModule(MODULE).isEmpty()) {
                return fallBack("pass '--add-modules " + MODULE + "' to the JVM to enable the Vector API kernels");
            }
            try {
                RowKernels vector = (RowKernels) Class.forName("org.alibi4j.models.arch.VectorRowKernels").getDeclaredConstructor().newInstance();
                LOG.log(System.Logger.Level.INFO, "alibi4j: layer norms and activations use {0}", vector.describe());
                return vector;
            } catch (ReflectiveOperationException | LinkageError e) {
                return fallBack("the Vector API kernels could not be loaded: " + e);
            }
        }

        private static RowKernels fallBack(String why) {
            reason = why;
            LOG.log(System.Logger.Level.INFO, "alibi4j: layer norms and activations use plain Java: {0}", why);
            return ScalarRowKernels.INSTANCE;
        }
    }
}
