package org.mettle.method;

import java.util.Random;
import org.mettle.autograd.LinalgOps;
import org.mettle.autograd.NnOps;
import org.mettle.backend.Backend;
import org.mettle.models.AttentionTap;
import org.mettle.nn.Init;
import org.mettle.nn.LayerNorm;
import org.mettle.nn.Linear;
import org.mettle.nn.Module;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;

/**
 * LCD for one backbone layer (DESIGN §5). Trainable: {@code meta_tokens} Z [K, D], {@code norm} (LayerNorm on Z),
 * {@code down} [D/r, D] and {@code up} [D, D/r] (zero-initialised, so A starts at 0) and {@code proj} [D_c, D].
 *
 * <p>Knowledge preservation P: queries LN(Z) W_q^T + b_q through the layer's frozen query projection (for cosine
 * attention L2-normalised and multiplied by the layer's per-head logit scale), attending over the layer's own keys
 * and values of all N tokens, merged heads through the frozen W_o. No position bias (the meta queries have no
 * position). Adaptation A = Up(GELU(Down(Z + P))); output (Z + P + A) projected to D_c: [B, K, D_c].
 */
public final class LcdLayer extends Module {
    private static final float NORM_EPS = 1e-5f;
    private static final float NORMALIZE_EPS = 1e-12f;

    private final int width;
    private final int tokens;
    private final Tensor metaTokens;
    private final LayerNorm norm;
    private final Linear down;
    private final Linear up;
    private final Linear proj;

    public LcdLayer(Backend backend, Random random, int width, LcdConfig config) {
        super(backend);
        this.width = width;
        this.tokens = config.metaTokens();
        int hidden = Math.max(1, width / config.bottleneckRatio());
        metaTokens = parameter("meta_tokens", Init.normal(backend, random, 0.02f, tokens, width));
        norm = child("norm", new LayerNorm(backend, width, NORM_EPS));
        down = child("down", new Linear(backend, random, width, hidden, true));
        up = child("up", new Linear(backend, random, hidden, width, true));
        backend.fill(up.weight(), 0f);
        backend.fill(up.bias(), 0f);
        proj = child("proj", new Linear(backend, random, width, config.commonWidth(), true));
        trainable(true);
    }

    public int width() {
        return width;
    }

    public Tensor metaTokens() {
        return metaTokens;
    }

    public Linear up() {
        return up;
    }

    /** The distilled tokens [B, K, D_c] of this layer, B the tap's batch. Records a graph when grad mode is on. */
    public Tensor forward(AttentionTap tap) {
        Tensor keys = tap.keys();
        int batch = keys.dim(0);
        int heads = tap.heads();
        int headDim = tap.headDim();
        if (tap.outWeight().dim(0) != width || tap.queryWeight().dim(1) != width) {
            throw new IllegalArgumentException("LCD layer of width " + width + " got a tap with W_q " + tap.queryWeight().describeShort()
                    + " and W_o " + tap.outWeight().describeShort() + "; the layer selection and the backbone do not match");
        }
        try (Scope s = Scope.open()) {
            Tensor normed = norm.forward(metaTokens);
            Tensor q = LinalgOps.linear(normed, tap.queryWeight(), tap.queryBias());
            Tensor perHead = q.reshape(tokens, heads, headDim).permute(1, 0, 2);
            float scale = tap.scale();
            if (tap.cosine()) {
                Tensor unit = NnOps.l2Normalize(perHead, NORMALIZE_EPS);
                perHead = unit.mul(tap.headScale().viewAs(Shape.of(heads, 1, 1)));
                scale = 1f;
            }
            Tensor queries = perHead.reshape(1, heads, tokens, headDim).expand(batch, heads, tokens, headDim);
            Tensor attended = NnOps.attention(queries, keys, tap.values(), null, null, scale);
            Tensor merged = attended.permute(0, 2, 1, 3).reshape(batch, tokens, heads * headDim);
            Tensor preserved = LinalgOps.linear(merged, tap.outWeight(), tap.outBias());
            Tensor x = preserved.add(metaTokens);
            Tensor adapted = up.forward(down.forward(x).gelu());
            return s.keep(proj.forward(x.add(adapted)));
        }
    }
}
