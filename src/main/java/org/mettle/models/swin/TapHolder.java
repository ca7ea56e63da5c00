package org.mettle.models.swin;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.mettle.models.AttentionTap;
import org.mettle.models.StreamingCursor;
import org.mettle.tensor.Tensor;

/**
 * Collects one block's {@link AttentionTap} and the tensors it lends, outside any scope, so the consumer may open
 * and close its own scopes freely during the callback; {@link #close()} releases them afterwards.
 */
public final class TapHolder implements AutoCloseable {
    private final List<Tensor> owned = new ArrayList<>();
    private AttentionTap tap;

    /** Takes ownership of t (it leaves every open scope) until {@link #close()}. */
    public Tensor own(Tensor t) {
        if (t != null) {
            t.untrack();
            owned.add(t);
        }
        return t;
    }

    public void set(AttentionTap tap) {
        this.tap = tap;
    }

    public AttentionTap tap() {
        return tap;
    }

    /**
     * One windowed block as a cursor step: runs {@code block} with a fresh holder when a tap is wanted (null
     * otherwise), in its own parameter scope; the holder is released by the step, or at once when the block fails.
     */
    public static StreamingCursor.Step step(boolean wantTap, Function<TapHolder, Tensor> block) {
        TapHolder tap = wantTap ? new TapHolder() : null;
        try {
            Tensor y = SwinParams.scoped(() -> block.apply(tap));
            return new StreamingCursor.Step(y, tap == null ? null : tap.tap(), tap == null ? null : tap::close);
        } catch (RuntimeException | Error e) {
            if (tap != null) {
                tap.close();
            }
            throw e;
        }
    }

    /** {stage, index within the stage} of a block index over all stages of {@code blocks}. */
    public static int[] stageAndIndex(Object[][] blocks, int layer, String arch) {
        int rest = layer;
        for (int s = 0; s < blocks.length; s++) {
            if (rest < blocks[s].length) {
                return new int[] {s, rest};
            }
            rest -= blocks[s].length;
        }
        throw new IndexOutOfBoundsException("layer " + layer + " of " + arch + " (it has " + (layer - rest) + ")");
    }

    /**
     * Per-window heads [B * nW, H, N, d] (windows image-major) to per-image heads over all tokens [B, H, nW * N, d];
     * the token order inside is the (shifted) window order, which a global query does not see.
     */
    public static Tensor windowsToImage(Tensor perWindow, int batch) {
        int nw = perWindow.dim(0) / batch;
        int h = perWindow.dim(1);
        int n = perWindow.dim(2);
        int d = perWindow.dim(3);
        Tensor split = perWindow.reshape(batch, nw, h, n, d);
        Tensor moved = split.permute(0, 2, 1, 3, 4);
        split.close();
        Tensor out = moved.reshape(batch, h, nw * n, d);
        moved.close();
        return out;
    }

    @Override
    public void close() {
        for (Tensor t : owned) {
            t.close();
        }
        owned.clear();
        tap = null;
    }
}
