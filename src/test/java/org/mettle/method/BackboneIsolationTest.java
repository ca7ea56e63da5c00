package org.mettle.method;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.memory.MemoryCategory;
import org.mettle.memory.MemoryLedger;
import org.mettle.models.Backbone;
import org.mettle.models.htsat.Htsat;
import org.mettle.models.htsat.HtsatConfig;
import org.mettle.models.htsat.HtsatModels;
import org.mettle.models.swin.SwinModels;
import org.mettle.models.swin.SwinTransformerV2;
import org.mettle.models.swin.SwinV2Config;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Tensor;
import org.mettle.train.AdamW;

/**
 * Under Mettle no gradient and no saved tensor reaches a backbone: backbone parameters never get a gradient, the
 * ledger's SAVED bytes after the forward are exactly what the LCD branches keep (computed here tensor by tensor),
 * and they do not change when the backbone gets deeper at an equal number of LCD layers.
 */
class BackboneIsolationTest {
    private static final int K = 2;
    private static final int RATIO = 2;
    private static final int DC = 8;
    private static final LcdConfig LAST_TWO = new LcdConfig(K, LayerSelection.last(2), RATIO, DC);

    @Test
    void backboneParametersGetNoGradient() {
        Backend be = Backends.cpu();
        Random random = new Random(41);
        try (Backbone visual = TinyMettle.visual(be); Backbone audio = TinyMettle.audio(be);
             MettleModel model = new MettleModel(Task.AVE, visual, audio, new LcdConfig(2, LayerSelection.all(), 2, 8), 1);
             Scope s = Scope.open(); AdamW opt = new AdamW(model.trainableParameters(), 1e-3f, 0f)) {
            Tensor labels = Tensor.ofInts(new int[] {1, 2}, 2);
            for (boolean lowMemory : new boolean[] {false, true}) {
                model.trainStep(opt, TinyMettle.frames(be, random, 2), TinyMettle.logMel(be, random, 2), labels, 1, 2, lowMemory);
                for (Backbone b : List.of(visual, audio)) {
                    for (Map.Entry<String, Tensor> e : b.module().namedParameters().entrySet()) {
                        assertFalse(e.getValue().requiresGrad(), b.arch() + " " + e.getKey() + " must stay frozen");
                        assertNull(e.getValue().grad(), b.arch() + " " + e.getKey() + " got a gradient");
                    }
                }
                for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
                    assertFalse(e.getValue().grad() == null, "LCD/head parameter " + e.getKey() + " got no gradient");
                }
            }
        }
    }

    @Test
    void savedBytesAreExactlyWhatLcdKeepsAndIndependentOfDepth() {
        Backend meta = Backends.meta();
        int rows = 3;
        SwinV2Config swin = SwinModels.config(TinyMettle.VISUAL);
        HtsatConfig htsat = HtsatModels.config(TinyMettle.AUDIO);
        long[] visualSaved = new long[2];
        long[] audioSaved = new long[2];
        int[][] swinDepths = {{2, 2, 2, 2}, {2, 2, 8, 2}};
        int[][] htsatDepths = {{2, 2, 2, 2}, {2, 4, 6, 2}};
        for (int variant = 0; variant < 2; variant++) {
            try (Backbone visual = new SwinTransformerV2(swin.withDepths("swin_depth" + variant, swinDepths[variant]), meta, 1);
                 Backbone audio = new Htsat(htsat.withDepths("htsat_depth" + variant, htsatDepths[variant]), meta, 2)) {
                visualSaved[variant] = savedByDistill(visual, Tensor.empty(meta, org.mettle.tensor.Shape.of(rows, 3, 64, 64)));
                audioSaved[variant] = savedByDistill(audio, Tensor.empty(meta, org.mettle.tensor.Shape.of(rows, TinyMettle.AUDIO_FRAMES, htsat.melBins())));
            }
        }
        // the last two layers are in the last stage in every variant: 2x2 tokens of width 64 with 4 heads
        int lastRes = swin.stageResolution(3);
        long expectedVisual = 2 * lcdLayerSaved(rows, lastRes * lastRes, swin.stageDim(3), swin.heads()[3], true);
        int audioRes = htsat.stageResolution(3);
        long expectedAudio = 2 * lcdLayerSaved(rows, audioRes * audioRes, htsat.stageDim(3), htsat.heads()[3], false);
        assertEquals(expectedVisual, visualSaved[0], "Swin-V2: SAVED bytes = the LCD branches' keys, values and small tensors");
        assertEquals(expectedVisual, visualSaved[1], "Swin-V2: a deeper backbone must not add saved bytes");
        assertEquals(expectedAudio, audioSaved[0], "HTS-AT: SAVED bytes = the LCD branches' keys, values and small tensors");
        assertEquals(expectedAudio, audioSaved[1], "HTS-AT: a deeper backbone must not add saved bytes");
    }

    /** SAVED bytes held by the graph of one LCD distill (and the ACTIVATIONS left: only the returned average). */
    private static long savedByDistill(Backbone backbone, Tensor input) {
        backbone.module().trainable(false);
        MemoryLedger ledger = MemoryLedger.of(backbone.module().backend().device());
        try (Lcd lcd = new Lcd(backbone.module().backend(), new Random(3), backbone, LAST_TWO); Scope s = Scope.open()) {
            long savedBefore = ledger.live(MemoryCategory.SAVED);
            long activationsBefore = ledger.live(MemoryCategory.ACTIVATIONS);
            Tensor m = lcd.distill(backbone, input);
            long saved = ledger.live(MemoryCategory.SAVED) - savedBefore;
            assertEquals(m.bytes(), ledger.live(MemoryCategory.ACTIVATIONS) - activationsBefore,
                    backbone.arch() + ": only the distilled tokens stay live as activations");
            org.mettle.autograd.Autograd.releaseGraph(m);
            assertEquals(savedBefore, ledger.live(MemoryCategory.SAVED), "releasing the graph frees every saved byte");
            return saved;
        } finally {
            input.close();
        }
    }

    /**
     * What one LCD layer's backward keeps, in bytes, for rows images of n tokens of width d with h heads: LayerNorm
     * mean and rstd [K]; for cosine queries the pre-normalisation queries [H, K, d / H]; attention q, out [rows, H, K, d / H],
     * the layer's keys and values [rows, H, n, d / H] and row statistics [rows, H, K]; Down's input and Proj's input
     * [rows, K, d]; GELU's input and Up's input [rows, K, d / r]. Frozen weights are shared, not copied.
     */
    private static long lcdLayerSaved(int rows, int n, int d, int heads, boolean cosine) {
        long floats = 2L * K
                + (cosine ? (long) K * d : 0)
                + 2L * rows * K * d
                + 2L * rows * n * d
                + (long) rows * heads * K
                + 2L * rows * K * d
                + 2L * rows * K * (d / RATIO);
        return floats * 4;
    }
}
