package org.mettle.bench;

import org.mettle.backend.AttentionLayout;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import org.mettle.backend.cpu.CpuAttention;
import org.mettle.backend.cpu.CpuParallel;

/**
 * Times the CPU fused attention kernels. Not a test: prints numbers. FLOP counts follow the usual convention:
 * forward 4*B*H*Nq*Nk*D (two products), full backward 10*B*H*Nq*Nk*D (2.5x forward: S recomputed, dP, dV, dK, dQ),
 * query-only backward 6*B*H*Nq*Nk*D (S, dP, dQ).
 */
public final class AttentionBenchmark {
    private AttentionBenchmark() {}

    /** One measurement; ms is the median over iterations. */
    public record Result(String op, int batch, int heads, int tokens, int keys, int headDim, double ms, double minMs,
                         double gflops, int threads, String path) {
        /** One line of JSON. */
        public String toJson() {
            return String.format(Locale.ROOT,
                    "{\"op\":\"%s\",\"batch\":%d,\"heads\":%d,\"tokens\":%d,\"keys\":%d,\"head_dim\":%d,"
                            + "\"ms\":%.4f,\"min_ms\":%.4f,\"gflops\":%.3f,\"threads\":%d,\"path\":\"%s\"}",
                    op, batch, heads, tokens, keys, headDim, ms, minMs, gflops, threads, path);
        }
    }

    /** Self-attention forward (Nq = Nk = tokens). */
    public static Result run(int batch, int heads, int tokens, int headDim, int warmup, int iters) {
        return run("forward", batch, heads, tokens, tokens, headDim, warmup, iters);
    }

    /**
     * op is "forward", "backward" (dq, dk, dv) or "backward_query" (dq only, as LCD uses). queries/keys may differ
     * (LCD: 4 queries over thousands of keys).
     */
    public static Result run(String op, int batch, int heads, int queries, int keys, int headDim, int warmup,
                             int iters) {
        if (warmup < 0 || iters < 1) {
            throw new IllegalArgumentException("warmup must be >= 0 and iters >= 1, got " + warmup + ", " + iters);
        }
        double flopsPerUnit = switch (op) {
            case "forward" -> 4.0;
            case "backward" -> 10.0;
            case "backward_query" -> 6.0;
            default -> throw new IllegalArgumentException(
                    "unknown attention op '" + op + "'; expected forward, backward or backward_query");
        };
        SplittableRandom rnd = new SplittableRandom(1);
        int qSize = batch * heads * queries * headDim;
        int kSize = batch * heads * keys * headDim;
        float[] q = random(rnd, qSize);
        float[] k = random(rnd, kSize);
        float[] v = random(rnd, kSize);
        float[] o = new float[qSize];
        float[] dO = random(rnd, qSize);
        float[] lse = new float[batch * heads * queries];
        float[] dq = new float[qSize];
        float[] dk = new float[kSize];
        float[] dv = new float[kSize];
        AttentionLayout ql = AttentionLayout.contiguous(heads, queries, headDim);
        AttentionLayout kl = AttentionLayout.contiguous(heads, keys, headDim);
        float scale = (float) (1 / Math.sqrt(headDim));
        Runnable forward = () -> CpuAttention.forward(batch, heads, queries, keys, headDim, scale, q, ql, k, kl, v, kl,
                null, 1, 1, null, 1, 1, o, ql, lse);
        forward.run();
        Runnable body = switch (op) {
            case "forward" -> forward;
            case "backward" -> () -> CpuAttention.backward(batch, heads, queries, keys, headDim, scale, q, ql, k, kl,
                    v, kl, null, 1, 1, null, 1, 1, o, ql, lse, dO, ql, dq, ql, dk, kl, dv, kl, null);
            default -> () -> CpuAttention.backwardQuery(batch, heads, queries, keys, headDim, scale, q, ql, k, kl,
                    v, kl, null, 1, 1, null, 1, 1, o, ql, lse, dO, ql, dq, ql);
        };
        for (int i = 0; i < warmup; i++) {
            body.run();
        }
        double[] times = new double[iters];
        for (int i = 0; i < iters; i++) {
            long t0 = System.nanoTime();
            body.run();
            times[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(times);
        double median = iters % 2 == 1 ? times[iters / 2] : (times[iters / 2 - 1] + times[iters / 2]) / 2;
        double flops = flopsPerUnit * batch * heads * (double) queries * keys * headDim;
        return new Result(op, batch, heads, queries, keys, headDim, median, times[0], flops / (median * 1e6),
                CpuParallel.threads(), CpuAttention.path());
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return a;
    }

    /**
     * Usage: {@code AttentionBenchmark [op batch heads queries keys headDim [warmup iters]]}; with no arguments it runs
     * ViT-B/16 self-attention (B=1 H=12 N=197 D=64) and LCD's query-only shapes, one JSON line each.
     */
    public static void main(String[] args) {
        if (args.length == 0) {
            System.out.println(run(1, 12, 197, 64, 20, 50).toJson());
            System.out.println(run("backward", 1, 12, 197, 197, 64, 10, 30).toJson());
            System.out.println(run("forward", 10, 24, 4, 9216, 64, 5, 20).toJson());
            System.out.println(run("backward_query", 10, 24, 4, 9216, 64, 5, 20).toJson());
            return;
        }
        if (args.length != 6 && args.length != 8) {
            System.err.println("usage: AttentionBenchmark [op batch heads queries keys headDim [warmup iters]]"
                    + " with op = forward | backward | backward_query");
            System.exit(2);
        }
        int[] n = new int[args.length - 1];
        for (int i = 1; i < args.length; i++) {
            n[i - 1] = Integer.parseInt(args[i]);
        }
        int warmup = args.length == 8 ? n[5] : 10;
        int iters = args.length == 8 ? n[6] : 30;
        System.out.println(run(args[0], n[0], n[1], n[2], n[3], n[4], warmup, iters).toJson());
    }
}
