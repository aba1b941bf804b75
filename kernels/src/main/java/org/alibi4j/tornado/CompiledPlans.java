package org.alibi4j.tornado;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;

/**
 * Compiled plans kept per key, least recently used first out. Every new plan compiles its kernels
 * (TornadoVM compiles scalar arguments in, and a new plan compiles again even for a shape it has seen;
 * TornadoHostAddBenchmark measures the cost), so a repeated key reuses its plan and pays only the copies and
 * the launch. The plans keep their buffers on the device, at most {@code maxBytes} of them; a plan larger
 * than that runs once and is freed at once. One plan runs at a time (the methods share this object's
 * lock), which is also how the device runs them. {@link FusedAddPlans} and {@link AttentionPlans} are
 * the two kinds.
 *
 * @param <K> what a plan serves (a shape)
 * @param <P> a plan with its buffers
 */
class CompiledPlans<K, P extends CompiledPlans.Kept> {
    /** A compiled plan and the device memory its buffers take. */
    interface Kept {
        TornadoExecutionPlan plan();

        long bytes();
    }

    private final long maxBytes;
    private final String what;
    private final Map<K, P> plans = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;
    private long builds;

    /** {@code what} names the plans in an error message, e.g. {@code "a fused add's"}. */
    CompiledPlans(long maxBytes, String what) {
        this.maxBytes = maxBytes;
        this.what = what;
    }

    /** Runs {@code use} on the plan of {@code key}, built by {@code build} where none is kept. */
    synchronized void run(K key, Supplier<P> build, Consumer<P> use) {
        P plan = plans.get(key);
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
        plans.values().forEach(this::free);
        plans.clear();
        bytes = 0;
    }

    private void makeRoom(long needed) {
        Iterator<P> eldestFirst = plans.values().iterator();
        while (bytes + needed > maxBytes && eldestFirst.hasNext()) {
            P eldest = eldestFirst.next();
            eldestFirst.remove();
            bytes -= eldest.bytes();
            free(eldest);
        }
    }

    private void free(P plan) {
        try {
            plan.plan().close();
        } catch (TornadoExecutionPlanException e) {
            throw new IllegalStateException("TornadoVM could not free " + what + " device memory: " + e.getMessage(), e);
        }
    }
}
