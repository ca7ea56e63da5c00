package org.mettle.method;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.backend.UnaryOp;
import org.mettle.models.AttentionTap;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Tensor;

/** One LCD layer on a synthetic tap: forward against a naive double reference, gradients against finite differences. */
class LcdLayerTest {
    private static final int B = 2;
    private static final int H = 2;
    private static final int HEAD_DIM = 3;
    private static final int N = 5;
    private static final int D = 6;
    private static final int K = 3;
    private static final int DC = 4;
    private static final LcdConfig CONFIG = new LcdConfig(K, LayerSelection.all(), 2, DC);

    /** Random frozen tap tensors; headScale only for cosine. */
    private record Fixture(AttentionTap tap, float[] keys, float[] values, float[] wq, float[] bq, float[] wo, float[] bo, float[] headScale) {}

    private static float[] randn(Random r, int n, double std) {
        float[] v = new float[n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() * std);
        }
        return v;
    }

    private static Fixture fixture(Random r, boolean cosine) {
        float[] keys = randn(r, B * H * N * HEAD_DIM, 1);
        float[] values = randn(r, B * H * N * HEAD_DIM, 1);
        float[] wq = randn(r, H * HEAD_DIM * D, 0.5);
        float[] bq = randn(r, H * HEAD_DIM, 0.1);
        float[] wo = randn(r, D * H * HEAD_DIM, 0.5);
        float[] bo = randn(r, D, 0.1);
        float[] hs = {3.5f, 7f};
        AttentionTap tap = new AttentionTap(Tensor.of(keys, B, H, N, HEAD_DIM), Tensor.of(values, B, H, N, HEAD_DIM), H, HEAD_DIM,
                Tensor.of(wq, H * HEAD_DIM, D), Tensor.of(bq, H * HEAD_DIM), Tensor.of(wo, D, H * HEAD_DIM), Tensor.of(bo, D),
                cosine, cosine ? Tensor.of(hs, H) : null, cosine ? 1f : 0.4f);
        return new Fixture(tap, keys, values, wq, bq, wo, bo, hs);
    }

    private static LcdLayer layer(Backend be, Random r) {
        LcdLayer layer = new LcdLayer(be, r, D, CONFIG);
        // the adaptation branch starts at zero; give Up values so that Down's gradient is exercised too
        Tensor w = layer.up().weight();
        be.write(w, randn(r, (int) w.numel(), 0.3));
        be.write(layer.up().bias(), randn(r, D, 0.1));
        // unit-scale tokens: at init scale (0.02) LayerNorm is too curved for a finite difference of 1e-2
        be.write(layer.metaTokens(), randn(r, K * D, 1));
        return layer;
    }

    @Test
    void upProjectionStartsAtZero() {
        try (LcdLayer layer = new LcdLayer(Backends.cpu(), new Random(1), D, CONFIG)) {
            for (float v : layer.up().weight().toFloatArray()) {
                assertEquals(0f, v);
            }
            for (float v : layer.up().bias().toFloatArray()) {
                assertEquals(0f, v);
            }
        }
    }

    @Test
    void forwardMatchesNaiveReference() {
        for (boolean cosine : new boolean[] {false, true}) {
            Random r = new Random(cosine ? 2 : 3);
            try (Scope s = Scope.open(); LcdLayer layer = layer(Backends.cpu(), r)) {
                Fixture f = fixture(r, cosine);
                float[] out = layer.forward(f.tap()).toFloatArray();
                double[] expected = reference(layer.namedParameters(), f, cosine);
                assertEquals(B * K * DC, out.length);
                for (int i = 0; i < out.length; i++) {
                    assertEquals(expected[i], out[i], 1e-4 * (1 + Math.abs(expected[i])), (cosine ? "cosine" : "dot") + " output " + i);
                }
            }
        }
    }

    @Test
    void gradientsMatchFiniteDifferencesAndSkipTheTap() {
        for (boolean cosine : new boolean[] {false, true}) {
            Random r = new Random(cosine ? 4 : 5);
            try (Scope s = Scope.open(); LcdLayer layer = layer(Backends.cpu(), r)) {
                Fixture f = fixture(r, cosine);
                Tensor w = Tensor.of(randn(r, B * K * DC, 1), B, K, DC);
                Map<String, Tensor> params = layer.namedParameters();
                GradientCheck.check((cosine ? "cosine" : "dot") + " LCD layer", () -> GradientCheck.weightedSum(layer.forward(f.tap()), w),
                        params, 1e-2f, 2e-2, 2e-3, 40);
                AttentionTap t = f.tap();
                for (Tensor frozen : new Tensor[] {t.keys(), t.values(), t.queryWeight(), t.queryBias(), t.outWeight(), t.outBias()}) {
                    assertNull(frozen.grad(), "a frozen tap tensor got a gradient");
                }
            }
        }
    }

    /** The LCD layer in double precision with plain loops, straight from DESIGN §5. */
    private static double[] reference(Map<String, Tensor> p, Fixture f, boolean cosine) {
        double[] z = d(p.get("meta_tokens"));
        double[] g = d(p.get("norm.weight"));
        double[] beta = d(p.get("norm.bias"));
        int hd = H * HEAD_DIM;
        double[] normed = new double[K * D];
        for (int k = 0; k < K; k++) {
            double mean = 0;
            for (int j = 0; j < D; j++) {
                mean += z[k * D + j] / D;
            }
            double var = 0;
            for (int j = 0; j < D; j++) {
                var += Math.pow(z[k * D + j] - mean, 2) / D;
            }
            for (int j = 0; j < D; j++) {
                normed[k * D + j] = (z[k * D + j] - mean) / Math.sqrt(var + 1e-5) * g[j] + beta[j];
            }
        }
        double[] q = linear(normed, K, D, f.wq(), f.bq(), hd);
        double[] merged = new double[B * K * hd];
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < H; h++) {
                for (int k = 0; k < K; k++) {
                    double[] qv = new double[HEAD_DIM];
                    double norm = 0;
                    for (int e = 0; e < HEAD_DIM; e++) {
                        qv[e] = q[k * hd + h * HEAD_DIM + e];
                        norm += qv[e] * qv[e];
                    }
                    double factor = cosine ? f.headScale()[h] / Math.max(Math.sqrt(norm), 1e-12) : f.tap().scale();
                    double[] logits = new double[N];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int n = 0; n < N; n++) {
                        for (int e = 0; e < HEAD_DIM; e++) {
                            logits[n] += qv[e] * factor * f.keys()[((b * H + h) * N + n) * HEAD_DIM + e];
                        }
                        max = Math.max(max, logits[n]);
                    }
                    double total = 0;
                    for (int n = 0; n < N; n++) {
                        logits[n] = Math.exp(logits[n] - max);
                        total += logits[n];
                    }
                    for (int n = 0; n < N; n++) {
                        for (int e = 0; e < HEAD_DIM; e++) {
                            merged[(b * K + k) * hd + h * HEAD_DIM + e] += logits[n] / total * f.values()[((b * H + h) * N + n) * HEAD_DIM + e];
                        }
                    }
                }
            }
        }
        double[] preserved = linear(merged, B * K, hd, f.wo(), f.bo(), D);
        double[] x = new double[B * K * D];
        for (int i = 0; i < x.length; i++) {
            x[i] = preserved[i] + z[i % (K * D)];
        }
        double[] hidden = linear(x, B * K, D, f(p.get("down.weight")), f(p.get("down.bias")), D / 2);
        for (int i = 0; i < hidden.length; i++) {
            hidden[i] = UnaryOp.GELU.apply((float) hidden[i]);
        }
        double[] adapted = linear(hidden, B * K, D / 2, f(p.get("up.weight")), f(p.get("up.bias")), D);
        for (int i = 0; i < x.length; i++) {
            x[i] += adapted[i];
        }
        return linear(x, B * K, D, f(p.get("proj.weight")), f(p.get("proj.bias")), DC);
    }

    private static double[] linear(double[] x, int rows, int in, float[] w, float[] bias, int out) {
        double[] y = new double[rows * out];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < out; o++) {
                double acc = bias[o];
                for (int i = 0; i < in; i++) {
                    acc += x[r * in + i] * w[o * in + i];
                }
                y[r * out + o] = acc;
            }
        }
        return y;
    }

    private static float[] f(Tensor t) {
        return t.toFloatArray();
    }

    private static double[] d(Tensor t) {
        float[] v = t.toFloatArray();
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }
}
