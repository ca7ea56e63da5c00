package org.mettle.method;

import java.util.Random;
import org.mettle.autograd.NnOps;
import org.mettle.backend.Backend;
import org.mettle.nn.Init;
import org.mettle.nn.Linear;
import org.mettle.nn.Module;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Tensor;

/**
 * One LAVisH-style adapter (after Lin et al., CVPR 2023; our reading, see docs/method.md) for one block of one
 * modality, applied to the block's output X [B, N, D] given the other modality's current tokens Y [B, M, D_o]:
 * <pre>
 *   G   = Z + Attn(q = Z, k = v = OtherDown(Y))            latents gather the other modality  [B, L, b]
 *   H   = Down(X)                                                                              [B, N, b]
 *   out = X + g * Up(GELU(H + Attn(q = H, k = v = G)))                                         [B, N, D]
 * </pre>
 * Single-head dot-product attention scaled by 1/sqrt(b), no extra q/k/v projections (the down-projections are
 * them). Trainable: {@code latents} Z [L, b], {@code other_down} [b, D_o], {@code down} [b, D], {@code up} [D, b]
 * and the scalar {@code gate} g, which starts at 0 so the backbone's output is unchanged at the start; Up is not
 * zero, so g gets a gradient on the first step and every other tensor from the second on.
 */
public final class LavishAdapter extends Module {
    private final int width;
    private final int otherWidth;
    private final int bottleneck;
    private final int latentCount;
    private final Tensor latents;
    private final Linear otherDown;
    private final Linear down;
    private final Linear up;
    private final Tensor gate;

    public LavishAdapter(Backend backend, Random random, int width, int otherWidth, LavishConfig config) {
        super(backend);
        this.width = width;
        this.otherWidth = otherWidth;
        this.bottleneck = config.bottleneck(width);
        this.latentCount = config.latentTokens();
        latents = parameter("latents", Init.normal(backend, random, 0.02f, latentCount, bottleneck));
        otherDown = child("other_down", new Linear(backend, random, otherWidth, bottleneck, true));
        down = child("down", new Linear(backend, random, width, bottleneck, true));
        up = child("up", new Linear(backend, random, bottleneck, width, true));
        gate = parameter("gate", Init.constant(backend, 0f, 1));
        trainable(true);
    }

    public int width() {
        return width;
    }

    public int otherWidth() {
        return otherWidth;
    }

    public Tensor gate() {
        return gate;
    }

    /** X [B, N, D] and the other modality's tokens Y [B, M, D_o] -> adapted X [B, N, D]. Neither input is closed. */
    public Tensor forward(Tensor x, Tensor other) {
        if (x.rank() != 3 || x.dim(2) != width || other.rank() != 3 || other.dim(2) != otherWidth || other.dim(0) != x.dim(0)) {
            throw new IllegalArgumentException("LAVisH adapter of width " + width + " (other modality " + otherWidth + ") takes tokens [B, N, "
                    + width + "] and [B, M, " + otherWidth + "], got " + x.describeShort() + " and " + other.describeShort());
        }
        int batch = x.dim(0);
        int n = x.dim(1);
        int m = other.dim(1);
        float scale = (float) (1.0 / Math.sqrt(bottleneck));
        try (Scope s = Scope.open()) {
            Tensor keys = otherDown.forward(other).reshape(batch, 1, m, bottleneck);
            Tensor queries = latents.reshape(1, 1, latentCount, bottleneck).expand(batch, 1, latentCount, bottleneck);
            Tensor gathered = queries.add(NnOps.attention(queries, keys, keys, null, null, scale));
            Tensor hidden = down.forward(x).reshape(batch, 1, n, bottleneck);
            Tensor fused = hidden.add(NnOps.attention(hidden, gathered, gathered, null, null, scale));
            Tensor adapted = up.forward(fused.reshape(batch, n, bottleneck).gelu());
            return s.keep(x.add(adapted.mul(gate)));
        }
    }
}
