package org.mettle.models.vit;

import java.util.Random;
import org.mettle.autograd.NnOps;
import org.mettle.backend.Backend;
import org.mettle.models.AttentionTap;
import org.mettle.nn.LayerNorm;
import org.mettle.nn.Linear;
import org.mettle.nn.Module;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;

/**
 * timm's ViT {@code Block}: pre-norm, x + attn(norm1(x)), then x + mlp(norm2(x)); attention with a fused qkv
 * projection, exact-GELU MLP. Parameter names as timm: {@code norm1, attn.qkv, attn.proj, norm2, mlp.fc1, mlp.fc2}.
 *
 * <p>The forward frees each intermediate as soon as the next one exists (autograd keeps its own references when it
 * records), so a no-grad block holds at most its input, the residual and the two MLP hidden tensors at once.
 */
final class VitBlock extends Module {
    /** timm's {@code Attention}: {@code qkv} [3D, D] (rows q, k, v, each head-major) and {@code proj} [D, D]. */
    static final class Attention extends Module {
        final Linear qkv;
        final Linear proj;

        Attention(Backend backend, Random random, int dim) {
            super(backend);
            qkv = child("qkv", new Linear(backend, random, dim, 3 * dim, true));
            proj = child("proj", new Linear(backend, random, dim, dim, true));
        }
    }

    /** timm's {@code Mlp}: fc1 -> exact GELU -> fc2. */
    static final class Mlp extends Module {
        final Linear fc1;
        final Linear fc2;

        Mlp(Backend backend, Random random, int dim, int hidden) {
            super(backend);
            fc1 = child("fc1", new Linear(backend, random, dim, hidden, true));
            fc2 = child("fc2", new Linear(backend, random, hidden, dim, true));
        }
    }

    /** A block's output plus, when asked for, its attention tap; {@link #closeTap()} releases the tap's tensors. */
    record Step(Tensor out, AttentionTap tap) {
        void closeTap() {
            if (tap != null) {
                tap.keys().close();
                tap.values().close();
                tap.queryWeight().close();
                if (tap.queryBias() != null) {
                    tap.queryBias().close();
                }
            }
        }
    }

    private final int dim;
    private final int heads;
    private final float scale;
    private final LayerNorm norm1;
    private final Attention attn;
    private final LayerNorm norm2;
    private final Mlp mlp;

    VitBlock(Backend backend, Random random, VitConfig c) {
        super(backend);
        this.dim = c.dim();
        this.heads = c.heads();
        this.scale = (float) (1.0 / Math.sqrt(c.headDim()));
        norm1 = child("norm1", new LayerNorm(backend, dim, c.eps()));
        attn = child("attn", new Attention(backend, random, dim));
        norm2 = child("norm2", new LayerNorm(backend, dim, c.eps()));
        mlp = child("mlp", new Mlp(backend, random, dim, c.mlpHidden()));
    }

    /** x [B, N, D] (not closed here) -> the block output [B, N, D] and, if wantTap, the attention tap. */
    Step forward(Tensor x, boolean wantTap) {
        Tensor h = norm1.forward(x);
        Tensor qkv = attn.qkv.forward(h);
        h.close();
        Tensor o = NnOps.attentionPacked(qkv, heads, null, null, scale);
        AttentionTap tap = wantTap ? tap(qkv) : null;
        qkv.close();
        Tensor a = attn.proj.forward(o);
        o.close();
        Tensor x1 = x.add(a);
        a.close();
        Tensor h2 = norm2.forward(x1);
        Tensor f = mlp.fc1.forward(h2);
        h2.close();
        Tensor g = f.gelu();
        f.close();
        Tensor m = mlp.fc2.forward(g);
        g.close();
        Tensor out = x1.add(m);
        m.close();
        x1.close();
        return new Step(out, tap);
    }

    /** Keys and values [B, H, N, d] copied out of the packed qkv (no gradient link: LCD reads them frozen). */
    private AttentionTap tap(Tensor qkv) {
        int b = qkv.dim(0);
        int n = qkv.dim(1);
        int d = dim / heads;
        Tensor keys = packedPart(qkv, 1, b, n, d);
        Tensor values = packedPart(qkv, 2, b, n, d);
        Tensor qw = attn.qkv.weight().viewRows(0, dim, Shape.of(dim, dim));
        Tensor qb = attn.qkv.bias() == null ? null : attn.qkv.bias().viewRows(0, dim, Shape.of(dim));
        return new AttentionTap(keys, values, heads, d, qw, qb, attn.proj.weight(), attn.proj.bias(), false, null, scale);
    }

    /** Part which (0 q, 1 k, 2 v) of qkv [B, N, 3, H, d] as a contiguous [B, H, N, d], in one strided copy. */
    private Tensor packedPart(Tensor qkv, int which, int b, int n, int d) {
        Backend be = qkv.backend();
        Tensor out = Tensor.empty(be, Shape.of(b, heads, n, d));
        int[] src = {n * 3 * dim, d, 3 * dim, 1};
        int[] dst = {heads * n * d, n * d, d, 1};
        be.copyStrided(new int[] {b, heads, n, d}, qkv, which * dim, src, out, 0, dst);
        return out;
    }
}
