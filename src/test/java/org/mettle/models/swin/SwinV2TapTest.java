package org.mettle.models.swin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mettle.autograd.GradMode;
import org.mettle.autograd.LinalgOps;
import org.mettle.autograd.NnOps;
import org.mettle.autograd.ShapeOps;
import org.mettle.backend.Backends;
import org.mettle.io.SafetensorsFile;
import org.mettle.models.AttentionTap;
import org.mettle.models.LayerConsumer;
import org.mettle.models.LayerOutput;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;

/** Swin-V2 attention taps: keys and values as recomputed from each block's input; the taps change no output. */
class SwinV2TapTest {
    /** Keeps every layer's tokens and tap tensors beyond the callback. */
    static final class Keeper implements LayerConsumer {
        final List<Tensor> tokens = new ArrayList<>();
        final List<AttentionTap> taps = new ArrayList<>();

        @Override
        public void accept(LayerOutput out) {
            tokens.add(out.tokens().share());
            AttentionTap t = out.attention();
            assertNotNull(t, "a tap was asked for");
            taps.add(new AttentionTap(t.keys().share(), t.values().share(), t.heads(), t.headDim(), t.queryWeight().share(),
                    t.queryBias() == null ? null : t.queryBias().share(), t.outWeight().share(), t.outBias().share(), t.cosine(),
                    t.headScale() == null ? null : t.headScale().share(), t.scale()));
        }

        @Override
        public boolean wantsAttention() {
            return true;
        }

        void close() {
            tokens.forEach(Tensor::close);
            for (AttentionTap t : taps) {
                for (Tensor x : new Tensor[] {t.keys(), t.values(), t.queryWeight(), t.queryBias(), t.outWeight(), t.outBias(), t.headScale()}) {
                    if (x != null) {
                        x.close();
                    }
                }
            }
        }
    }

    @Test
    void tapsHoldTheKeysAndValuesOfEveryTokenAndChangeNothing() {
        String arch = "swinv2_test_window4_64";
        Keeper keeper = new Keeper();
        try (SwinTransformerV2 model = (SwinTransformerV2) SwinModels.create(arch, Backends.cpu(), 7);
             SafetensorsFile io = SafetensorsFile.open(Golden.path("swin", arch + ".io.safetensors"));
             Scope scope = Scope.open(); var g = GradMode.noGrad()) {
            model.load(Golden.path("swin", arch + ".weights.safetensors"));
            Tensor out = model.forward(Golden.tensor(io, "input"), keeper);
            Golden.assertClose("output with taps", out, io, "output", 1e-5);
            Map<String, Tensor> p = model.namedParameters();
            int layer = 0;
            StringBuilder report = new StringBuilder("Swin-V2 tap errors:");
            for (int s = 0; s < 4; s++) {
                for (int b = 0; b < 2; b++, layer++) {
                    Golden.assertClose("layer " + layer + " with taps", keeper.tokens.get(layer), io, "layer." + layer, 1e-5);
                    AttentionTap tap = keeper.taps.get(layer);
                    String prefix = "layers." + s + ".blocks." + b + ".attn.";
                    int heads = model.config().heads()[s];
                    int dim = model.config().stageDim(s);
                    assertTrue(tap.cosine());
                    assertEquals(heads, tap.heads());
                    assertEquals(dim / heads, tap.headDim());
                    float[] logit = p.get(prefix + "logit_scale").toFloatArray();
                    float[] scale = tap.headScale().toFloatArray();
                    for (int h = 0; h < heads; h++) {
                        assertEquals(Math.exp(Math.min(logit[h], Math.log(100))), scale[h], 1e-6 * scale[h], "head scale " + h);
                    }
                    try (Tensor wq = p.get(prefix + "qkv.weight").slice(0, 0, dim)) {
                        assertArrayEquals(wq.toFloatArray(), tap.queryWeight().toFloatArray(), "query weight = first third of qkv");
                    }
                    assertArrayEquals(p.get(prefix + "q_bias").toFloatArray(), tap.queryBias().toFloatArray());
                    assertArrayEquals(p.get(prefix + "proj.weight").toFloatArray(), tap.outWeight().toFloatArray());
                    if (b == 0) {
                        continue; // the input of a stage's first block is the merged (or embedded) tokens, not a layer output
                    }
                    Tensor input = keeper.tokens.get(layer - 1);
                    Tensor[] kv = keysAndValues(input, p, prefix, heads);
                    double err = TapCheck.assertSamePairs("layer " + layer, tap.keys(), tap.values(), kv[0], kv[1], layer);
                    report.append(String.format(" L%d=%.1e", layer, err));
                }
            }
            System.out.println(report);
        } finally {
            keeper.close();
        }
    }

    /** L2-normalised keys and values [B, H, L, d] of tokens x [B, L, C] in natural order, straight from the weights. */
    static Tensor[] keysAndValues(Tensor x, Map<String, Tensor> p, String prefix, int heads) {
        int b = x.dim(0);
        int l = x.dim(1);
        int c = x.dim(2);
        Tensor zeros = Tensor.zeros(Backends.cpu(), Shape.of(c));
        Tensor bias = ShapeOps.cat(0, p.get(prefix + "q_bias"), zeros, p.get(prefix + "v_bias"));
        Tensor qkv = LinalgOps.linear(x, p.get(prefix + "qkv.weight"), bias);
        Tensor parts = qkv.reshape(b, l, 3, heads, c / heads).permute(2, 0, 3, 1, 4);
        Tensor k = parts.slice(0, 1, 2).reshape(b, heads, l, c / heads);
        Tensor v = parts.slice(0, 2, 3).reshape(b, heads, l, c / heads);
        return new Tensor[] {NnOps.l2Normalize(k, 1e-12f), v};
    }

    @Test
    void fullSizeForwardWithTapsOnMeta() {
        try (SwinTransformerV2 model = (SwinTransformerV2) SwinModels.create("swinv2_large_window12_192", Backends.meta(), 0);
             Scope scope = Scope.open(); var g = GradMode.noGrad()) {
            int[] seen = {0};
            LayerConsumer check = new LayerConsumer() {
                @Override
                public void accept(LayerOutput out) {
                    int layer = out.layer();
                    int stage = layer < 2 ? 0 : layer < 4 ? 1 : layer < 22 ? 2 : 3;
                    int res = 48 >> stage;
                    int dim = 192 << stage;
                    int heads = model.config().heads()[stage];
                    assertEquals(dim, model.layerWidth(layer));
                    assertArrayEquals(new int[] {2, res * res, dim}, out.tokens().shape().dims(), "layer " + layer);
                    AttentionTap t = out.attention();
                    assertArrayEquals(new int[] {2, heads, res * res, dim / heads}, t.keys().shape().dims(), "keys of layer " + layer);
                    assertArrayEquals(t.keys().shape().dims(), t.values().shape().dims());
                    assertArrayEquals(new int[] {dim, dim}, t.queryWeight().shape().dims());
                    assertArrayEquals(new int[] {heads}, t.headScale().shape().dims());
                    seen[0]++;
                }

                @Override
                public boolean wantsAttention() {
                    return true;
                }
            };
            Tensor out = model.forward(Tensor.empty(Backends.meta(), Shape.of(2, 3, 192, 192)), check);
            assertEquals(24, seen[0]);
            assertArrayEquals(new int[] {2, 36, 1536}, out.shape().dims());
        }
    }
}
