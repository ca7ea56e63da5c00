package org.mettle.models.vit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.mettle.autograd.GradMode;
import org.mettle.autograd.LinalgOps;
import org.mettle.autograd.NnOps;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.memory.MemoryCategory;
import org.mettle.memory.MemoryLedger;
import org.mettle.models.AttentionTap;
import org.mettle.models.LayerConsumer;
import org.mettle.models.LayerOutput;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;

/** Streaming forward: constant peak activation memory over depth, layer order, attention taps, autograd. */
class VitStreamingTest {
    static final VitConfig TINY = VitConfig.named("vit_test_patch8_32");

    /** Peak ACTIVATIONS and WORKSPACE bytes above the level before a no-grad forward; checks nothing leaked. */
    static long[] forwardPeaks(VitConfig config, Backend backend, int batch) {
        try (VisionTransformer model = new VisionTransformer(config, backend, 5);
             Tensor x = Tensor.randn(backend, new Random(6), 1f, config.inputShape(batch).dims()).untrack();
             var noGrad = GradMode.noGrad()) {
            MemoryLedger ledger = backend.ledger();
            long act = ledger.live(MemoryCategory.ACTIVATIONS);
            long work = ledger.live(MemoryCategory.WORKSPACE);
            ledger.resetPeaks();
            int[] seen = {0};
            model.forward(x, o -> seen[0]++).close();
            assertEquals(config.depth(), seen[0]);
            assertEquals(act, ledger.live(MemoryCategory.ACTIVATIONS), "activations leaked by the forward");
            assertEquals(work, ledger.live(MemoryCategory.WORKSPACE), "workspace leaked by the forward");
            return new long[] {ledger.peak(MemoryCategory.ACTIVATIONS) - act, ledger.peak(MemoryCategory.WORKSPACE) - work};
        }
    }

    @Test
    void noGradPeakActivationsDoNotGrowWithDepth() {
        long[] cpu4 = forwardPeaks(TINY.withDepth(4), Backends.cpu(), 2);
        long[] cpu12 = forwardPeaks(TINY.withDepth(12), Backends.cpu(), 2);
        long[] meta4 = forwardPeaks(TINY.withDepth(4), Backends.meta(), 2);
        long[] meta12 = forwardPeaks(TINY.withDepth(12), Backends.meta(), 2);
        assertTrue(cpu4[0] > 0);
        assertArrayEquals(cpu4, cpu12, "peak activation/workspace bytes, depth 4 vs 12 (cpu)");
        assertArrayEquals(cpu4, meta4, "the meta backend plans exactly what the cpu allocates");
        assertArrayEquals(meta4, meta12, "peak activation/workspace bytes, depth 4 vs 12 (meta)");
        // a few token tensors, not one per layer: input tokens, the residual and the two MLP hidden tensors dominate
        long tokenBytes = 2L * TINY.tokens() * TINY.dim() * 4;
        assertTrue(cpu4[0] <= 12 * tokenBytes, "peak " + cpu4[0] + " bytes vs token tensor " + tokenBytes);
    }

    @Test
    void everyNamedConfigRunsOnTheMetaBackendWithTheRightTokenCount() {
        int[][] expected = {{197, 192}, {197, 384}, {197, 768}, {197, 1024}, {2 + 12 * 101, 768}};
        String[] names = {"vit_tiny_patch16_224", "vit_small_patch16_224", "vit_base_patch16_224", "vit_large_patch16_224",
            "ast_base_patch16_128x1024"};
        for (int i = 0; i < names.length; i++) {
            VitConfig c = VitConfig.named(names[i]);
            try (VisionTransformer model = new VisionTransformer(c, Backends.meta(), 0);
                 Tensor x = Tensor.empty(Backends.meta(), c.inputShape(2)).untrack();
                 var noGrad = GradMode.noGrad();
                 Tensor out = model.forward(x, LayerConsumer.NONE)) {
                assertEquals(Shape.of(2, expected[i][0], expected[i][1]), out.shape(), names[i]);
            }
        }
        assertEquals(Shape.of(2, 1024, 128), VitConfig.named("ast_base_patch16_128x1024").inputShape(2));
    }

    @Test
    void consumerSeesEveryLayerInOrderAndTapsHoldTheBlocksKeysAndValues() {
        Backend cpu = Backends.cpu();
        int batch = 2;
        int n = TINY.tokens();
        int d = TINY.dim();
        int h = TINY.heads();
        int hd = TINY.headDim();
        try (VisionTransformer model = new VisionTransformer(TINY, cpu, 7);
             Tensor x = Tensor.randn(cpu, new Random(8), 1f, TINY.inputShape(batch).dims()).untrack();
             var noGrad = GradMode.noGrad()) {
            Map<String, Tensor> p = model.namedParameters();
            List<Tensor> kept = new ArrayList<>();
            List<AttentionTap> taps = new ArrayList<>();
            MemoryLedger ledger = cpu.ledger();
            long before = ledger.live(MemoryCategory.ACTIVATIONS);
            Tensor[] blockInput = {model.embed(x).untrack()};
            LayerConsumer consumer = new LayerConsumer() {
                @Override
                public void accept(LayerOutput o) {
                    int i = o.layer();
                    assertEquals(kept.size(), i, "layer order");
                    assertEquals(Shape.of(batch, n, d), o.tokens().shape());
                    AttentionTap tap = o.attention();
                    assertNotNull(tap, "tap requested but missing at layer " + i);
                    taps.add(tap);
                    assertEquals(Shape.of(batch, h, n, hd), tap.keys().shape());
                    assertEquals(Shape.of(batch, h, n, hd), tap.values().shape());
                    assertEquals(h, tap.heads());
                    assertEquals(hd, tap.headDim());
                    assertFalse(tap.cosine());
                    assertNull(tap.headScale());
                    assertEquals((float) (1 / Math.sqrt(hd)), tap.scale());
                    String b = "blocks." + i + ".";
                    float[] qkvW = p.get(b + "attn.qkv.weight").toFloatArray();
                    float[] qkvB = p.get(b + "attn.qkv.bias").toFloatArray();
                    assertArrayEquals(java.util.Arrays.copyOf(qkvW, d * d), tap.queryWeight().toFloatArray(), "query weight = first third of qkv");
                    assertArrayEquals(java.util.Arrays.copyOf(qkvB, d), tap.queryBias().toFloatArray(), "query bias");
                    assertEquals(Shape.of(d, d), tap.queryWeight().shape());
                    assertSame(p.get(b + "attn.proj.weight"), tap.outWeight());
                    assertSame(p.get(b + "attn.proj.bias"), tap.outBias());
                    // recompute k and v from the block input: norm1 -> qkv -> [B, N, 3, H, d] -> [3, B, H, N, d]
                    try (Scope s = Scope.open()) {
                        Tensor normed = NnOps.layerNorm(blockInput[0], p.get(b + "norm1.weight"), p.get(b + "norm1.bias"), 1e-6f);
                        Tensor qkv = LinalgOps.linear(normed, p.get(b + "attn.qkv.weight"), p.get(b + "attn.qkv.bias"));
                        float[] heads = qkv.reshape(batch, n, 3, h, hd).permute(2, 0, 3, 1, 4).toFloatArray();
                        int part = batch * h * n * hd;
                        assertArrayEquals(java.util.Arrays.copyOfRange(heads, part, 2 * part), tap.keys().toFloatArray(), 1e-6f, "keys of layer " + i);
                        assertArrayEquals(java.util.Arrays.copyOfRange(heads, 2 * part, 3 * part), tap.values().toFloatArray(), 1e-6f, "values of layer " + i);
                    }
                    blockInput[0].close();
                    blockInput[0] = o.tokens().share();
                    kept.add(o.tokens().share());
                }

                @Override
                public boolean wantsAttention() {
                    return true;
                }
            };
            float[] withTaps;
            try (Tensor out = model.forward(x, consumer)) {
                withTaps = out.toFloatArray();
            }
            blockInput[0].close();
            assertEquals(TINY.depth(), kept.size());
            for (AttentionTap t : taps) {
                assertTrue(t.keys().isClosed() && t.values().isClosed() && t.queryWeight().isClosed(), "taps are released after the callback");
            }
            // the layers kept by the consumer are the only activations left
            long keptBytes = kept.stream().mapToLong(Tensor::bytes).sum();
            assertEquals(before + keptBytes, ledger.live(MemoryCategory.ACTIVATIONS));
            kept.forEach(Tensor::close);
            assertEquals(before, ledger.live(MemoryCategory.ACTIVATIONS));
            try (Tensor plain = model.forward(x, LayerConsumer.NONE)) {
                assertArrayEquals(plain.toFloatArray(), withTaps, "taps do not change the forward");
            }
        }
    }

    /** Baselines train through the backbone: the eager frees must not break autograd (finite-difference check). */
    @Test
    void gradientsFlowThroughTheStreamedForward() {
        Backend cpu = Backends.cpu();
        VitConfig c = TINY.withDepth(2);
        try (VisionTransformer model = new VisionTransformer(c, cpu, 11);
             Tensor x = Tensor.randn(cpu, new Random(12), 1f, c.inputShape(1).dims()).untrack();
             Tensor w = Tensor.randn(cpu, new Random(13), 1f, 1, c.tokens(), c.dim()).untrack()) {
            model.trainable(true);
            try (Scope s = Scope.open()) {
                model.forward(x, LayerConsumer.NONE).mul(w).sum().backward();
            }
            String[] names = {"blocks.0.attn.qkv.weight", "pos_embed", "patch_embed.proj.weight", "blocks.1.mlp.fc1.bias"};
            for (String name : names) {
                Tensor param = model.namedParameters().get(name);
                assertNotNull(param.grad(), name + " got no gradient");
                float[] grad = param.grad().toFloatArray();
                float[] values = param.toFloatArray();
                int at = values.length / 3;
                double eps = 1e-2;
                double[] f = new double[2];
                for (int side = 0; side < 2; side++) {
                    float[] moved = values.clone();
                    moved[at] += (float) (side == 0 ? eps : -eps);
                    cpu.write(param, moved);
                    try (Scope s = Scope.open(); var noGrad = GradMode.noGrad()) {
                        f[side] = model.forward(x, LayerConsumer.NONE).mul(w).sum().item();
                    }
                }
                cpu.write(param, values);
                double numeric = (f[0] - f[1]) / (2 * eps);
                assertEquals(numeric, grad[at], 2e-2 * Math.max(1, Math.abs(numeric)), name + "[" + at + "]");
            }
            model.zeroGrad();
        }
    }
}
