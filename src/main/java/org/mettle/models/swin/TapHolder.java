package org.mettle.models.swin;

import java.util.ArrayList;
import java.util.List;
import org.mettle.models.AttentionTap;
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
