package org.mettle.nn;

import java.util.Random;
import org.mettle.backend.Backend;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Tensor;

/** Pre-norm transformer block (timm's ViT Block): x + attn(norm1(x)), then x + mlp(norm2(x)). */
public final class TransformerBlock extends Module {
    private final LayerNorm norm1;
    private final SelfAttention attn;
    private final LayerNorm norm2;
    private final Mlp mlp;

    public TransformerBlock(Backend backend, Random random, int dim, int heads, float mlpRatio) {
        super(backend);
        norm1 = child("norm1", new LayerNorm(backend, dim, 1e-6f));
        attn = child("attn", new SelfAttention(backend, random, dim, heads, true));
        norm2 = child("norm2", new LayerNorm(backend, dim, 1e-6f));
        mlp = child("mlp", new Mlp(backend, random, dim, Math.round(dim * mlpRatio)));
    }

    public Tensor forward(Tensor x) {
        try (Scope s = Scope.open()) {
            Tensor h = x.add(attn.forward(norm1.forward(x)));
            return s.keep(h.add(mlp.forward(norm2.forward(h))));
        }
    }
}
