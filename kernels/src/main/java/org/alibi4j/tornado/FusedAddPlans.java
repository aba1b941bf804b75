package org.alibi4j.tornado;

import org.alibi4j.BiasSpec;

import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The fused add's compiled plans, one per shape and head range ({@link CompiledPlans}): a repeated shape
 * reuses its plan, which keeps its score buffer on the device.
 */
final class FusedAddPlans extends CompiledPlans<FusedAddPlans.Key, FusedAddPlans.Plan> {
    /** What a plan serves: heads {@code [first, end)} of {@code spec}. */
    record Key(BiasSpec spec, int first, int end) {
    }

    /**
     * A compiled plan and the device-side scores it adds the bias to; {@code position} is the step a
     * decode-row plan reads on the device, {@code null} for a dense add.
     */
    record Plan(TornadoExecutionPlan plan, FloatArray scores, IntArray position) implements CompiledPlans.Kept {
        @Override
        public long bytes() {
            return (long) scores.getSize() * Float.BYTES;
        }
    }

    FusedAddPlans(long maxBytes) {
        super(maxBytes, "a fused add's");
    }
}
