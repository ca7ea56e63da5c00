package org.mettle.method;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.models.Backbone;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Tensor;
import org.mettle.train.AdamW;

/** A few AdamW steps of Mettle on random tensors, and the two-pass low-memory mode against the plain one. */
class MettleTrainingTest {
    private static final LcdConfig CONFIG = new LcdConfig(2, LayerSelection.every(2), 2, 16);

    @Test
    void aveLossDecreasesUnderAdamW() {
        Backend be = Backends.cpu();
        Random random = new Random(5);
        int batch = 2;
        int segments = 3;
        int[] labels = {0, 3, 3, 7, 0, 28};
        try (Backbone visual = TinyMettle.visual(be); Backbone audio = TinyMettle.audio(be);
             MettleModel model = new MettleModel(Task.AVE, visual, audio, CONFIG, 21);
             Scope scope = Scope.open()) {
            Tensor frames = TinyMettle.frames(be, random, batch * segments);
            Tensor mel = TinyMettle.logMel(be, random, batch * segments);
            Tensor target = Tensor.ofInts(labels, labels.length);
            try (AdamW opt = new AdamW(model.trainableParameters(), 1e-2f, 0.01f)) {
                float first = model.trainStep(opt, frames, mel, target, batch, segments, false);
                float last = first;
                for (int i = 0; i < 19; i++) {
                    last = model.trainStep(opt, frames, mel, target, batch, segments, false);
                }
                assertTrue(Float.isFinite(first) && first > 2.5f, "initial loss near ln 29, got " + first);
                assertTrue(last < 0.5f * first, "loss should fall by half in 20 steps: " + first + " -> " + last);
            }
        }
    }

    @Test
    void avvpLossDecreasesUnderAdamW() {
        Backend be = Backends.cpu();
        Random random = new Random(6);
        int batch = 2;
        int segments = 3;
        float[] weak = new float[batch * AvvpHead.CLASSES];
        weak[1] = 1f;
        weak[AvvpHead.CLASSES + 4] = 1f;
        weak[AvvpHead.CLASSES + 9] = 1f;
        try (Backbone visual = TinyMettle.visual(be); Backbone audio = TinyMettle.audio(be);
             MettleModel model = new MettleModel(Task.AVVP, visual, audio, CONFIG, 22);
             Scope scope = Scope.open()) {
            Tensor frames = TinyMettle.frames(be, random, batch * segments);
            Tensor mel = TinyMettle.logMel(be, random, batch * segments);
            Tensor target = Tensor.of(weak, batch, AvvpHead.CLASSES);
            try (AdamW opt = new AdamW(model.trainableParameters(), 1e-2f, 0.01f)) {
                float first = model.trainStep(opt, frames, mel, target, batch, segments, false);
                float last = first;
                for (int i = 0; i < 19; i++) {
                    last = model.trainStep(opt, frames, mel, target, batch, segments, false);
                }
                assertTrue(last < 0.5f * first, "loss should fall by half in 20 steps: " + first + " -> " + last);
            }
        }
    }

    /** The two-pass mode must give the same gradients as keeping every layer's graph (same math, other schedule). */
    @Test
    void lowMemoryModeGivesTheSameGradients() {
        Backend be = Backends.cpu();
        Random random = new Random(7);
        int batch = 1;
        int segments = 2;
        for (Task task : Task.values()) {
            try (Backbone visual = TinyMettle.visual(be); Backbone audio = TinyMettle.audio(be);
                 MettleModel plain = new MettleModel(task, visual, audio, CONFIG, 23);
                 MettleModel twoPass = new MettleModel(task, visual, audio, CONFIG, 23);
                 Scope scope = Scope.open()) {
                Tensor frames = TinyMettle.frames(be, random, batch * segments);
                Tensor mel = TinyMettle.logMel(be, random, batch * segments);
                Tensor target = task == Task.AVE ? Tensor.ofInts(new int[] {4, 0}, 2) : Tensor.of(oneHot(AvvpHead.CLASSES, 3), 1, AvvpHead.CLASSES);
                // lr 0: the step leaves the parameters as they are and the gradients stay readable
                try (AdamW a = new AdamW(plain.trainableParameters(), 0f, 0f); AdamW b = new AdamW(twoPass.trainableParameters(), 0f, 0f)) {
                    float lossA = plain.trainStep(a, frames, mel, target, batch, segments, false);
                    float lossB = twoPass.trainStep(b, frames, mel, target, batch, segments, true);
                    assertEquals(lossA, lossB, 1e-6f * Math.max(1f, Math.abs(lossA)), task + " loss");
                    Map<String, Tensor> pa = plain.namedParameters();
                    Map<String, Tensor> pb = twoPass.namedParameters();
                    for (Map.Entry<String, Tensor> e : pa.entrySet()) {
                        Tensor ga = e.getValue().grad();
                        Tensor gb = pb.get(e.getKey()).grad();
                        assertNotNull(ga, task + " " + e.getKey() + " has a gradient");
                        assertNotNull(gb, task + " two-pass " + e.getKey() + " has a gradient");
                        float[] x = ga.toFloatArray();
                        float[] y = gb.toFloatArray();
                        float scale = 0f;
                        for (float v : x) {
                            scale = Math.max(scale, Math.abs(v));
                        }
                        for (int i = 0; i < x.length; i++) {
                            assertEquals(x[i], y[i], 1e-5f * Math.max(scale, 1e-3f), task + " " + e.getKey() + "[" + i + "]");
                        }
                    }
                }
            }
        }
    }

    /** Layer-wise updates during the second pass must land on the same parameters as one AdamW after the backward. */
    @Test
    void layerwiseLowMemoryStepEqualsPlainAdamW() {
        Backend be = Backends.cpu();
        Random random = new Random(8);
        for (Task task : Task.values()) {
            try (Backbone visual = TinyMettle.visual(be); Backbone audio = TinyMettle.audio(be);
                 MettleModel plain = new MettleModel(task, visual, audio, CONFIG, 24);
                 MettleModel layerwise = new MettleModel(task, visual, audio, CONFIG, 24);
                 Scope scope = Scope.open()) {
                Tensor frames = TinyMettle.frames(be, random, 2);
                Tensor mel = TinyMettle.logMel(be, random, 2);
                Tensor target = task == Task.AVE ? Tensor.ofInts(new int[] {4, 0}, 2) : Tensor.of(oneHot(AvvpHead.CLASSES, 3), 1, AvvpHead.CLASSES);
                try (AdamW a = new AdamW(plain.trainableParameters(), 1e-2f, 0.01f); LayerwiseAdamW b = new LayerwiseAdamW(layerwise, 1e-2f, 0.01f)) {
                    for (int step = 0; step < 3; step++) {
                        float lossA = plain.trainStep(a, frames, mel, target, 1, 2, false);
                        float lossB = layerwise.trainStepLayerwise(b, frames, mel, target, 1, 2);
                        assertEquals(lossA, lossB, 1e-5f * Math.max(1f, Math.abs(lossA)), task + " loss at step " + step);
                    }
                    Map<String, Tensor> pb = layerwise.namedParameters();
                    for (Map.Entry<String, Tensor> e : plain.namedParameters().entrySet()) {
                        float[] x = e.getValue().toFloatArray();
                        float[] y = pb.get(e.getKey()).toFloatArray();
                        assertNull(pb.get(e.getKey()).grad(), "layer-wise step frees " + e.getKey() + "'s gradient");
                        for (int i = 0; i < x.length; i++) {
                            assertEquals(x[i], y[i], 1e-5f * Math.max(1f, Math.abs(x[i])), task + " " + e.getKey() + "[" + i + "]");
                        }
                    }
                }
            }
        }
    }

    static float[] oneHot(int n, int hot) {
        float[] v = new float[n];
        v[hot] = 1f;
        return v;
    }
}
