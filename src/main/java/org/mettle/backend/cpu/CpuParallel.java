package org.mettle.backend.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;

/**
 * The CPU backend's thread pool. Threads default to all cores; override with
 * {@code -Dmettle.threads=N} or the {@code METTLE_THREADS} environment variable.
 */
public final class CpuParallel {
    private static final int THREADS = configuredThreads();
    private static final ForkJoinPool POOL = THREADS > 1 ? new ForkJoinPool(THREADS) : null;

    private CpuParallel() {}

    /** A body over a half-open range [from, to). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    public static int threads() {
        return THREADS;
    }

    /**
     * Runs body over [0, n) split into chunks of at least {@code grain} items, one chunk per task.
     * Runs inline when the work is small, when there is one thread, or when already inside the pool
     * (nested parallelism would only add overhead).
     */
    public static void parallelFor(int n, int grain, RangeBody body) {
        if (n <= 0) {
            return;
        }
        int g = Math.max(1, grain);
        if (POOL == null || n <= g || inPool()) {
            body.run(0, n);
            return;
        }
        int maxChunks = THREADS * 4;
        int chunks = (int) Math.min(maxChunks, (n + (long) g - 1) / g);
        POOL.invoke(new Chunk(body, 0, chunks, n, chunks));
    }

    private static boolean inPool() {
        return Thread.currentThread() instanceof java.util.concurrent.ForkJoinWorkerThread w && w.getPool() == POOL;
    }

    private static final class Chunk extends RecursiveAction {
        private final RangeBody body;
        private final int lo;
        private final int hi;
        private final int n;
        private final int chunks;

        Chunk(RangeBody body, int lo, int hi, int n, int chunks) {
            this.body = body;
            this.lo = lo;
            this.hi = hi;
            this.n = n;
            this.chunks = chunks;
        }

        @Override
        protected void compute() {
            if (hi - lo == 1) {
                int from = (int) ((long) n * lo / chunks);
                int to = (int) ((long) n * (lo + 1) / chunks);
                body.run(from, to);
                return;
            }
            int mid = (lo + hi) >>> 1;
            invokeAll(new Chunk(body, lo, mid, n, chunks), new Chunk(body, mid, hi, n, chunks));
        }
    }

    private static int configuredThreads() {
        String p = System.getProperty("mettle.threads");
        if (p == null) {
            p = System.getenv("METTLE_THREADS");
        }
        if (p != null && !p.isBlank()) {
            try {
                int t = Integer.parseInt(p.trim());
                if (t >= 1) {
                    return t;
                }
            } catch (NumberFormatException ignored) {
                // fall through to the default; the value is reported by `mettle --version`
            }
            System.err.println("mettle: ignoring thread count '" + p + "' (expected a positive integer)");
        }
        return Runtime.getRuntime().availableProcessors();
    }
}
