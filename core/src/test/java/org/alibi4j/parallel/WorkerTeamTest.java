package org.alibi4j.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;

import org.junit.jupiter.api.Test;

class WorkerTeamTest {

    @Test
    void runsEveryPartOnceAndReturnsWhenAllAreDone() {
        try (WorkerTeam team = new WorkerTeam(3)) {
            for (int parts : new int[] {0, 1, 2, 3, 7, 100}) {
                for (int call = 0; call < 200; call++) { // back to back: workers awake, and after parking
                    AtomicIntegerArray runs = new AtomicIntegerArray(parts);
                    team.run(parts, runs::incrementAndGet);
                    for (int p = 0; p < parts; p++) {
                        assertEquals(1, runs.get(p), "part " + p + " of " + parts + ", call " + call);
                    }
                }
            }
        }
    }

    @Test
    void theCallerAndTheWorkersShareTheParts() throws InterruptedException {
        try (WorkerTeam team = new WorkerTeam(2)) {
            Set<Thread> ran = ConcurrentHashMap.newKeySet();
            CountDownLatch both = new CountDownLatch(2);
            // each part waits for the other: only two threads at once can finish the call
            team.run(2, p -> {
                ran.add(Thread.currentThread());
                arriveAndWait(both);
            });
            assertEquals(2, ran.size());
            assertTrue(ran.contains(Thread.currentThread()));
            assertTrue(ran.stream().filter(t -> t != Thread.currentThread()).allMatch(t -> t.getName().startsWith("alibi4j-worker-") && t.isDaemon()));
        }
    }

    @Test
    void aFailingPartIsRethrownAfterTheOthersRan() {
        try (WorkerTeam team = new WorkerTeam(2)) {
            AtomicIntegerArray runs = new AtomicIntegerArray(8);
            IllegalArgumentException thrown = new IllegalArgumentException("part 5");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> team.run(8, p -> {
                runs.incrementAndGet(p);
                if (p == 5) {
                    throw thrown;
                }
            }));
            assertSame(thrown, e);
            for (int p = 0; p < 8; p++) {
                assertEquals(1, runs.get(p), "part " + p);
            }
            AtomicIntegerArray after = new AtomicIntegerArray(4); // the team still works
            team.run(4, after::incrementAndGet);
            assertEquals("[1, 1, 1, 1]", after.toString());
        }
    }

    @Test
    void callsFromSeveralThreadsAndNestedCallsEachRunAllTheirParts() throws Exception {
        try (WorkerTeam team = new WorkerTeam(2); ExecutorService callers = Executors.newFixedThreadPool(4)) {
            List<Future<Boolean>> results = new java.util.ArrayList<>();
            for (int c = 0; c < 4; c++) {
                results.add(callers.submit(() -> {
                    for (int call = 0; call < 300; call++) {
                        AtomicIntegerArray runs = new AtomicIntegerArray(6);
                        team.run(6, p -> {
                            runs.incrementAndGet(p);
                            if (p == 0) {
                                AtomicIntegerArray inner = new AtomicIntegerArray(3); // a part that calls the team again
                                team.run(3, inner::incrementAndGet);
                                if (!inner.toString().equals("[1, 1, 1]")) {
                                    throw new AssertionError("nested call ran " + inner);
                                }
                            }
                        });
                        if (!runs.toString().equals("[1, 1, 1, 1, 1, 1]")) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> result : results) {
                assertTrue(result.get(60, TimeUnit.SECONDS));
            }
        }
    }

    @Test
    void closeStopsTheWorkersAndLaterCallsAreRefused() throws InterruptedException {
        WorkerTeam team = new WorkerTeam(3);
        Set<Thread> workers = ConcurrentHashMap.newKeySet();
        CountDownLatch all = new CountDownLatch(3);
        team.run(3, p -> {
            workers.add(Thread.currentThread());
            arriveAndWait(all); // so that every thread takes one part
        });
        workers.remove(Thread.currentThread());
        assertEquals(2, workers.size());
        team.close();
        for (Thread worker : workers) {
            assertFalse(worker.isAlive(), worker.getName() + " still runs after close()");
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> team.run(2, p -> { }));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        team.close(); // a second close does nothing
    }

    /** Counts this part in and waits for the others: only as many threads as parts at once can get past it. */
    private static void arriveAndWait(CountDownLatch parts) {
        parts.countDown();
        try {
            assertTrue(parts.await(10, TimeUnit.SECONDS), "the other parts never started");
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void badArgumentsAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new WorkerTeam(0));
        assertTrue(e.getMessage().contains("threads"), e.getMessage());
        try (WorkerTeam team = new WorkerTeam(1)) {
            assertEquals(1, team.threads());
            e = assertThrows(IllegalArgumentException.class, () -> team.run(-1, p -> { }));
            assertTrue(e.getMessage().contains("parts"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> team.run(2, null));
            assertTrue(e.getMessage().contains("part"), e.getMessage());
        }
    }
}
