package org.mettle.method;

import java.util.Random;
import org.mettle.backend.Backend;
import org.mettle.models.Backbone;
import org.mettle.models.htsat.HtsatModels;
import org.mettle.models.swin.SwinModels;
import org.mettle.tensor.Tensor;

/** Tiny frozen backbones and random per-segment inputs for the method tests. */
final class TinyMettle {
    static final String VISUAL = "swinv2_test_window4_64";
    static final String AUDIO = "htsat_test";
    /** Log-mel frames of one second for htsat_test (a tenth of its 10 s input). */
    static final int AUDIO_FRAMES = 25;

    private TinyMettle() {}

    static Backbone visual(Backend be) {
        Backbone b = SwinModels.create(VISUAL, be, 11);
        b.module().trainable(false);
        return b;
    }

    static Backbone audio(Backend be) {
        Backbone b = HtsatModels.create(AUDIO, be, 12);
        b.module().trainable(false);
        return b;
    }

    static int[] frameShape(int rows) {
        return new int[] {rows, 3, 64, 64};
    }

    static int[] melShape(int rows) {
        return new int[] {rows, AUDIO_FRAMES, HtsatModels.config(AUDIO).melBins()};
    }

    static Tensor frames(Backend be, Random random, int rows) {
        return Tensor.randn(be, random, 1f, rows, 3, 64, 64);
    }

    static Tensor logMel(Backend be, Random random, int rows) {
        return Tensor.randn(be, random, 1f, rows, AUDIO_FRAMES, HtsatModels.config(AUDIO).melBins());
    }
}
