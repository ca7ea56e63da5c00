package org.mettle.nn;

import java.util.Random;
import org.mettle.autograd.NnOps;
import org.mettle.backend.Backend;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Tensor;

/** Multi-head self-attention with a fused qkv projection (timm's Attention: qkv, proj). */
public final class SelfAttention extends Module {
    private final int heads;
    private final float scale;
    private final Linear qkv;
    private final Linear proj;

    public SelfAttention(Backend backend, Random random, int dim, int heads, boolean qkvBias) {
        super(backend);
        if (dim % heads != 0) {
            throw new IllegalArgumentException("attention width " + dim + " is not divisible by " + heads + " heads");
        }
        this.heads = heads;
        this.scale = (float) (1.0 / Math.sqrt(dim / heads));
        qkv = child("qkv", new Linear(backend, random, dim, 3 * dim, qkvBias));
        proj = child("proj", new Linear(backend, random, dim, dim, true));
    }

    /** x [B, N, dim] -> [B, N, dim]. */
    public Tensor forward(Tensor x) {
        try (Scope s = Scope.open()) {
            Tensor packed = qkv.forward(x);
            Tensor o = NnOps.attentionPacked(packed, heads, null, null, scale);
            return s.keep(proj.forward(o));
        }
    }
}
