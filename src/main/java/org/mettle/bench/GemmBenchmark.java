package org.mettle.bench;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import org.mettle.backend.cpu.CpuParallel;
import org.mettle.backend.cpu.Gemm;
import org.mettle.backend.cpu.GemmKernel;

/**
 * Times the CPU sgemm (C = A * B, row-major, no transposes, beta = 0) with {@link Gemm#kernel()}: median and best
 * of {@code iters} timed calls after {@code warmup} untimed ones, continued for at least 1.5 s so that the JIT
 * has compiled the kernels (warmup = 0 skips warm-up entirely).
 */
public final class GemmBenchmark {
    /** Warm-up time when warmup > 0 (see {@link #time}). */
    private static final long MIN_WARMUP_NS = 1_500_000_000L;

    private GemmBenchmark() {}

    /** One measurement; {@code ms} is the median, gflops = 2mnk / median. */
    public record Result(int m, int n, int k, double ms, double minMs, double gflops, int threads, String path) {
        public String toJson() {
            return String.format(Locale.ROOT,
                    "{\"op\":\"gemm\",\"m\":%d,\"n\":%d,\"k\":%d,\"ms\":%.4f,\"min_ms\":%.4f,\"gflops\":%.2f,"
                            + "\"threads\":%d,\"path\":\"%s\"}",
                    m, n, k, ms, minMs, gflops, threads, path);
        }
    }

    /** A batched measurement: {@code batch} independent m x k by k x n products per call. */
    public record BatchedResult(int batch, int m, int n, int k, double ms, double minMs, double gflops, int threads,
                                String path) {
        public String toJson() {
            return String.format(Locale.ROOT,
                    "{\"op\":\"gemm_batched\",\"batch\":%d,\"m\":%d,\"n\":%d,\"k\":%d,\"ms\":%.4f,\"min_ms\":%.4f,"
                            + "\"gflops\":%.2f,\"threads\":%d,\"path\":\"%s\"}",
                    batch, m, n, k, ms, minMs, gflops, threads, path);
        }
    }

    public static Result run(int m, int n, int k, int warmup, int iters) {
        checkArgs(1, m, n, k, warmup, iters);
        GemmKernel kernel = Gemm.kernel();
        float[] a = random(m * k, 1);
        float[] b = random(k * n, 2);
        float[] c = new float[m * n];
        double[] times = time(warmup, iters,
                () -> kernel.sgemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n));
        double median = median(times);
        return new Result(m, n, k, median, times[0], 2.0 * m * n * k / (median * 1e6), CpuParallel.threads(),
                kernel.path());
    }

    public static BatchedResult runBatched(int batch, int m, int n, int k, int warmup, int iters) {
        checkArgs(batch, m, n, k, warmup, iters);
        GemmKernel kernel = Gemm.kernel();
        float[] a = random(batch * m * k, 1);
        float[] b = random(batch * k * n, 2);
        float[] c = new float[batch * m * n];
        double[] times = time(warmup, iters, () -> kernel.sgemmBatched(batch, false, false, m, n, k, 1f,
                a, 0, k, m * k, b, 0, n, k * n, 0f, c, 0, n, m * n));
        double median = median(times);
        return new BatchedResult(batch, m, n, k, median, times[0], 2.0 * batch * m * n * k / (median * 1e6),
                CpuParallel.threads(), kernel.path());
    }

    /**
     * {@code GemmBenchmark [m n k [warmup [iters]]]} prints one JSON line (default 1024^3, 5 warm-up, 20 timed);
     * {@code GemmBenchmark batched batch m n k [warmup [iters]]} times the batched call.
     */
    public static void main(String[] args) {
        try {
            if (args.length > 0 && args[0].equals("batched")) {
                int[] v = ints(args, 1, 4, new int[] {1000, 64, 64, 32, 5, 20});
                System.out.println(runBatched(v[0], v[1], v[2], v[3], v[4], v[5]).toJson());
            } else {
                int[] v = ints(args, 0, 3, new int[] {1024, 1024, 1024, 5, 20});
                System.out.println(run(v[0], v[1], v[2], v[3], v[4]).toJson());
            }
        } catch (IllegalArgumentException e) {
            System.err.println("gemm benchmark: " + e.getMessage());
            System.err.println("usage: GemmBenchmark [m n k [warmup [iters]]] | batched [batch m n k [warmup [iters]]]");
            System.exit(2);
        }
    }

    private static int[] ints(String[] args, int from, int sizes, int[] defaults) {
        int[] v = defaults.clone();
        int given = args.length - from;
        if (given != 0 && given < sizes) {
            throw new IllegalArgumentException("expected all " + sizes + " sizes, got " + given + " values");
        }
        for (int i = 0; i < Math.min(given, v.length); i++) {
            try {
                v[i] = Integer.parseInt(args[from + i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not an integer: '" + args[from + i] + "'");
            }
        }
        return v;
    }

    private static void checkArgs(int batch, int m, int n, int k, int warmup, int iters) {
        if (batch < 1 || m < 1 || n < 1 || k < 1 || warmup < 0 || iters < 1) {
            throw new IllegalArgumentException(String.format(
                    "need batch, m, n, k, iters >= 1 and warmup >= 0; got batch=%d m=%d n=%d k=%d warmup=%d iters=%d",
                    batch, m, n, k, warmup, iters));
        }
        if ((long) batch * Math.max((long) m * k, Math.max((long) k * n, (long) m * n)) > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("operands too large for one Java array: batch=" + batch
                    + " m=" + m + " n=" + n + " k=" + k);
        }
    }

    /**
     * Sorted wall times in milliseconds of {@code iters} calls after at least {@code warmup} untimed calls and at
     * least {@link #MIN_WARMUP_NS} of warm-up: C2 takes a good part of a second to compile the Vector API
     * kernels, so a count alone would time interpreted code at small sizes.
     */
    private static double[] time(int warmup, int iters, Runnable call) {
        long start = System.nanoTime();
        for (int i = 0; i < warmup || (warmup > 0 && System.nanoTime() - start < MIN_WARMUP_NS); i++) {
            call.run();
        }
        double[] ms = new double[iters];
        for (int i = 0; i < iters; i++) {
            long t0 = System.nanoTime();
            call.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        return ms;
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    }

    private static float[] random(int size, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[size];
        for (int i = 0; i < size; i++) {
            x[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return x;
    }
}
