package org.alibi4j.models;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.alibi4j.BackendStatus;
import org.alibi4j.attention.AttentionBackends;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.provider.Arguments;

/**
 * The models module's {@link TransformersAgreementTest} (every committed checkpoint against what transformers
 * computed: prompt logits, greedy tokens, decode steps, half caches) on the TornadoVM attention backends:
 * the fused attention and each layer's {@code KvCache} run on the device, the matrix products on the CPU.
 */
class TornadoModelAgreementTest extends TransformersAgreementTest {

    /** Hides the parent's: the TornadoVM backends only (the CPU's run in the models module). */
    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (BackendStatus backend : AttentionBackends.statuses()) {
            if (backend.name().startsWith("tornado")) {
                for (ModelFixtures fixture : ModelFixtures.all()) {
                    cases.add(Arguments.of(fixture, backend.name()));
                }
            }
        }
        return cases.stream();
    }

    @Test
    void theTornadoBackendsAreAvailable() {
        for (BackendStatus backend : AttentionBackends.statuses()) {
            if (backend.name().startsWith("tornado")) {
                assertTrue(backend.available(), backend.name() + " is not available: " + backend.detail());
            }
        }
        assertFalse(cases().findAny().isEmpty(), "no TornadoVM attention backend found");
    }
}
