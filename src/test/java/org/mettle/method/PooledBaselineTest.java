package org.mettle.method;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.models.Backbone;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Tensor;
import org.mettle.train.AdamW;

/** Linear probe, full fine-tuning and the backprop bound: where gradients go, and that each one learns. */
class PooledBaselineTest {
    @Test
    void gradientsReachExactlyWhatEachBaselineTrains() {
        Backend be = Backends.cpu();
        int[] labels = {1, 5, 5, 0};
        for (PooledBaseline.Kind kind : PooledBaseline.Kind.values()) {
            Random random = new Random(51);
            try (Backbone visual = TinyMettle.visual(be); Backbone audio = TinyMettle.audio(be); Scope s = Scope.open()) {
                Tensor frames = TinyMettle.frames(be, random, 4);
                Tensor mel = TinyMettle.logMel(be, random, 4);
                Tensor target = Tensor.ofInts(labels, 4);
                try (PooledBaseline model = new PooledBaseline(kind, Task.AVE, visual, audio, TinyMettle.frameShape(4), TinyMettle.melShape(4), 16, 3)) {
                    List<Tensor> params = new ArrayList<>(model.trainableParameters());
                    if (kind == PooledBaseline.Kind.FULL) {
                        params.addAll(visual.module().trainableParameters());
                        params.addAll(audio.module().trainableParameters());
                    }
                    try (AdamW opt = new AdamW(params, 1e-2f, 0f)) {
                        float first = Float.NaN;
                        float last = Float.NaN;
                        for (int step = 0; step < 12; step++) {
                            opt.zeroGrad();
                            try (Scope st = Scope.open()) {
                                Tensor loss = model.loss(frames, mel, target, 2, 2);
                                loss.backward();
                                last = loss.item();
                            }
                            if (step == 0) {
                                for (Backbone b : List.of(visual, audio)) {
                                    for (Map.Entry<String, Tensor> e : b.module().namedParameters().entrySet()) {
                                        if (kind == PooledBaseline.Kind.FULL && !PooledBaseline.isBuffer(e.getKey())) {
                                            assertNotNull(e.getValue().grad(), kind + ": " + b.arch() + " " + e.getKey() + " trains");
                                        } else {
                                            assertNull(e.getValue().grad(), kind + ": " + b.arch() + " " + e.getKey() + " stays frozen");
                                        }
                                    }
                                }
                                for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
                                    assertNotNull(e.getValue().grad(), kind + ": " + e.getKey() + " gets a gradient");
                                }
                                first = last;
                            }
                            opt.step();
                        }
                        assertTrue(last < 0.7f * first, kind + ": loss should fall by 30% in 12 steps: " + first + " -> " + last);
                    }
                }
            }
        }
    }
}
