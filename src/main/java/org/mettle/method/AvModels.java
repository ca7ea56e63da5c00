package org.mettle.method;

import java.util.List;
import java.util.Locale;
import org.mettle.models.Backbone;

/** Builds an {@link AvModel} by its command-line method name. */
public final class AvModels {
    /** Every method name {@link #create} accepts, in the order tables list them. */
    public static final List<String> METHODS = List.of("mettle", "lavish", "full", "linear", "backprop-bound");

    private AvModels() {}

    /**
     * What a method needs besides the backbones: LCD options (Mettle; its common width D_c is every method's), LAVisH's
     * adapter options (its own common width is replaced by the LCD's, so all methods share one D_c), the frames'
     * [rows, 3, H, W] and features' [rows, frames, mel] shapes (input prompts), the parameter seed.
     */
    public record Options(LcdConfig lcd, LavishConfig lavish, int[] frameShape, int[] melShape, long seed) {
        /** With LAVisH's defaults. */
        public Options(LcdConfig lcd, int[] frameShape, int[] melShape, long seed) {
            this(lcd, LavishConfig.defaults(), frameShape, melShape, seed);
        }
    }

    /**
     * The model of {@code method} over the two backbones. Every method but {@code full} freezes the backbones first;
     * {@code full} makes them trainable. The backbones stay owned by the caller.
     */
    public static AvModel create(String method, Task task, Backbone visual, Backbone audio, Options o) {
        String m = method.toLowerCase(Locale.ROOT);
        PooledBaseline.Kind kind = PooledBaseline.Kind.byName(m);
        if (kind != PooledBaseline.Kind.FULL) {
            visual.module().trainable(false);
            audio.module().trainable(false);
        }
        if (m.equals("mettle")) {
            return new MettleModel(task, visual, audio, o.lcd(), o.seed());
        }
        if (kind != null) {
            return new PooledBaseline(kind, task, visual, audio, o.frameShape(), o.melShape(), o.lcd().commonWidth(), o.seed());
        }
        if (m.equals("lavish")) {
            return new LavishModel(task, visual, audio, o.lavish().withCommonWidth(o.lcd().commonWidth()), o.seed());
        }
        throw new IllegalArgumentException("unknown --method '" + method + "'; known: " + String.join(", ", METHODS));
    }
}
