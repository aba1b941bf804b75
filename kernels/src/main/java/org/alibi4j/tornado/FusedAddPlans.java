package org.alibi4j.tornado;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.alibi4j.BiasSpec;

import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The fused add's compiled plans, one per shape and head range, least recently used first out. Every new
 * plan compiles its kernel (TornadoVM compiles scalar arguments in, and a new plan compiles again even for
 * a shape it has seen: 60 to 90 ms on PoCL), so a repeated shape reuses its plan and pays only the copies
 * and the launch. The plans keep their score buffers on the device, at most {@code maxBytes} of them; a
 * shape larger than that runs on a plan that is freed at once. One fused add runs at a time (the methods
 * share this object's lock), which is also how the device runs them.
 */
final class FusedAddPlans {
    /** What a plan serves: heads {@code [first, end)} of {@code spec}. */
    record Key(BiasSpec spec, int first, int end) {
    }

    /**
     * A compiled plan and the device-side scores it adds the bias to; {@code position} is the step a
     * decode-row plan reads on the device, {@code null} for a dense add.
     */
    record Plan(TornadoExecutionPlan plan, FloatArray scores, IntArray position) {
        long bytes() {
            return (long) scores.getSize() * Float.BYTES;
        }
    }

    private final long maxBytes;
    private final Map<Key, Plan> plans = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;
    private long builds;

    FusedAddPlans(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** Runs {@code use} on the plan of {@code key}, built by {@code build} where none is kept. */
    synchronized void run(Key key, Supplier<Plan> build, Consumer<Plan> use) {
        Plan plan = plans.get(key);
        if (plan == null) {
            plan = build.get();
            builds++;
            if (plan.bytes() > maxBytes) {
                try {
                    use.accept(plan);
                } finally {
                    free(plan);
                }
                return;
            }
            makeRoom(plan.bytes());
            plans.put(key, plan);
            bytes += plan.bytes();
        }
        try {
            use.accept(plan);
        } catch (RuntimeException | Error e) { // a plan that failed is not trusted again
            plans.remove(key);
            bytes -= plan.bytes();
            free(plan);
            throw e;
        }
    }

    /** Plans built so far: each one compiled its kernel. */
    synchronized long builds() {
        return builds;
    }

    /** Plans kept, with their device buffers. */
    synchronized int size() {
        return plans.size();
    }

    /** Frees every kept plan's device memory. */
    synchronized void clear() {
        plans.values().forEach(FusedAddPlans::free);
        plans.clear();
        bytes = 0;
    }

    private void makeRoom(long needed) {
        Iterator<Plan> eldestFirst = plans.values().iterator();
        while (bytes + needed > maxBytes && eldestFirst.hasNext()) {
            Plan eldest = eldestFirst.next();
            eldestFirst.remove();
            bytes -= eldest.bytes();
            free(eldest);
        }
    }

    private static void free(Plan plan) {
        try {
            plan.plan().close();
        } catch (TornadoExecutionPlanException e) {
            throw new IllegalStateException("TornadoVM could not free a fused add's device memory: " + e.getMessage(), e);
        }
    }
}
