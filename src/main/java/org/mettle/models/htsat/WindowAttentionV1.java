package org.mettle.models.htsat;

import java.util.Random;
import org.mettle.autograd.GradMode;
import org.mettle.autograd.NnOps;
import org.mettle.backend.Backend;
import org.mettle.models.AttentionTap;
import org.mettle.models.swin.SwinParams;
import org.mettle.models.swin.TapHolder;
import org.mettle.models.swin.WindowAttentionV2;
import org.mettle.models.swin.WindowLayout;
import org.mettle.nn.Linear;
import org.mettle.nn.Module;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;

/**
 * Swin-V1 window attention as HTS-AT has it: softmax(q k^T / sqrt(d) + B + mask) v with a learned relative position
 * bias table. Names: {@code relative_position_bias_table} [(2W-1)^2, H], {@code qkv.*} (with bias), {@code proj.*}.
 * The gathered bias [1, H, N, N] is cached while the table does not require grad.
 */
public final class WindowAttentionV1 extends Module {
    private final int dim;
    private final int heads;
    private final int headDim;
    private final float scale;
    private final WindowLayout layout;
    private final Tensor biasTable;
    private final Linear qkv;
    private final Linear proj;
    private Tensor cachedBias;

    public WindowAttentionV1(Backend backend, Random random, int dim, int heads, WindowLayout layout) {
        super(backend);
        if (dim % heads != 0) {
            throw new IllegalArgumentException("attention width " + dim + " is not divisible by " + heads + " heads");
        }
        this.dim = dim;
        this.heads = heads;
        this.headDim = dim / heads;
        this.scale = (float) Math.pow(headDim, -0.5);
        this.layout = layout;
        biasTable = parameter("relative_position_bias_table", SwinParams.uniform(backend, random, 0.04f, layout.relativeTableRows(), heads));
        qkv = child("qkv", new Linear(backend, random, dim, 3 * dim, true));
        proj = child("proj", new Linear(backend, random, dim, dim, true));
    }

    /** Normed tokens [B, L, C] (natural order) to the attention output after proj, [B, L, C], natural order. */
    public Tensor forward(Tensor x, TapHolder tap) {
        int batch = x.dim(0);
        Tensor windows = layout.toWindows(x);
        Tensor packed = qkv.forward(windows);
        SwinParams.release(x, windows);
        Tensor bias = positionBias();
        Tensor o = NnOps.attentionPacked(packed, heads, bias, layout.mask(), scale);
        if (bias != cachedBias) {
            bias.close();
        }
        if (tap != null) {
            fillTap(tap, packed, batch);
        }
        packed.close();
        Tensor projected = proj.forward(o);
        o.close();
        Tensor out = layout.fromWindows(projected, batch);
        projected.close();
        return out;
    }

    /** Keys and values of every token, [B, H, L, d], from the packed projection [B * nW, N, 3C]. */
    private void fillTap(TapHolder tap, Tensor packed, int batch) {
        try (var g = GradMode.noGrad()) {
            int bw = packed.dim(0);
            int n = packed.dim(1);
            Tensor split = packed.reshape(bw, n, 3, heads, headDim);
            Tensor parts = split.permute(2, 0, 3, 1, 4);
            split.close();
            Shape one = Shape.of(bw, heads, n, headDim);
            Tensor k = parts.viewRows(1, 1, one);
            Tensor v = parts.viewRows(2, 1, one);
            parts.close();
            Tensor keys = tap.own(TapHolder.windowsToImage(k, batch));
            Tensor values = tap.own(TapHolder.windowsToImage(v, batch));
            SwinParams.release(null, k, v);
            Tensor qWeight = tap.own(qkv.weight().viewRows(0, dim, Shape.of(dim, dim)));
            Tensor qBias = tap.own(qkv.bias().viewRows(0, dim, Shape.of(dim)));
            tap.set(new AttentionTap(keys, values, heads, headDim, qWeight, qBias, tap.own(proj.weight().share()),
                    tap.own(proj.bias().share()), false, null, scale));
        }
    }

    /** [1, H, N, N] from the table by the relative position index. */
    synchronized Tensor positionBias() {
        boolean frozen = SwinParams.frozen(biasTable);
        if (frozen && cachedBias != null) {
            return cachedBias;
        }
        cachedBias = SwinParams.close(cachedBias);
        Tensor bias = WindowAttentionV2.gatherBias(biasTable, layout.relativeIndex(), layout.windowArea(), heads);
        if (frozen) {
            cachedBias = SwinParams.cache(bias);
        }
        return bias;
    }

    public synchronized void releaseCaches() {
        cachedBias = SwinParams.close(cachedBias);
    }
}
