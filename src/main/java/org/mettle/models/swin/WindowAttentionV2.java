package org.mettle.models.swin;

import java.util.Random;
import org.mettle.autograd.GradMode;
import org.mettle.autograd.LinalgOps;
import org.mettle.autograd.NnOps;
import org.mettle.autograd.ShapeOps;
import org.mettle.backend.Backend;
import org.mettle.models.AttentionTap;
import org.mettle.nn.Init;
import org.mettle.nn.Linear;
import org.mettle.nn.Module;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;

/**
 * Swin-V2 window attention (timm's WindowAttention): scaled cosine attention, logits = cos(q, k) *
 * exp(min(logit_scale, log 100)) per head, plus a continuous position bias 16 * sigmoid(cpb_mlp(log-spaced relative
 * coordinates)) and, for shifted windows, the region mask. Names: {@code logit_scale} [H, 1, 1], {@code q_bias},
 * {@code v_bias} (the k bias is zero), {@code qkv.weight} (no bias), {@code proj.*}, {@code cpb_mlp.0.*} (Linear 2 ->
 * 512 + ReLU), {@code cpb_mlp.2.weight} (Linear 512 -> H, no bias). When none of these require grad, the position
 * bias, head scales and fused qkv bias are computed once and cached.
 */
public final class WindowAttentionV2 extends Module {
    /** timm clamps the logit scale at log(1 / 0.01). */
    public static final float MAX_LOGIT_SCALE = (float) Math.log(100.0);
    private static final int CPB_HIDDEN = 512;
    private static final float NORMALIZE_EPS = 1e-12f;

    private final int dim;
    private final int heads;
    private final int headDim;
    private final WindowLayout layout;
    private final Tensor logitScale;
    private final Tensor qBias;
    private final Tensor vBias;
    private final Linear qkv;
    private final Linear proj;
    private final Linear cpbIn;
    private final Linear cpbOut;
    private final Tensor coordsTable;
    private Tensor cachedBias;
    private Tensor cachedHeadScale;
    private Tensor cachedQkvBias;

    /**
     * @param pretrainedWindow timm's pretrained_window_size for this stage (0: the layout's own window), which sets
     *                         the normalisation of the relative coordinates
     */
    public WindowAttentionV2(Backend backend, Random random, int dim, int heads, WindowLayout layout, int pretrainedWindow) {
        super(backend);
        if (dim % heads != 0) {
            throw new IllegalArgumentException("Swin-V2 attention width " + dim + " is not divisible by " + heads + " heads");
        }
        this.dim = dim;
        this.heads = heads;
        this.headDim = dim / heads;
        this.layout = layout;
        logitScale = parameter("logit_scale", Init.constant(backend, (float) Math.log(10.0), heads, 1, 1));
        ModuleList cpb = child("cpb_mlp", new ModuleList(backend));
        cpbIn = cpb.add("0", new Linear(backend, random, 2, CPB_HIDDEN, true));
        cpbOut = cpb.add("2", new Linear(backend, random, CPB_HIDDEN, heads, false));
        qkv = child("qkv", new Linear(backend, random, dim, 3 * dim, false));
        qBias = parameter("q_bias", Init.constant(backend, 0f, dim));
        vBias = parameter("v_bias", Init.constant(backend, 0f, dim));
        proj = child("proj", new Linear(backend, random, dim, dim, true));
        coordsTable = SwinParams.constant(backend, relativeCoordsTable(layout.windowH(), layout.windowW(), pretrainedWindow),
                layout.relativeTableRows(), 2);
    }

    /**
     * timm's relative_coords_table, [(2Wh-1)(2Ww-1), 2]: offsets dy, dx divided by (window - 1) (or by
     * (pretrained - 1)), times 8, then sign(v) * log2(|v| + 1) / log2(8). Float arithmetic in torch's order.
     */
    static float[] relativeCoordsTable(int windowH, int windowW, int pretrainedWindow) {
        float divH = pretrainedWindow > 0 ? pretrainedWindow - 1 : windowH - 1;
        float divW = pretrainedWindow > 0 ? pretrainedWindow - 1 : windowW - 1;
        int rows = 2 * windowH - 1;
        int cols = 2 * windowW - 1;
        float[] t = new float[rows * cols * 2];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[(i * cols + j) * 2] = logSpaced((i - (windowH - 1)) / divH);
                t[(i * cols + j) * 2 + 1] = logSpaced((j - (windowW - 1)) / divW);
            }
        }
        return t;
    }

    private static float logSpaced(float v) {
        float scaled = v * 8f;
        float mag = (float) (Math.log(Math.abs(scaled) + 1f) / Math.log(2.0));
        return Math.signum(scaled) * mag / 3f;
    }

    public int heads() {
        return heads;
    }

    /**
     * Tokens [B, H*W, C] in natural order to the attention output [B, H*W, C] (after proj), natural order. When tap
     * is given it receives the keys (L2-normalised) and values of every token, detached.
     */
    public Tensor forward(Tensor x, TapHolder tap) {
        int batch = x.dim(0);
        int n = layout.windowArea();
        Tensor windows = layout.toWindows(x);
        int bw = windows.dim(0);
        Tensor bias = positionBias();
        Tensor headScale = headScale();
        Tensor qkvBias = qkvBias();
        Tensor packed = LinalgOps.linear(windows, qkv.weight(), qkvBias);
        SwinParams.release(x, windows);
        Tensor split = packed.reshape(bw, n, 3, heads, headDim);
        Tensor parts = split.permute(2, 0, 3, 1, 4);
        SwinParams.release(null, packed, split);
        Tensor q = part(parts, 0);
        Tensor k = part(parts, 1);
        Tensor v = part(parts, 2);
        parts.close();
        Tensor qn = NnOps.l2Normalize(q, NORMALIZE_EPS);
        q.close();
        Tensor qs = qn.mul(headScale);
        qn.close();
        Tensor kn = NnOps.l2Normalize(k, NORMALIZE_EPS);
        k.close();
        Tensor o = NnOps.attention(qs, kn, v, bias, layout.mask(), 1f);
        qs.close();
        if (tap != null) {
            fillTap(tap, kn, v, batch, headScale);
        }
        SwinParams.release(null, kn, v);
        releaseUncached(bias, headScale, qkvBias);
        Tensor moved = o.permute(0, 2, 1, 3);
        o.close();
        Tensor merged = moved.reshape(bw, n, dim);
        moved.close();
        Tensor projected = proj.forward(merged);
        merged.close();
        Tensor out = layout.fromWindows(projected, batch);
        projected.close();
        return out;
    }

    /** Part i of [3, Bw, H, N, d] as [Bw, H, N, d]: a view when nothing is recorded, a differentiable copy otherwise. */
    private static Tensor part(Tensor parts, int i) {
        Shape s = Shape.of(parts.dim(1), parts.dim(2), parts.dim(3), parts.dim(4));
        if (!(GradMode.isEnabled() && parts.requiresGrad())) {
            return parts.viewRows(i, 1, s);
        }
        Tensor sliced = ShapeOps.slice(parts, 0, i, i + 1);
        Tensor out = sliced.reshape(s.dims());
        sliced.close();
        return out;
    }

    private void fillTap(TapHolder tap, Tensor kn, Tensor v, int batch, Tensor headScale) {
        try (var g = GradMode.noGrad()) {
            Tensor keys = tap.own(TapHolder.windowsToImage(kn, batch));
            Tensor values = tap.own(TapHolder.windowsToImage(v, batch));
            Tensor qWeight = tap.own(qkv.weight().viewRows(0, dim, Shape.of(dim, dim)));
            Tensor scale = tap.own(headScale.viewAs(Shape.of(heads)));
            tap.set(new AttentionTap(keys, values, heads, headDim, qWeight, tap.own(qBias.share()),
                    tap.own(proj.weight().share()), tap.own(proj.bias().share()), true, scale, 1f));
        }
    }

    private void releaseUncached(Tensor bias, Tensor headScale, Tensor qkvBias) {
        if (bias != cachedBias) {
            bias.close();
        }
        if (headScale != cachedHeadScale) {
            headScale.close();
        }
        if (qkvBias != cachedQkvBias) {
            qkvBias.close();
        }
    }

    /** [1, H, N, N]: 16 * sigmoid(cpb_mlp(coords)) gathered by the relative position index. */
    synchronized Tensor positionBias() {
        boolean frozen = SwinParams.frozen(cpbIn.weight(), cpbIn.bias(), cpbOut.weight());
        if (frozen && cachedBias != null) {
            return cachedBias;
        }
        cachedBias = SwinParams.close(cachedBias);
        int n = layout.windowArea();
        Tensor hidden = cpbIn.forward(coordsTable);
        Tensor act = hidden.relu();
        hidden.close();
        Tensor table = cpbOut.forward(act);
        act.close();
        Tensor sig = table.sigmoid();
        table.close();
        Tensor scaled = sig.mul(16f);
        sig.close();
        Tensor bias = gatherBias(scaled, layout.relativeIndex(), n, heads);
        scaled.close();
        if (frozen) {
            cachedBias = SwinParams.cache(bias);
        }
        return bias;
    }

    /** Table [rows, H] gathered by index [N*N] into [1, H, N, N]. */
    public static Tensor gatherBias(Tensor table, Tensor index, int n, int heads) {
        Tensor g = ShapeOps.indexSelect(table, index);
        Tensor g3 = g.reshape(n, n, heads);
        g.close();
        Tensor hnn = g3.permute(2, 0, 1);
        g3.close();
        Tensor out = hnn.reshape(1, heads, n, n);
        hnn.close();
        return out;
    }

    /** exp(min(logit_scale, log 100)) as [H, 1, 1]. */
    synchronized Tensor headScale() {
        boolean frozen = SwinParams.frozen(logitScale);
        if (frozen && cachedHeadScale != null) {
            return cachedHeadScale;
        }
        cachedHeadScale = SwinParams.close(cachedHeadScale);
        if (frozen) {
            Tensor s = Tensor.empty(backend, logitScale.shape());
            if (backend.device() != org.mettle.tensor.Device.META) {
                float[] v = logitScale.toFloatArray();
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) Math.exp(Math.min(v[i], MAX_LOGIT_SCALE));
                }
                backend.write(s, v);
            }
            cachedHeadScale = SwinParams.cache(s);
            return cachedHeadScale;
        }
        // min(x, c) = c - relu(c - x), differentiable with the engine's ops
        Tensor gap = logitScale.neg().add(MAX_LOGIT_SCALE);
        Tensor over = gap.relu();
        Tensor clamped = over.neg().add(MAX_LOGIT_SCALE);
        Tensor out = clamped.exp();
        SwinParams.release(null, gap, over, clamped);
        return out;
    }

    /** cat(q_bias, 0, v_bias) [3C]. */
    synchronized Tensor qkvBias() {
        boolean frozen = SwinParams.frozen(qBias, vBias);
        if (frozen && cachedQkvBias != null) {
            return cachedQkvBias;
        }
        cachedQkvBias = SwinParams.close(cachedQkvBias);
        Tensor zeros = Tensor.zeros(backend, Shape.of(dim));
        Tensor out = ShapeOps.cat(0, qBias, zeros, vBias);
        zeros.close();
        if (frozen) {
            cachedQkvBias = SwinParams.cache(out);
        }
        return out;
    }

    /** Drops the cached bias, scales and fused bias (after loading new weights). */
    public synchronized void releaseCaches() {
        cachedBias = SwinParams.close(cachedBias);
        cachedHeadScale = SwinParams.close(cachedHeadScale);
        cachedQkvBias = SwinParams.close(cachedQkvBias);
    }

    /** Frees the caches and the coordinates table (the model's close() calls this). */
    void closeBuffers() {
        releaseCaches();
        coordsTable.close();
    }
}
