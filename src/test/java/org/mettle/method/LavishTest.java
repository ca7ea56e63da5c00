package org.mettle.method;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.mettle.autograd.GradMode;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.memory.MemoryCategory;
import org.mettle.memory.MemoryLedger;
import org.mettle.models.Backbone;
import org.mettle.models.LayerConsumer;
import org.mettle.models.htsat.Htsat;
import org.mettle.models.htsat.HtsatConfig;
import org.mettle.models.htsat.HtsatModels;
import org.mettle.models.swin.SwinModels;
import org.mettle.models.swin.SwinTransformerV2;
import org.mettle.models.swin.SwinV2Config;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;
import org.mettle.train.AdamW;

/** The LAVisH-style adapter against a double reference and finite differences; the model's gate, gradient and memory behaviour. */
class LavishTest {
    private static final int B = 2;
    private static final int N = 5;
    private static final int M = 4;
    private static final int D = 6;
    private static final int DO = 5;
    private static final int L = 3;
    /** bottleneck = max(3, 6 / 2) = 3 */
    private static final LavishConfig SMALL = new LavishConfig(L, 2, 3, 4);

    private static float[] randn(Random r, int n, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * std);
        }
        return v;
    }

    /** An adapter with every tensor random (gate 0.7), so that every branch has a gradient. */
    private static LavishAdapter randomAdapter(Backend be, Random r) {
        LavishAdapter a = new LavishAdapter(be, r, D, DO, SMALL);
        for (Tensor p : a.namedParameters().values()) {
            be.write(p, randn(r, (int) p.numel(), 0.6));
        }
        be.write(a.gate(), new float[] {0.7f});
        return a;
    }

    @Test
    void adapterMatchesADoubleReference() {
        Backend be = Backends.cpu();
        Random r = new Random(5);
        try (LavishAdapter a = randomAdapter(be, r); Scope s = Scope.open()) {
            float[] x = randn(r, B * N * D, 1);
            float[] y = randn(r, B * M * DO, 1);
            float[] out = a.forward(Tensor.of(x, B, N, D), Tensor.of(y, B, M, DO)).toFloatArray();
            double[] want = reference(a.namedParameters(), x, y, SMALL.bottleneck(D));
            for (int i = 0; i < out.length; i++) {
                assertEquals(want[i], out[i], 1e-4 + 1e-4 * Math.abs(want[i]), "output " + i);
            }
        }
    }

    /** The class comment's equations, in double loops. */
    private static double[] reference(Map<String, Tensor> p, float[] x, float[] y, int hb) {
        float[] z = p.get("latents").toFloatArray();
        float[] wo = p.get("other_down.weight").toFloatArray();
        float[] bo = p.get("other_down.bias").toFloatArray();
        float[] wd = p.get("down.weight").toFloatArray();
        float[] bd = p.get("down.bias").toFloatArray();
        float[] wu = p.get("up.weight").toFloatArray();
        float[] bu = p.get("up.bias").toFloatArray();
        double g = p.get("gate").toFloatArray()[0];
        double scale = 1 / Math.sqrt(hb);
        double[] out = new double[B * N * D];
        for (int b = 0; b < B; b++) {
            double[][] keys = new double[M][hb];
            for (int m = 0; m < M; m++) {
                for (int j = 0; j < hb; j++) {
                    double v = bo[j];
                    for (int k = 0; k < DO; k++) {
                        v += wo[j * DO + k] * y[(b * M + m) * DO + k];
                    }
                    keys[m][j] = v;
                }
            }
            double[][] latents = new double[L][hb];
            for (int l = 0; l < L; l++) {
                double[] q = new double[hb];
                for (int j = 0; j < hb; j++) {
                    q[j] = z[l * hb + j];
                }
                double[] att = attend(q, keys, scale);
                for (int j = 0; j < hb; j++) {
                    latents[l][j] = q[j] + att[j];
                }
            }
            for (int n = 0; n < N; n++) {
                double[] h = new double[hb];
                for (int j = 0; j < hb; j++) {
                    double v = bd[j];
                    for (int k = 0; k < D; k++) {
                        v += wd[j * D + k] * x[(b * N + n) * D + k];
                    }
                    h[j] = v;
                }
                double[] att = attend(h, latents, scale);
                double[] act = new double[hb];
                for (int j = 0; j < hb; j++) {
                    double f = h[j] + att[j];
                    act[j] = 0.5 * f * (1 + erf(f / Math.sqrt(2)));
                }
                for (int k = 0; k < D; k++) {
                    double u = bu[k];
                    for (int j = 0; j < hb; j++) {
                        u += wu[k * hb + j] * act[j];
                    }
                    out[(b * N + n) * D + k] = x[(b * N + n) * D + k] + g * u;
                }
            }
        }
        return out;
    }

    private static double[] attend(double[] q, double[][] kv, double scale) {
        double[] logits = new double[kv.length];
        double max = Double.NEGATIVE_INFINITY;
        for (int m = 0; m < kv.length; m++) {
            double dot = 0;
            for (int j = 0; j < q.length; j++) {
                dot += q[j] * kv[m][j];
            }
            logits[m] = dot * scale;
            max = Math.max(max, logits[m]);
        }
        double sum = 0;
        for (int m = 0; m < kv.length; m++) {
            logits[m] = Math.exp(logits[m] - max);
            sum += logits[m];
        }
        double[] out = new double[q.length];
        for (int m = 0; m < kv.length; m++) {
            for (int j = 0; j < q.length; j++) {
                out[j] += logits[m] / sum * kv[m][j];
            }
        }
        return out;
    }

    /**
     * erf by its Taylor series (exact to ~1e-13 for |x| <= 3); beyond 3, +-1 (erfc(3) = 2.2e-5, so GELU is off by at
     * most 5e-5 there, inside the test's tolerance).
     */
    private static double erf(double x) {
        if (Math.abs(x) > 3) {
            return Math.signum(x);
        }
        double sum = 0;
        double term = x;
        for (int n = 0; n < 80; n++) {
            sum += term / (2 * n + 1);
            term *= -x * x / (n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    @Test
    void adapterGradientsMatchFiniteDifferences() {
        Backend be = Backends.cpu();
        Random r = new Random(7);
        try (LavishAdapter a = randomAdapter(be, r); Scope s = Scope.open()) {
            Tensor x = Tensor.of(randn(r, B * N * D, 1), B, N, D).requiresGrad(true);
            Tensor y = Tensor.of(randn(r, B * M * DO, 1), B, M, DO).requiresGrad(true);
            Tensor w = Tensor.of(randn(r, B * N * D, 1), B, N, D);
            Map<String, Tensor> params = new LinkedHashMap<>(a.namedParameters());
            params.put("x", x);
            params.put("other", y);
            GradientCheck.check("LAVisH adapter", () -> GradientCheck.weightedSum(a.forward(x, y), w), params, 1e-2f, 0.02, 2e-3, 40);
        }
    }

    @Test
    void scheduleStepsBothBackbonesInLockStep() {
        List<LavishModel.Turn> turns = LavishModel.schedule(24, 12);
        assertEquals(36, turns.size());
        int[] next = new int[2];
        for (LavishModel.Turn t : turns) {
            assertEquals(next[t.modality()]++, t.layer(), "blocks run in order");
            assertEquals(next[1 - t.modality()], t.otherDone(), "the adapter sees the other backbone's latest tokens");
            double done = (double) next[0] / 24 - (double) next[1] / 12;
            assertTrue(Math.abs(done) <= 1.0 / 12 + 1e-9, "depth fractions stay within one block: " + t);
        }
        assertEquals(new LavishModel.Turn(0, 0, 0), turns.get(0));
        assertEquals(new LavishModel.Turn(1, 0, 1), turns.get(1));
    }

    @Test
    void zeroGatesLeaveBothBackbonesUnchanged() {
        Backend be = Backends.cpu();
        Random r = new Random(9);
        try (Backbone visual = TinyMettle.visual(be); Backbone audio = TinyMettle.audio(be);
             LavishModel model = new LavishModel(Task.AVE, visual, audio, new LavishConfig(4, 8, 8, 16), 3); Scope s = Scope.open()) {
            Tensor frames = TinyMettle.frames(be, r, 2);
            Tensor mel = TinyMettle.logMel(be, r, 2);
            Tensor[] adapted = model.finalTokens(frames, mel);
            float[] plainVisual;
            float[] plainAudio;
            try (var g = GradMode.noGrad()) {
                plainVisual = visual.forward(frames, LayerConsumer.NONE).toFloatArray();
                plainAudio = audio.forward(mel, LayerConsumer.NONE).toFloatArray();
            }
            assertTrue(adapted[0].requiresGrad(), "the adapted forward records a graph (the gates require grad)");
            // 1e-5, not 0: the CPU kernels' threaded reductions may differ in the last bit between two runs
            assertArrayEquals(plainVisual, adapted[0].toFloatArray(), 1e-5f, "visual tokens with all gates at 0");
            assertArrayEquals(plainAudio, adapted[1].toFloatArray(), 1e-5f, "audio tokens with all gates at 0");
        }
    }

    @Test
    void oneAdamWStepOpensTheGatesAndThenEveryAdapterTensorLearns() {
        Backend be = Backends.cpu();
        Random r = new Random(13);
        try (Backbone visual = TinyMettle.visual(be); Backbone audio = TinyMettle.audio(be);
             LavishModel model = new LavishModel(Task.AVE, visual, audio, new LavishConfig(4, 8, 8, 16), 3);
             AdamW opt = new AdamW(model.trainableParameters(), 1e-2f, 0f); Scope s = Scope.open()) {
            Tensor frames = TinyMettle.frames(be, r, 2);
            Tensor mel = TinyMettle.logMel(be, r, 2);
            Tensor labels = Tensor.ofInts(new int[] {3, 7}, 2);
            List<String> gates = new ArrayList<>();
            model.trainableTensors().keySet().stream().filter(n -> n.endsWith(".gate")).forEach(gates::add);
            assertEquals(visual.layerCount() + audio.layerCount(), gates.size(), "one gate per block and modality");
            model.loss(frames, mel, labels, 1, 2).backward();
            for (String g : gates) {
                assertNotEquals(0f, model.trainableTensors().get(g).grad().toFloatArray()[0], g + " gets a gradient at the start");
            }
            opt.step();
            opt.zeroGrad();
            for (String g : gates) {
                assertNotEquals(0f, model.trainableTensors().get(g).toFloatArray()[0], g + " is open after one step");
            }
            model.loss(frames, mel, labels, 1, 2).backward();
            for (Map.Entry<String, Tensor> e : model.trainableTensors().entrySet()) {
                assertNotNull(e.getValue().grad(), e.getKey() + " has a gradient");
                double norm = 0;
                for (float v : e.getValue().grad().toFloatArray()) {
                    norm += v * v;
                }
                assertTrue(norm > 0, e.getKey() + " gets a nonzero gradient once the gates are open");
                assertEquals(e.getKey().contains("_adapters.") ? AvModel.Group.METHOD : AvModel.Group.HEAD, model.group(e.getKey()), e.getKey());
            }
            for (Backbone b : List.of(visual, audio)) {
                b.module().namedParameters().forEach((name, t) -> {
                    assertFalse(t.requiresGrad(), b.arch() + " " + name + " stays frozen");
                    assertNull(t.grad(), b.arch() + " " + name + " gets no gradient");
                });
            }
        }
    }

    /** Unlike Mettle's (BackboneIsolationTest), LAVisH's graph keeps the backbones' activations: SAVED grows with depth. */
    @Test
    void savedBytesGrowWithBackboneDepth() {
        Backend meta = Backends.meta();
        SwinV2Config swin = SwinModels.config(TinyMettle.VISUAL);
        HtsatConfig htsat = HtsatModels.config(TinyMettle.AUDIO);
        int[][] swinDepths = {{2, 2, 2, 2}, {2, 2, 8, 2}};
        int[][] htsatDepths = {{2, 2, 2, 2}, {2, 4, 6, 2}};
        long[] saved = new long[2];
        MemoryLedger ledger = MemoryLedger.of(meta.device());
        for (int variant = 0; variant < 2; variant++) {
            try (Backbone visual = new SwinTransformerV2(swin.withDepths("swin_depth" + variant, swinDepths[variant]), meta, 1);
                 Backbone audio = new Htsat(htsat.withDepths("htsat_depth" + variant, htsatDepths[variant]), meta, 2)) {
                visual.module().trainable(false);
                audio.module().trainable(false);
                try (LavishModel model = new LavishModel(Task.AVE, visual, audio, new LavishConfig(4, 8, 8, 16), 3); Scope s = Scope.open()) {
                    long before = ledger.live(MemoryCategory.SAVED);
                    Tensor loss = model.loss(Tensor.empty(meta, Shape.of(3, 3, 64, 64)),
                            Tensor.empty(meta, Shape.of(3, TinyMettle.AUDIO_FRAMES, htsat.melBins())), Tensor.empty(meta, Shape.of(3), org.mettle.tensor.DType.I32), 1, 3);
                    saved[variant] = ledger.live(MemoryCategory.SAVED) - before;
                    org.mettle.autograd.Autograd.releaseGraph(loss);
                    assertEquals(before, ledger.live(MemoryCategory.SAVED), "releasing the graph frees every saved byte");
                }
            }
        }
        assertTrue(saved[0] > 0, "the adapted forward saves tensors");
        // 6 more visual and 4 more audio blocks, each keeping at least its input-sized activations
        assertTrue(saved[1] > saved[0] * 1.3, "deeper backbones keep more: " + saved[0] + " -> " + saved[1]);
    }
}
