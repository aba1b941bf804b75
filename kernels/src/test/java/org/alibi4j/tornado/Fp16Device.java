package org.alibi4j.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.alibi4j.AlibiSlopes;
import org.alibi4j.BiasForm;
import org.alibi4j.BiasSpec;

/**
 * Whether TornadoVM's default device runs half-precision kernels, found once by compiling and running the
 * smallest one there is ({@code materializeHalf}'s {@code to_half} on a {@code [1, 1, 2]} bias). Tests of
 * the half-precision attention kernels skip, saying why, only where that fails for want of fp16 (Debian's
 * PoCL 3.1: no {@code cl_khr_fp16}); on a device that has it, any failure of theirs is a failure.
 */
final class Fp16Device {
    private static String missing; // null until probed; "" where the device runs halves
    private static boolean probed;

    private Fp16Device() {
    }

    /** Skips the calling test unless TornadoVM is there, its fallback off, and the default device has fp16. */
    static synchronized void assumeFp16() {
        assumeTrue(System.getenv("TORNADOVM_HOME") != null, "TORNADOVM_HOME is not set: no TornadoVM to test");
        // a bailout must fail the test, never run the kernel as plain Java on the host
        assertEquals("False", System.getProperty(TornadoProviderSupport.BAILOUT_PROPERTY));
        if (!probed) {
            missing = probe();
            probed = true;
        }
        assumeTrue(missing.isEmpty(), missing);
    }

    private static String probe() {
        try (TornadoBackend tornado = (TornadoBackend) new TornadoBackendProvider().open()) {
            tornado.materializeHalf(new BiasSpec(AlibiSlopes.forHeads(1), 1, 1, 2, BiasForm.SYMMETRIC));
            return "";
        } catch (IllegalStateException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(TornadoBackend.HALF_UNSUPPORTED)) {
                return e.getMessage();
            }
            throw e;
        }
    }
}
