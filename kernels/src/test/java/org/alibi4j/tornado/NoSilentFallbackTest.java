package org.alibi4j.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.alibi4j.BackendStatus;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * A kernel that does not compile must fail, never run as plain Java on the host.
 *
 * <p>Public, as are its kernels: on the module path TornadoVM makes a kernel's method accessible by
 * reflection, which needs a public method of a public class in an exported package (see module-info.java).
 */
public class NoSilentFallbackTest {

    @BeforeAll
    static void needsTornadoVM() {
        assumeTrue(System.getenv("TORNADOVM_HOME") != null, "TORNADOVM_HOME is not set: no TornadoVM to test");
    }

    /** Builds a Java string per work-item: no OpenCL or PTX device can do that. */
    public static void formatsStrings(FloatArray out) {
        for (@Parallel int n = 0; n < out.getSize(); n++) {
            out.set(n, String.valueOf(n).length());
        }
    }

    @Test
    void aKernelThatDoesNotCompileThrowsAndWritesNothing() {
        FloatArray out = new FloatArray(16);
        out.init(-1f);
        TaskGraph graph = new TaskGraph("uncompilable")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, out)
                .task("strings", NoSilentFallbackTest::formatsStrings, out)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        // TornadoVM 5.2 reports this one as a TornadoInternalError, an Error: any throwable will do,
        // what matters is that nothing ran in its place
        assertThrows(Throwable.class, () -> {
            try (TornadoExecutionPlan plan = new TornadoExecutionPlan(graph.snapshot())) {
                plan.execute();
            }
        });
        assertEquals(-1f, out.get(3), "the plain-Java version did not run");
    }

    @Test
    void theBackendIsUnavailableWhileTheFallbackIsOn() {
        String before = System.getProperty(TornadoProviderSupport.BAILOUT_PROPERTY);
        try {
            System.setProperty(TornadoProviderSupport.BAILOUT_PROPERTY, "True");
            BackendStatus status = new TornadoBackendProvider().status();
            assertFalse(status.available());
            assertEquals("TornadoVM's sequential fallback is on: run with -Dtornado.recover.bailout=False", status.detail());
        } finally {
            System.setProperty(TornadoProviderSupport.BAILOUT_PROPERTY, before);
        }
    }
}
