package org.alibi4j;

import static org.alibi4j.AlibiSlopesTest.message;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AlibiBackendsTest {

    @Test
    void theCpuBackendIsAlwaysFoundAndAvailable() {
        assertTrue(AlibiBackends.names().contains("cpu"), AlibiBackends.names().toString());
        BackendStatus cpu = AlibiBackends.statuses().stream().filter(s -> s.name().equals("cpu")).findFirst().orElseThrow();
        assertTrue(cpu.available());
        assertEquals(0, cpu.rank());
        try (AlibiBackend backend = AlibiBackends.open("cpu")) {
            assertEquals("cpu", backend.name());
        }
    }

    @Test
    void anUnknownNameListsTheKnownOnes() {
        assertEquals("unknown backend 'cuda'; known: " + String.join(", ", AlibiBackends.names()),
                message(() -> AlibiBackends.open("cuda")));
    }

    @Test
    void theSystemPropertyOverridesTheRanking() {
        String before = System.getProperty(AlibiBackends.PROPERTY);
        try {
            System.setProperty(AlibiBackends.PROPERTY, "nonesuch");
            assertTrue(message(AlibiBackends::open).startsWith("unknown backend 'nonesuch'"));
            System.setProperty(AlibiBackends.PROPERTY, "cpu");
            try (AlibiBackend backend = AlibiBackends.open()) {
                assertEquals("cpu", backend.name());
            }
        } finally {
            if (before == null) {
                System.clearProperty(AlibiBackends.PROPERTY);
            } else {
                System.setProperty(AlibiBackends.PROPERTY, before);
            }
        }
    }
}
