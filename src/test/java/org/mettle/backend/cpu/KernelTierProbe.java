package org.mettle.backend.cpu;

import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import org.mettle.backend.BinaryOp;
import org.mettle.backend.UnaryOp;

/**
 * Child-JVM half of {@link VectorKernelTierTest}: runs every Vector API row, pointwise and attention kernel on fixed
 * inputs, {@code warmups} times before the recorded call, and writes each result's float bits to a file. Started
 * once with -Xint (warmups 0), once C1-only and once C2-only (warmed up with -Xbatch, so the recorded call runs
 * compiled code); the test then requires identical bits.
 *
 * <p>Usage: {@code KernelTierProbe <out file> <warmups>}.
 */
public final class KernelTierProbe {
    private KernelTierProbe() {}

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args[0]);
        int warmups = Integer.parseInt(args[1]);
        Map<String, float[]> results = run(warmups);
        try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(out))) {
            o.writeInt(results.size());
            for (Map.Entry<String, float[]> e : results.entrySet()) {
                o.writeUTF(e.getKey());
                o.writeInt(e.getValue().length);
                for (float f : e.getValue()) {
                    o.writeInt(Float.floatToIntBits(f)); // NaN canonical: only NaN-ness must agree
                }
            }
        }
    }

    /** Kernel name -> output of its recorded call. */
    static Map<String, float[]> run(int warmups) {
        Map<String, float[]> results = new LinkedHashMap<>();
        CpuPointwise.Kernels pw = new VectorPointwise();
        CpuRows.Kernels rows = new VectorRows();
        AttentionKernels att = new VectorAttentionKernels();
        int n = 203; // 12 vectors of 16 (25 of 8) plus a scalar tail
        float[] wide = inputs(n, 1, 12f);
        float[] narrow = inputs(n, 2, 3f);
        float[] positive = new float[n];
        for (int i = 0; i < n; i++) {
            positive[i] = Math.abs(wide[i]) * (i % 7 == 0 ? 1e-3f : 1f);
        }
        float[] g = inputs(n, 3, 1f);
        for (UnaryOp op : UnaryOp.values()) {
            float[] x = op == UnaryOp.LOG || op == UnaryOp.SQRT || op == UnaryOp.RSQRT ? positive
                    : op == UnaryOp.EXP ? wide : narrow;
            record(results, "unary " + op, warmups, () -> {
                float[] y = new float[n];
                pw.unary(op, x, 0, y, 0, n);
                return y;
            });
            float[] y = new float[n];
            pw.unary(op, x, 0, y, 0, n);
            record(results, "unaryBackward " + op, warmups, () -> {
                float[] gi = new float[n];
                pw.unaryBackward(op, x, 0, y, 0, g, 0, gi, 0, n);
                return gi;
            });
        }
        for (BinaryOp op : BinaryOp.values()) {
            record(results, "binary " + op, warmups, () -> {
                float[] y = new float[n];
                pw.binary(op, positive, 0, narrow, 0, y, 0, n);
                return y;
            });
            record(results, "binaryScalarLeft " + op, warmups, () -> {
                float[] y = new float[n];
                pw.binaryScalarLeft(op, 1.7f, narrow, 0, y, 0, n);
                return y;
            });
        }
        for (int cols : new int[] {49, 197, 768, 1030}) {
            int r = 3;
            float[] x = inputs(r * cols, cols, 4f);
            float[] dy = inputs(r * cols, cols + 1, 1f);
            float[] gamma = inputs(cols, cols + 2, 1f);
            float[] beta = inputs(cols, cols + 3, 1f);
            record(results, "softmax " + cols, warmups, () -> eachRow(r, cols, (o, y) -> rows.softmax(x, o, y, o, cols)));
            record(results, "logSoftmax " + cols, warmups,
                    () -> eachRow(r, cols, (o, y) -> rows.logSoftmax(x, o, y, o, cols)));
            float[] sm = eachRow(r, cols, (o, y) -> rows.softmax(x, o, y, o, cols));
            float[] lsm = eachRow(r, cols, (o, y) -> rows.logSoftmax(x, o, y, o, cols));
            record(results, "softmaxBackward " + cols, warmups,
                    () -> eachRow(r, cols, (o, dx) -> rows.softmaxBackward(sm, o, dy, o, dx, o, cols)));
            record(results, "logSoftmaxBackward " + cols, warmups,
                    () -> eachRow(r, cols, (o, dx) -> rows.logSoftmaxBackward(lsm, o, dy, o, dx, o, cols)));
            float[] stats = new float[2 * r];
            record(results, "layerNorm " + cols, warmups, () -> {
                float[] s = new float[2];
                return eachRow(r, cols, (o, y) -> {
                    rows.layerNorm(x, o, gamma, beta, 1e-6f, cols, y, o, s);
                    stats[2 * (o / cols)] = s[0];
                    stats[2 * (o / cols) + 1] = s[1];
                });
            });
            results.put("layerNorm stats " + cols, stats.clone());
            record(results, "layerNormBackward " + cols, warmups, () -> {
                float[] acc = new float[2 * cols];
                float[] dgamma = new float[cols];
                float[] dbeta = new float[cols];
                float[] dx = eachRow(r, cols, (o, d) -> rows.layerNormBackward(x, o, gamma, stats[2 * (o / cols)],
                        stats[2 * (o / cols) + 1], dy, o, cols, d, o, dgamma, dbeta));
                System.arraycopy(dgamma, 0, acc, 0, cols);
                System.arraycopy(dbeta, 0, acc, cols, cols);
                return concat(dx, acc);
            });
            record(results, "sumSquares+l2Backward " + cols, warmups, () -> eachRow(r, cols, (o, dx) -> {
                float inv = 1f / (float) Math.sqrt(rows.sumSquares(x, o, cols));
                rows.l2Backward(x, o, inv, dy, o, dx, o, cols);
            }));
        }
        for (int d : new int[] {40, 64}) {
            int q = 5;
            int k = 37;
            float[] a = inputs(q * d, d, 1f);
            float[] b = inputs(k * d, d + 1, 1f);
            float[] bias = inputs(q * k, d + 2, 1f);
            record(results, "dotTile d" + d, warmups, () -> {
                float[] s = new float[q * k];
                att.dotTile(a, 0, d, q, b, 0, d, k, d, s, k);
                return s;
            });
            float[] s = new float[q * k];
            att.dotTile(a, 0, d, q, b, 0, d, k, d, s, k);
            record(results, "logits+max+expShift d" + d, warmups, () -> {
                float[] p = s.clone();
                float[] sums = new float[2 * q];
                for (int i = 0; i < q; i++) {
                    att.logits(p, i * k, k, 0.125f, bias, i * k, null, 0);
                    sums[2 * i] = att.max(p, i * k, k);
                    sums[2 * i + 1] = att.expShift(p, i * k, k, sums[2 * i]);
                }
                return concat(p, sums);
            });
            record(results, "mulAdd d" + d, warmups, () -> {
                float[] y = new float[q * d];
                att.mulAdd(s, k, q, k, b, 0, d, d, y, 0, d);
                return y;
            });
            record(results, "mulAddTransposed d" + d, warmups, () -> {
                float[] y = new float[k * d];
                att.mulAddTransposed(s, k, q, k, a, 0, d, d, y, 0, d);
                return y;
            });
            record(results, "dot+softmaxGrad d" + d, warmups, () -> {
                float[] dp = bias.clone();
                float[] dots = new float[q];
                for (int i = 0; i < q; i++) {
                    dots[i] = att.dot(a, i * d, b, i * d, d);
                    att.softmaxGrad(s, dp, i * k, k, dots[i]);
                }
                return concat(dp, dots);
            });
        }
        return results;
    }

    private interface RowBody {
        void run(int offset, float[] out);
    }

    private static float[] eachRow(int rows, int cols, RowBody body) {
        float[] out = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            body.run(r * cols, out);
        }
        return out;
    }

    private static void record(Map<String, float[]> results, String name, int warmups, Supplier<float[]> call) {
        for (int i = 0; i < warmups; i++) {
            call.get();
        }
        results.put(name, call.get());
    }

    private static float[] concat(float[] a, float[] b) {
        float[] c = new float[a.length + b.length];
        System.arraycopy(a, 0, c, 0, a.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /** Normal(0, scale) values with the edge cases (zeros, infinities, NaN, exp's overflow/underflow borders) mixed in. */
    static float[] inputs(int n, long seed, float scale) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian() * scale;
        }
        float[] edges = {0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 88.72f, 88.73f, -87.33f,
            -103.9f, -104f, 1e-30f, -1e-30f, 1e-7f, 30f, -30f, 9.5f};
        if (scale > 5f) {
            for (int i = 0; i < edges.length && 13 * i + 5 < n; i++) {
                x[13 * i + 5] = edges[i];
            }
        }
        return x;
    }
}
