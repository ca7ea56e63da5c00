package org.mettle.models.htsat;

import java.util.Random;
import org.mettle.backend.Backend;
import org.mettle.models.swin.SwinParams;
import org.mettle.models.swin.TapHolder;
import org.mettle.models.swin.WindowLayout;
import org.mettle.nn.LayerNorm;
import org.mettle.nn.Mlp;
import org.mettle.nn.Module;
import org.mettle.tensor.Tensor;

/**
 * Pre-norm Swin-V1 block (HTS-AT's SwinTransformerBlock with norm_before_mlp='ln'): x = x + attn(norm1(x));
 * x = x + mlp(norm2(x)). Names: {@code norm1.*}, {@code attn.*}, {@code norm2.*}, {@code mlp.fc1|fc2.*}.
 */
public final class SwinV1Block extends Module {
    private final LayerNorm norm1;
    private final WindowAttentionV1 attn;
    private final LayerNorm norm2;
    private final Mlp mlp;

    public SwinV1Block(Backend backend, Random random, int dim, int heads, WindowLayout layout, float mlpRatio) {
        super(backend);
        norm1 = child("norm1", new LayerNorm(backend, dim, 1e-5f));
        attn = child("attn", new WindowAttentionV1(backend, random, dim, heads, layout));
        norm2 = child("norm2", new LayerNorm(backend, dim, 1e-5f));
        mlp = child("mlp", new Mlp(backend, random, dim, (int) (dim * mlpRatio)));
    }

    public WindowAttentionV1 attention() {
        return attn;
    }

    /** Tokens [B, L, C] to [B, L, C]; the input is not closed. */
    public Tensor forward(Tensor x, TapHolder tap) {
        Tensor n1 = norm1.forward(x);
        Tensor a = attn.forward(n1, tap);
        n1.close();
        Tensor h = x.add(a);
        a.close();
        Tensor n2 = norm2.forward(h);
        Tensor m = mlp.forward(n2);
        n2.close();
        Tensor out = h.add(m);
        SwinParams.release(null, h, m);
        return out;
    }
}
