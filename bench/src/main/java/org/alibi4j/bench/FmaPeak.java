package org.alibi4j.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The FMA-peak probe: each of {@code threads} threads runs {@value #ACCUMULATORS} independent chains of
 * Vector API fused multiply-adds ({@code a = a * m + c}) on registers at the preferred species width,
 * with no loads and no stores in the loop. Twelve chains hide the FMA latency (4 cycles, 2 ports on
 * current x86 cores need 8 in flight), so the probe runs at the rate the FMA units allow: the machine's
 * FMA peak for that many threads. Nothing a kernel with loads does can beat it.
 *
 * <p>Every call does the same FLOPs whatever the vector width, {@link #flopsPerCall(int)}: 2 per lane per
 * FMA, {@code 3 * 2^32} per thread (0.1 to 0.3 s per call on one current core), in calls of
 * {@value #STEPS_PER_CALL} loop trips. Loaded only in a JVM with
 * {@code --add-modules jdk.incubator.vector}.
 */
final class FmaPeak implements AutoCloseable {
    static final int ACCUMULATORS = 12;
    static final long FLOPS_PER_THREAD = 3L << 32;

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    /**
     * Loop trips of one {@link #chains} call. Each thread calls it many times rather than once: a single
     * long loop would be compiled on stack replacement, where C2 keeps vectors boxed (15 s a call here
     * instead of 0.1 s).
     */
    static final int STEPS_PER_CALL = 1 << 10;
    /** Calls per thread: each trip does ACCUMULATORS FMAs of SPECIES.length() lanes, 2 FLOPs a lane. */
    private static final int CALLS = (int) (FLOPS_PER_THREAD / (2L * ACCUMULATORS * SPECIES.length() * STEPS_PER_CALL));

    private final int threads;
    private final ForkJoinPool pool;

    FmaPeak(int threads) {
        this.threads = threads;
        this.pool = new ForkJoinPool(threads);
    }

    /**
     * The FLOPs of one {@link #run()} with {@code threads} threads. (The report, in a JVM without the
     * module, reads the constant {@link #FLOPS_PER_THREAD} instead: calling this would load the class.)
     */
    static double flopsPerCall(int threads) {
        return (double) FLOPS_PER_THREAD * threads;
    }

    /** One call: every thread runs its chains; returns the sum of the accumulators so that none is dead. */
    float run() {
        List<ForkJoinTask<Float>> parts = new ArrayList<>(threads);
        for (int t = 0; t < threads; t++) {
            float seed = t + 1;
            parts.add(pool.submit(() -> {
                float total = 0;
                for (int call = 0; call < CALLS; call++) {
                    total += chains(seed, STEPS_PER_CALL);
                }
                return total;
            }));
        }
        float sum = 0;
        for (ForkJoinTask<Float> part : parts) {
            sum += part.join();
        }
        return sum;
    }

    /**
     * {@code ACCUMULATORS} chains of {@code a = a * m + c}: with {@code m} just below 1 and {@code c} small
     * the values stay normal (no overflow, no subnormals), and no step can be folded or hoisted.
     */
    static float chains(float seed, int steps) {
        FloatVector m = FloatVector.broadcast(SPECIES, 0.9999999f);
        FloatVector c = FloatVector.broadcast(SPECIES, 1e-7f);
        FloatVector a0 = FloatVector.broadcast(SPECIES, seed), a1 = a0.add(1), a2 = a0.add(2), a3 = a0.add(3);
        FloatVector a4 = a0.add(4), a5 = a0.add(5), a6 = a0.add(6), a7 = a0.add(7);
        FloatVector a8 = a0.add(8), a9 = a0.add(9), a10 = a0.add(10), a11 = a0.add(11);
        for (int s = 0; s < steps; s++) {
            a0 = a0.fma(m, c);
            a1 = a1.fma(m, c);
            a2 = a2.fma(m, c);
            a3 = a3.fma(m, c);
            a4 = a4.fma(m, c);
            a5 = a5.fma(m, c);
            a6 = a6.fma(m, c);
            a7 = a7.fma(m, c);
            a8 = a8.fma(m, c);
            a9 = a9.fma(m, c);
            a10 = a10.fma(m, c);
            a11 = a11.fma(m, c);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11).reduceLanes(
                jdk.incubator.vector.VectorOperators.ADD);
    }

    @Override
    public void close() {
        pool.close();
    }
}
