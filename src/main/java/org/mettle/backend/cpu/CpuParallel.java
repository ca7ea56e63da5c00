package org.mettle.backend.cpu;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The CPU backend's thread pool. Threads default to all cores; override with {@code -Dmettle.threads=N} or the
 * {@code METTLE_THREADS} environment variable.
 *
 * <p>The calling thread runs chunks itself next to {@code threads() - 1} workers, which claim chunks from a shared
 * counter (so a worker that the OS deschedules only delays the chunk it holds). A ViT-B forward has about 200
 * parallel loops of 0.1 - 5 ms each, and waking a parked thread costs 0.05 - 3 ms on a virtual machine, so between
 * loops workers poll for the next one for a while ({@code -Dmettle.spinMicros}, {@code METTLE_SPIN_MICROS}; 0 parks
 * at once) before they park, yielding the core to any other runnable thread while they poll.
 */
public final class CpuParallel {
    private static final int THREADS = configuredThreads();
    private static final long SPIN_NANOS = configuredSpinMicros() * 1000L;
    private static final Pool POOL = THREADS > 1 ? new Pool(THREADS - 1) : null;

    private CpuParallel() {}

    /** A body over a half-open range [from, to). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    public static int threads() {
        return THREADS;
    }

    /** How long an idle worker polls for the next loop before parking, in microseconds. */
    public static long spinMicros() {
        return SPIN_NANOS / 1000L;
    }

    /**
     * Runs body over [0, n) split into chunks of at least {@code grain} items. Runs inline when the work is small,
     * when there is one thread, when called from inside a loop (nested parallelism would only add overhead), or
     * when another thread's loop holds the pool (callers never wait for each other).
     */
    public static void parallelFor(int n, int grain, RangeBody body) {
        if (n <= 0) {
            return;
        }
        int g = Math.max(1, grain);
        if (POOL == null || n <= g || Pool.INSIDE.get()[0]) {
            body.run(0, n);
            return;
        }
        int chunks = (int) Math.min(THREADS * 4L, (n + (long) g - 1) / g);
        if (!POOL.run(body, n, chunks)) {
            body.run(0, n);
        }
    }

    /** One loop: chunks claimed from {@code next}, counted in {@code done}; the first error is kept. */
    private static final class Job {
        final RangeBody body;
        final int n;
        final int chunks;
        final long sequence;
        final Thread caller;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        volatile Throwable error;
        volatile boolean callerParked;

        Job(RangeBody body, int n, int chunks, long sequence, Thread caller) {
            this.body = body;
            this.n = n;
            this.chunks = chunks;
            this.sequence = sequence;
            this.caller = caller;
        }

        /** Claims and runs chunks until none is left; after an error the remaining chunks are only counted. */
        void work() {
            int c;
            while ((c = next.getAndIncrement()) < chunks) {
                try {
                    if (error == null) {
                        body.run((int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks));
                    }
                } catch (Throwable t) {
                    if (error == null) {
                        error = t;
                    }
                } finally {
                    if (done.incrementAndGet() == chunks && callerParked) {
                        LockSupport.unpark(caller);
                    }
                }
            }
        }
    }

    private static final class Pool {
        /** Whether this thread is running chunks (worker, or a caller inside its own loop). */
        static final ThreadLocal<boolean[]> INSIDE = ThreadLocal.withInitial(() -> new boolean[1]);

        private final Worker[] workers;
        private final AtomicBoolean busy = new AtomicBoolean();
        private volatile Job current;
        private long sequence;

        Pool(int workerCount) {
            workers = new Worker[workerCount];
            for (int i = 0; i < workerCount; i++) {
                workers[i] = new Worker(this, i);
                workers[i].start();
            }
        }

        /** Runs the loop with the workers; false when another thread's loop holds the pool. */
        boolean run(RangeBody body, int n, int chunks) {
            if (!busy.compareAndSet(false, true)) {
                return false;
            }
            boolean[] inside = INSIDE.get();
            Job job = new Job(body, n, chunks, ++sequence, Thread.currentThread());
            try {
                current = job;
                for (Worker w : workers) {
                    if (w.parked) {
                        LockSupport.unpark(w);
                    }
                }
                inside[0] = true;
                job.work();
                inside[0] = false;
                awaitOthers(job);
            } finally {
                inside[0] = false;
                current = null; // drop the body (and what it captures) before the next loop
                busy.set(false);
            }
            Throwable error = job.error;
            if (error instanceof RuntimeException e) {
                throw e;
            }
            if (error instanceof Error e) {
                throw e;
            }
            if (error != null) {
                throw new IllegalStateException("a parallel loop failed: " + error, error);
            }
            return true;
        }

        /** Waits for chunks still running on workers: polls briefly, then parks until the last one finishes. */
        private static void awaitOthers(Job job) {
            long start = System.nanoTime();
            boolean interrupted = false;
            while (job.done.get() < job.chunks) {
                if (System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                    continue;
                }
                job.callerParked = true;
                if (job.done.get() < job.chunks) {
                    LockSupport.park(job);
                }
                if (Thread.interrupted()) {
                    interrupted = true; // finish the loop first: its chunks write into the caller's tensors
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static final class Worker extends Thread {
        private final Pool pool;
        volatile boolean parked;

        Worker(Pool pool, int index) {
            super("mettle-cpu-" + (index + 1));
            this.pool = pool;
            setDaemon(true);
        }

        @Override
        public void run() {
            Pool.INSIDE.get()[0] = true;
            long lastSequence = 0;
            while (true) {
                lastSequence = runNext(lastSequence);
            }
        }

        /** Runs the next loop's chunks; its job (and the body's captures) is unreachable from here once this returns. */
        private long runNext(long lastSequence) {
            Job job = awaitJob(lastSequence);
            job.work();
            return job.sequence;
        }

        /** Polls for a loop newer than the last one seen (yielding now and then), then parks until one arrives. */
        private Job awaitJob(long lastSequence) {
            long start = System.nanoTime();
            int polls = 0;
            while (true) {
                Job job = pool.current;
                if (job != null && job.sequence != lastSequence) {
                    return job;
                }
                if (System.nanoTime() - start < SPIN_NANOS) {
                    if ((++polls & 255) == 0) {
                        Thread.yield();
                    } else {
                        Thread.onSpinWait();
                    }
                    continue;
                }
                parked = true;
                job = pool.current;
                if (job == null || job.sequence == lastSequence) {
                    LockSupport.park(this);
                }
                parked = false;
                Thread.interrupted(); // workers are never interrupted on purpose; a stray interrupt must not spin
                start = System.nanoTime();
            }
        }
    }

    private static int configuredThreads() {
        int t = positiveSetting("mettle.threads", "METTLE_THREADS", 1);
        return t > 0 ? t : Runtime.getRuntime().availableProcessors();
    }

    private static long configuredSpinMicros() {
        int us = positiveSetting("mettle.spinMicros", "METTLE_SPIN_MICROS", 0);
        return us >= 0 ? us : 1000;
    }

    /** A system property or environment variable >= min; -1 when unset or invalid (after a warning). */
    private static int positiveSetting(String property, String env, int min) {
        String p = System.getProperty(property);
        if (p == null) {
            p = System.getenv(env);
        }
        if (p == null || p.isBlank()) {
            return -1;
        }
        try {
            int v = Integer.parseInt(p.trim());
            if (v >= min) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // fall through to the warning
        }
        System.err.println("mettle: ignoring " + property + " / " + env + " = '" + p + "' (expected an integer >= " + min
                + "); using the default");
        return -1;
    }
}
