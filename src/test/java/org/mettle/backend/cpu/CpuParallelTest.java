package org.mettle.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/** The CPU pool: every index exactly once, nested loops inline, errors rethrown, several calling threads, interrupts kept. */
class CpuParallelTest {
    @Test
    void everyIndexRunsExactlyOnceAcrossManyLoops() {
        for (int round = 0; round < 2000; round++) {
            int n = 1 + round % 97;
            AtomicIntegerArray hits = new AtomicIntegerArray(n);
            CpuParallel.parallelFor(n, 1 + round % 3, (from, to) -> {
                for (int i = from; i < to; i++) {
                    hits.incrementAndGet(i);
                }
            });
            for (int i = 0; i < n; i++) {
                assertEquals(1, hits.get(i), "round " + round + ", index " + i + " of " + n);
            }
        }
    }

    @Test
    void nestedLoopsRunInlineAndComplete() {
        AtomicIntegerArray hits = new AtomicIntegerArray(64 * 16);
        CpuParallel.parallelFor(64, 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                int row = i;
                CpuParallel.parallelFor(16, 1, (a, b) -> {
                    for (int j = a; j < b; j++) {
                        hits.incrementAndGet(row * 16 + j);
                    }
                });
            }
        });
        for (int i = 0; i < hits.length(); i++) {
            assertEquals(1, hits.get(i), "index " + i);
        }
    }

    @Test
    void theFirstErrorOfAChunkIsRethrownAndThePoolStaysUsable() {
        IllegalArgumentException boom = new IllegalArgumentException("chunk 3 failed");
        IllegalArgumentException thrown = assertThrows(IllegalArgumentException.class,
                () -> CpuParallel.parallelFor(100, 1, (from, to) -> {
                    if (from <= 30 && 30 < to) {
                        throw boom;
                    }
                }));
        // the pool may rethrow a copy made in the calling thread, with the original as its cause
        assertTrue(thrown == boom || thrown.getCause() == boom, "rethrew " + thrown);
        AtomicIntegerArray hits = new AtomicIntegerArray(10);
        CpuParallel.parallelFor(10, 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                hits.incrementAndGet(i);
            }
        });
        for (int i = 0; i < 10; i++) {
            assertEquals(1, hits.get(i));
        }
    }

    @Test
    void loopsFromSeveralCallingThreadsAllComplete() throws InterruptedException {
        int callers = 3;
        AtomicIntegerArray sums = new AtomicIntegerArray(callers);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread[] threads = new Thread[callers];
        for (int t = 0; t < callers; t++) {
            int id = t;
            threads[t] = new Thread(() -> {
                try {
                    for (int round = 0; round < 300; round++) {
                        CpuParallel.parallelFor(50, 1, (from, to) -> sums.addAndGet(id, to - from));
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join(60_000);
        }
        assertEquals(null, failure.get());
        for (int t = 0; t < callers; t++) {
            assertEquals(300 * 50, sums.get(t), "caller " + t);
        }
        assertTrue(CpuParallel.threads() >= 1);
    }

    @Test
    void anInterruptedCallerFinishesTheLoopAndKeepsItsInterrupt() {
        AtomicIntegerArray hits = new AtomicIntegerArray(64);
        Thread.currentThread().interrupt();
        try {
            CpuParallel.parallelFor(64, 1, (from, to) -> {
                for (int i = from; i < to; i++) {
                    LockSupport.parkNanos(20_000); // long enough that the caller waits for a worker's chunk
                    hits.incrementAndGet(i);
                }
            });
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status must survive the loop");
        } finally {
            Thread.interrupted();
        }
        for (int i = 0; i < 64; i++) {
            assertEquals(1, hits.get(i), "index " + i);
        }
    }

    @Test
    void errorsThatAreNotRuntimeExceptionsComeBackAsThemselves() {
        AssertionError boom = new AssertionError("worker chunk failed");
        AssertionError thrown = assertThrows(AssertionError.class,
                () -> CpuParallel.parallelFor(8, 1, (from, to) -> {
                    if (from == 0) {
                        throw boom;
                    }
                }));
        assertTrue(thrown == boom, "rethrew " + thrown);
    }
}
