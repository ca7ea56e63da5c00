package org.mettle.models.htsat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mettle.autograd.GradMode;
import org.mettle.autograd.LinalgOps;
import org.mettle.autograd.NnOps;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.io.SafetensorsFile;
import org.mettle.memory.MemoryCategory;
import org.mettle.memory.MemoryLedger;
import org.mettle.models.AttentionTap;
import org.mettle.models.LayerConsumer;
import org.mettle.models.LayerOutput;
import org.mettle.models.swin.Golden;
import org.mettle.models.swin.TapCheck;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;

/** HTS-AT taps against keys/values recomputed from each block's input; full-size meta forward; depth-independent peak. */
class HtsatTapLedgerTest {
    @Test
    void tapsHoldTheKeysAndValuesOfEveryToken() {
        List<Tensor> tokens = new ArrayList<>();
        List<Tensor[]> kv = new ArrayList<>();
        List<AttentionTap> taps = new ArrayList<>();
        LayerConsumer keep = new LayerConsumer() {
            @Override
            public void accept(LayerOutput out) {
                AttentionTap t = out.attention();
                assertNotNull(t);
                tokens.add(out.tokens().share());
                kv.add(new Tensor[] {t.keys().share(), t.values().share(), t.queryWeight().share(), t.queryBias().share()});
                taps.add(t);
            }

            @Override
            public boolean wantsAttention() {
                return true;
            }
        };
        try (Htsat model = (Htsat) HtsatModels.create("htsat_test", Backends.cpu(), 3);
             SafetensorsFile io = SafetensorsFile.open(Golden.path("htsat", "htsat_test.io.safetensors"));
             Scope scope = Scope.open(); var g = GradMode.noGrad()) {
            model.load(Golden.path("htsat", "htsat_test.weights.safetensors"));
            Golden.assertClose("output with taps", model.forward(Golden.tensor(io, "input"), keep), io, "output", 1e-5);
            Map<String, Tensor> p = model.namedParameters();
            StringBuilder report = new StringBuilder("HTS-AT tap errors:");
            for (int s = 0, layer = 0; s < 4; s++) {
                for (int b = 0; b < 2; b++, layer++) {
                    AttentionTap tap = taps.get(layer);
                    int heads = model.config().heads()[s];
                    int dim = model.config().stageDim(s);
                    String prefix = "layers." + s + ".blocks." + b + ".";
                    assertFalse(tap.cosine());
                    assertEquals((float) Math.pow(dim / heads, -0.5), tap.scale(), 1e-7f);
                    try (Tensor wq = p.get(prefix + "attn.qkv.weight").slice(0, 0, dim); Tensor bq = p.get(prefix + "attn.qkv.bias").slice(0, 0, dim)) {
                        assertArrayEquals(wq.toFloatArray(), kv.get(layer)[2].toFloatArray());
                        assertArrayEquals(bq.toFloatArray(), kv.get(layer)[3].toFloatArray());
                    }
                    if (b == 0) {
                        continue; // a stage's first block reads merged or embedded tokens
                    }
                    Tensor x = tokens.get(layer - 1);
                    Tensor normed = NnOps.layerNorm(x, p.get(prefix + "norm1.weight"), p.get(prefix + "norm1.bias"), 1e-5f);
                    Tensor qkv = LinalgOps.linear(normed, p.get(prefix + "attn.qkv.weight"), p.get(prefix + "attn.qkv.bias"));
                    int bsz = x.dim(0);
                    int l = x.dim(1);
                    Tensor parts = qkv.reshape(bsz, l, 3, heads, dim / heads).permute(2, 0, 3, 1, 4);
                    Tensor k = parts.slice(0, 1, 2).reshape(bsz, heads, l, dim / heads);
                    Tensor v = parts.slice(0, 2, 3).reshape(bsz, heads, l, dim / heads);
                    report.append(String.format(" L%d=%.1e", layer, TapCheck.assertSamePairs("layer " + layer, kv.get(layer)[0], kv.get(layer)[1], k, v, layer)));
                }
            }
            System.out.println(report);
        } finally {
            tokens.forEach(Tensor::close);
            kv.forEach(a -> { for (Tensor t : a) { t.close(); } });
        }
    }

    @Test
    void fullSizeForwardWithTapsOnMeta() {
        try (Htsat model = (Htsat) HtsatModels.create("htsat", Backends.meta(), 0); Scope scope = Scope.open(); var g = GradMode.noGrad()) {
            int[] seen = {0};
            LayerConsumer check = new LayerConsumer() {
                @Override
                public void accept(LayerOutput out) {
                    int layer = out.layer();
                    int stage = layer < 2 ? 0 : layer < 4 ? 1 : layer < 10 ? 2 : 3;
                    int res = 64 >> stage;
                    int dim = 96 << stage;
                    int heads = 4 << stage;
                    assertArrayEquals(new int[] {2, res * res, dim}, out.tokens().shape().dims(), "layer " + layer);
                    assertArrayEquals(new int[] {2, heads, res * res, dim / heads}, out.attention().keys().shape().dims(), "keys " + layer);
                    seen[0]++;
                }

                @Override
                public boolean wantsAttention() {
                    return true;
                }
            };
            Tensor out = model.forward(Tensor.empty(Backends.meta(), Shape.of(2, 1001, 64)), check);
            assertEquals(12, seen[0]);
            assertArrayEquals(new int[] {2, 64, 768}, out.shape().dims());
        }
    }

    static long peakActivations(HtsatConfig config) {
        Backend meta = Backends.meta();
        MemoryLedger ledger = meta.ledger();
        try (Htsat model = new Htsat(config, meta, 0); var g = GradMode.noGrad();
             Tensor input = Tensor.empty(meta, Shape.of(1, 1001, 64)).untrack()) {
            model.forward(input, LayerConsumer.NONE).close();
            long live = ledger.live(MemoryCategory.ACTIVATIONS);
            ledger.resetPeaks();
            model.forward(input, LayerConsumer.NONE).close();
            return ledger.peak(MemoryCategory.ACTIVATIONS) - live;
        }
    }

    @Test
    void peakActivationMemoryDoesNotDependOnDepth() {
        long real = peakActivations(HtsatConfig.audioSet());
        long shallow = peakActivations(HtsatConfig.audioSet().withDepths("htsat_2222", 2, 2, 2, 2));
        System.out.printf("htsat, batch 1 (1001 frames), no grad, meta backend: peak activations %d bytes (%s); depths 2/2/2/2: %d bytes%n",
                real, MemoryLedger.bytes(real), shallow);
        assertEquals(shallow, real);
    }
}
