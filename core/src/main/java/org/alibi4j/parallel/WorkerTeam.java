package org.alibi4j.parallel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * A fixed team of threads for short parallel calls that come one after another, as a decode step's matrix
 * products and attention passes do (hundreds a step, each tens to hundreds of microseconds). The caller is
 * one of the team: {@link #run} runs parts on it and on {@code threads - 1} workers, and returns when all
 * are done.
 *
 * <p>Why not a {@link java.util.concurrent.ForkJoinPool}: its idle workers park at once, and waking a parked
 * thread took about 50 microseconds on a virtual machine (a submit and join of an empty task, measured:
 * bench/models/RESULTS.md), as long as a small product itself. A worker here spins for
 * {@value #SPIN_NANOS} ns after its last part before it parks, so that within a step the next call finds it
 * awake. The price is a processor kept busy for that long after a burst of calls.
 *
 * <p>Thread-safe. One call runs on the team at a time; a call that finds the team busy (another thread's
 * call, or a part calling {@link #run} again) runs all its parts on its own thread, in order. A part is
 * always the same work whichever thread runs it, so results do not depend on who ran what.
 * {@link #close()} stops the workers.
 */
public final class WorkerTeam implements AutoCloseable {
    /** How long an idle worker spins before it parks: longer than the gaps within a decode step. */
    static final long SPIN_NANOS = 1_000_000;
    private static final AtomicInteger NAMES = new AtomicInteger();

    private final int threads;
    private final Worker[] workers;
    private final ReentrantLock busy = new ReentrantLock();
    /** The call the workers join; replaced, never reused, so that a late worker finds its parts all taken. */
    private volatile Call current = Call.DONE;
    private volatile long generation;
    private volatile boolean closed;

    /**
     * @param threads the threads a call runs on, at least 1: the caller's and {@code threads - 1} workers
     *                (daemon threads named {@code alibi4j-worker-N})
     */
    public WorkerTeam(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1 (was " + threads + ")");
        }
        this.threads = threads;
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker();
            Thread thread = Thread.ofPlatform().daemon().name("alibi4j-worker-" + NAMES.incrementAndGet()).unstarted(workers[i]);
            workers[i].thread = thread;
            thread.start();
        }
    }

    /** The threads a call runs on, the caller's included. */
    public int threads() {
        return threads;
    }

    /**
     * Runs {@code part.accept(p)} for every {@code p < parts}, each once, on the caller's thread and the
     * workers, and returns when all have returned. If parts throw, the others still run and the first
     * failure is rethrown.
     *
     * @throws IllegalArgumentException if {@code parts < 0} or {@code part} is null
     * @throws IllegalStateException    after {@link #close()}
     */
    public void run(int parts, IntConsumer part) {
        if (parts < 0) {
            throw new IllegalArgumentException("parts must be >= 0 (was " + parts + ")");
        }
        if (part == null) {
            throw new IllegalArgumentException("part must not be null");
        }
        if (closed) {
            throw new IllegalStateException("this worker team is closed");
        }
        if (parts <= 1 || workers.length == 0 || busy.isHeldByCurrentThread() || !busy.tryLock()) {
            Call alone = new Call(part, parts);
            alone.runParts();
            alone.rethrow();
            return;
        }
        try {
            Call call = new Call(part, parts);
            current = call;
            generation++; // after current: a worker that sees the new generation sees the new call
            for (Worker worker : workers) {
                if (worker.parked) {
                    LockSupport.unpark(worker.thread);
                }
            }
            call.runParts();
            call.awaitParts();
            call.rethrow();
        } finally {
            busy.unlock();
        }
    }

    /**
     * Stops the workers and waits for them to end (each first finishes a part it is running); later calls
     * of {@link #run} throw. Closing again does nothing.
     */
    @Override
    public void close() {
        closed = true;
        boolean interrupted = false;
        for (Worker worker : workers) {
            LockSupport.unpark(worker.thread);
        }
        for (Worker worker : workers) {
            while (worker.thread != Thread.currentThread() && worker.thread.isAlive()) {
                try {
                    worker.thread.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "WorkerTeam[" + threads + (threads == 1 ? " thread" : " threads") + (closed ? ", closed" : "") + "]";
    }

    /** One call's parts, taken one at a time by whichever thread comes. */
    private static final class Call {
        static final Call DONE = new Call(p -> { }, 0);

        private final IntConsumer part;
        private final int parts;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger unfinished;
        private volatile Throwable failure;

        Call(IntConsumer part, int parts) {
            this.part = part;
            this.parts = parts;
            this.unfinished = new AtomicInteger(parts);
        }

        void runParts() {
            for (int p = next.getAndIncrement(); p < parts; p = next.getAndIncrement()) {
                try {
                    part.accept(p);
                } catch (Throwable t) {
                    if (failure == null) {
                        failure = t;
                    }
                } finally {
                    unfinished.decrementAndGet();
                }
            }
        }

        /** Spins until the parts other threads took are done: they are running, and end within the call's time. */
        void awaitParts() {
            while (unfinished.get() > 0) {
                Thread.onSpinWait();
            }
        }

        void rethrow() {
            Throwable t = failure;
            if (t instanceof RuntimeException e) {
                throw e;
            }
            if (t instanceof Error e) {
                throw e;
            }
            if (t != null) {
                throw new IllegalStateException(t);
            }
        }
    }

    private final class Worker implements Runnable {
        Thread thread;
        volatile boolean parked;

        @Override
        public void run() {
            long seen = 0;
            while (true) {
                long now = generation;
                if (now != seen) {
                    seen = now;
                    current.runParts();
                    continue;
                }
                if (closed) {
                    return;
                }
                if (!spin(seen)) {
                    parked = true;
                    if (generation == seen && !closed) { // checked after parked is set: run() unparks or we see its call
                        LockSupport.park(this);
                    }
                    parked = false;
                }
            }
        }

        /** Spins until a new call comes (true) or {@link #SPIN_NANOS} pass (false). */
        private boolean spin(long seen) {
            long until = System.nanoTime() + SPIN_NANOS;
            while (generation == seen && !closed) {
                if (System.nanoTime() - until > 0) {
                    return false;
                }
                Thread.onSpinWait();
            }
            return true;
        }
    }
}
