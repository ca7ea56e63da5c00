package org.mettle.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.memory.MemoryLedger;
import org.mettle.models.htsat.HtsatModels;
import org.mettle.models.swin.SwinModels;
import org.mettle.models.vit.VisionTransformer;
import org.mettle.models.vit.VitConfig;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Tensor;

/** The block cursor of each backbone: same tokens as the streaming forward, replaceable tokens, clear misuse errors, no leaks. */
class BlockCursorTest {
    private static List<Backbone> backbones(Backend be) {
        return List.of(new VisionTransformer(VitConfig.named("vit_test_patch8_32"), be, 3), SwinModels.create("swinv2_test_window4_64", be, 4),
                HtsatModels.create("htsat_test", be, 5));
    }

    private static int[] inputShape(Backbone b) {
        if (b instanceof VisionTransformer v) {
            return v.config().inputShape(2).dims();
        }
        return b.arch().startsWith("htsat") ? HtsatModels.inputShape(b.arch(), 2) : SwinModels.inputShape(b.arch(), 2);
    }

    @Test
    void steppingGivesTheForwardsTokensAndReplacementsFeedTheNextBlock() {
        Backend be = Backends.cpu();
        for (Backbone b : backbones(be)) {
            try (b; Scope s = Scope.open()) {
                Tensor input = Tensor.randn(be, new Random(7), 1f, inputShape(b));
                List<float[]> streamed = new ArrayList<>();
                float[] plain = b.forward(input, out -> streamed.add(out.tokens().toFloatArray())).toFloatArray();
                try (BlockCursor c = b.start(input, false)) {
                    assertEquals(b.layerCount(), c.layerCount());
                    while (c.hasNext()) {
                        int layer = c.layer();
                        LayerOutput out = c.next();
                        assertEquals(layer, out.layer());
                        assertEquals(3, out.tokens().rank(), b.arch() + ": tokens are [B, N, D]");
                        assertEquals(b.layerWidth(layer), out.tokens().dim(2), b.arch() + " layer " + layer);
                        // 1e-5: the CPU kernels' threaded reductions may differ in the last bit between runs
                        assertArrayEquals(streamed.get(layer), out.tokens().toFloatArray(), 1e-5f, b.arch() + " layer " + layer);
                        assertTrue(out.tokens() == c.tokens(), "the block output is the current tokens");
                    }
                    assertArrayEquals(plain, c.finish().toFloatArray(), 1e-5f, b.arch() + " final tokens");
                }
                // doubling the tokens after block 0 must change everything downstream (the replacement is really used)
                try (BlockCursor c = b.start(input, false)) {
                    c.next();
                    c.replaceTokens(c.tokens().mul(2f));
                    while (c.hasNext()) {
                        c.next();
                    }
                    float[] changed = c.finish().toFloatArray();
                    double diff = 0;
                    for (int i = 0; i < plain.length; i++) {
                        diff += Math.abs(changed[i] - plain[i]);
                    }
                    assertTrue(diff > 1e-3 * plain.length, b.arch() + ": replaced tokens reach the output");
                }
            }
        }
    }

    @Test
    void misuseIsExplainedAndNothingLeaks() {
        Backend meta = Backends.meta();
        MemoryLedger ledger = MemoryLedger.of(meta.device());
        for (Backbone b : backbones(meta)) {
            try (b; Scope s = Scope.open()) {
                Tensor input = Tensor.empty(meta, org.mettle.tensor.Shape.of(inputShape(b)));
                b.forward(input, LayerConsumer.NONE).close(); // builds the lazily cached constants (position biases) first
                long live = ledger.liveTotal();
                try (BlockCursor c = b.start(input, true)) {
                    LayerOutput first = c.next();
                    assertTrue(first.attention() != null, b.arch() + ": taps when asked");
                    try (Tensor wrong = Tensor.empty(meta, org.mettle.tensor.Shape.of(1, 2, 3))) {
                        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class, () -> c.replaceTokens(wrong));
                        assertTrue(shape.getMessage().contains("must keep the shape"), shape.getMessage());
                    }
                    c.next();
                }
                assertEquals(live, ledger.liveTotal(), b.arch() + ": closing a cursor midway releases its tokens and taps");
                try (BlockCursor c = b.start(input, false)) {
                    while (c.hasNext()) {
                        c.next();
                    }
                    IllegalStateException end = assertThrows(IllegalStateException.class, c::next);
                    assertTrue(end.getMessage().contains("call finish()"), end.getMessage());
                    c.finish().close();
                    assertThrows(IllegalStateException.class, c::tokens);
                }
                assertEquals(live, ledger.liveTotal(), b.arch() + ": a finished cursor holds nothing");
            }
        }
    }
}
