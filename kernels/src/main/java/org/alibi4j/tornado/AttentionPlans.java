package org.alibi4j.tornado;

import org.alibi4j.attention.AttentionSpec;

import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The attention backend's compiled plans, one per shape ({@link CompiledPlans}, as the fused add keeps
 * its own): a repeated shape reuses its plan, which keeps its Q, K, V and output buffers on the device.
 */
final class AttentionPlans extends CompiledPlans<AttentionPlans.Key, AttentionPlans.Plan> {
    /** What a plan serves: {@code kind}, key/value heads {@code [first, end)} of {@code spec}, {@code i} queries over {@code rows} key rows. */
    record Key(String kind, AttentionSpec spec, int first, int end, int i, int rows) {
    }

    /**
     * A compiled plan and its buffers: dense {@code q} and {@code out}, head-major {@code k} and {@code v}
     * with {@code rows} rows per head, and {@code position} for a decode plan ({@code null} for prefill).
     */
    record Plan(TornadoExecutionPlan plan, FloatArray q, FloatArray k, FloatArray v, FloatArray out, IntArray position,
                int rows, long bytes) implements CompiledPlans.Kept {
    }

    AttentionPlans(long maxBytes) {
        super(maxBytes, "an attention plan's");
    }
}
