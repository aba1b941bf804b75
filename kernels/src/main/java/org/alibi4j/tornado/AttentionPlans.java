package org.alibi4j.tornado;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.alibi4j.attention.AttentionSpec;

import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The attention backend's compiled plans, one per shape, least recently used first out, as
 * {@link FusedAddPlans} keeps the fused add's: every new plan compiles its kernels (scalars are compiled
 * in), so a repeated shape reuses its plan and pays only the copies and the launch. The plans keep their
 * Q, K, V and output buffers on the device, at most {@code maxBytes} of them; a larger plan is freed after
 * its one call. Calls run one at a time (this object's lock), which is also how the device runs them.
 */
final class AttentionPlans {
    /** What a plan serves: {@code kind}, key/value heads {@code [first, end)} of {@code spec}, {@code i} queries over {@code rows} key rows. */
    record Key(String kind, AttentionSpec spec, int first, int end, int i, int rows) {
    }

    /**
     * A compiled plan and its buffers: dense {@code q} and {@code out}, head-major {@code k} and {@code v}
     * with {@code rows} rows per head, and {@code position} for a decode plan ({@code null} for prefill).
     */
    record Plan(TornadoExecutionPlan plan, FloatArray q, FloatArray k, FloatArray v, FloatArray out, IntArray position,
                int rows, long bytes) {
    }

    private final long maxBytes;
    private final Map<Key, Plan> plans = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;
    private long builds;

    AttentionPlans(long maxBytes) {
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

    /** Plans built so far: each one compiled its kernels. */
    synchronized long builds() {
        return builds;
    }

    /** Plans kept, with their device buffers. */
    synchronized int size() {
        return plans.size();
    }

    /** Frees every kept plan's device memory. */
    synchronized void clear() {
        plans.values().forEach(AttentionPlans::free);
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
            throw new IllegalStateException("TornadoVM could not free an attention plan's device memory: " + e.getMessage(), e);
        }
    }
}
