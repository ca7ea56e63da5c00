package org.mettle.models.swin;

import java.util.Random;
import org.mettle.backend.Backend;
import org.mettle.nn.LayerNorm;
import org.mettle.nn.Mlp;
import org.mettle.nn.Module;
import org.mettle.tensor.Tensor;

/**
 * Swin-V2 block with res-post-norm (timm's SwinTransformerV2Block): x = x + norm1(attn(x)); x = x + norm2(mlp(x)).
 * Names: {@code attn.*}, {@code norm1.*}, {@code mlp.fc1|fc2.*}, {@code norm2.*}.
 */
public final class SwinV2Block extends Module {
    private final WindowAttentionV2 attn;
    private final LayerNorm norm1;
    private final Mlp mlp;
    private final LayerNorm norm2;

    public SwinV2Block(Backend backend, Random random, int dim, int heads, WindowLayout layout, int pretrainedWindow, float mlpRatio) {
        super(backend);
        attn = child("attn", new WindowAttentionV2(backend, random, dim, heads, layout, pretrainedWindow));
        norm1 = child("norm1", new LayerNorm(backend, dim, 1e-5f));
        mlp = child("mlp", new Mlp(backend, random, dim, (int) (dim * mlpRatio)));
        norm2 = child("norm2", new LayerNorm(backend, dim, 1e-5f));
    }

    public WindowAttentionV2 attention() {
        return attn;
    }

    /** Tokens [B, L, C] to [B, L, C]; the input is not closed. */
    public Tensor forward(Tensor x, TapHolder tap) {
        Tensor a = attn.forward(x, tap);
        Tensor na = norm1.forward(a);
        a.close();
        Tensor h = x.add(na);
        na.close();
        Tensor m = mlp.forward(h);
        Tensor nm = norm2.forward(m);
        m.close();
        Tensor out = h.add(nm);
        SwinParams.release(null, h, nm);
        return out;
    }
}
