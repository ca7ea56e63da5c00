package org.mettle.autograd;

import org.mettle.backend.AttentionLayout;
import org.mettle.backend.AttentionShape;
import org.mettle.backend.Backend;
import org.mettle.memory.MemoryCategory;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;

/** Softmax, normalisation and fused attention, with gradients. */
public final class NnOps {
    private NnOps() {}

    private static void requireLastAxis(String op, Tensor x, int axis) {
        if (x.shape().axis(axis) != x.rank() - 1) {
            throw new IllegalArgumentException(op + " runs over the last axis only (got axis " + axis + " of " + x.describeShort()
                    + "); permute the axis last first");
        }
    }

    public static Tensor softmax(Tensor x, int axis) {
        return lastAxisOp("softmax", x, axis, Backend::softmax, Backend::softmaxBackward);
    }

    public static Tensor logSoftmax(Tensor x, int axis) {
        return lastAxisOp("logSoftmax", x, axis, Backend::logSoftmax, Backend::logSoftmaxBackward);
    }

    /** A row op whose backward needs only its output y. */
    @FunctionalInterface
    private interface RowForward {
        void run(Backend backend, Tensor x, Tensor y);
    }

    @FunctionalInterface
    private interface RowBackward {
        void run(Backend backend, Tensor y, Tensor dy, Tensor dx);
    }

    private static Tensor lastAxisOp(String name, Tensor x, int axis, RowForward forward, RowBackward backward) {
        requireLastAxis(name, x, axis);
        Tensor y = Tensor.empty(x.backend(), x.shape());
        forward.run(x.backend(), x, y);
        if (Autograd.needed(x)) {
            y.setGradFn(new Node(name, x) {
                final Tensor sy = save(y);

                @Override
                protected Tensor[] backward(Tensor g) {
                    Tensor gx = Tensor.empty(g.backend(), g.shape());
                    backward.run(g.backend(), sy, g, gx);
                    return new Tensor[] {gx};
                }
            });
        }
        return y;
    }

    /** Layer norm over the last axis; gamma and beta ([D]) may be null. */
    public static Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps) {
        int d = x.dim(-1);
        for (Tensor p : new Tensor[] {gamma, beta}) {
            if (p != null && (p.rank() != 1 || p.dim(0) != d)) {
                throw new IllegalArgumentException("layerNorm: parameter " + p.describeShort() + " should be [" + d + "] for input " + x.describeShort());
            }
        }
        Backend be = x.backend();
        Tensor y = Tensor.empty(be, x.shape());
        Shape rowShape = x.shape().dropLast();
        boolean record = Autograd.needed(x, gamma, beta);
        // statistics are workspace unless a backward needs them
        MemoryCategory statsCategory = record ? MemoryCategory.current() : MemoryCategory.WORKSPACE;
        Tensor mean = Tensor.empty(be, rowShape, org.mettle.tensor.DType.F32, statsCategory);
        Tensor rstd = Tensor.empty(be, rowShape, org.mettle.tensor.DType.F32, statsCategory);
        be.layerNorm(x, gamma, beta, eps, y, mean, rstd);
        if (record) {
            y.setGradFn(new Node("layerNorm", x, gamma, beta) {
                final Tensor sx = save(x);
                final Tensor sg = save(gamma);
                final Tensor sm = save(mean);
                final Tensor sr = save(rstd);

                @Override
                protected Tensor[] backward(Tensor g) {
                    Backend b = g.backend();
                    Tensor gx = Tensor.empty(b, x.shape());
                    Tensor gg = needsGrad(1) ? Tensor.zeros(b, gamma.shape()) : null;
                    Tensor gb = needsGrad(2) ? Tensor.zeros(b, beta.shape()) : null;
                    b.layerNormBackward(sx, sg, sm, sr, g, gx, gg, gb);
                    return new Tensor[] {needsGrad(0) ? gx : close(gx), gg, gb};
                }
            });
        }
        mean.close();
        rstd.close();
        return y;
    }

    private static Tensor close(Tensor t) {
        t.close();
        return null;
    }

    /** x / max(||x||, eps) over the last axis. */
    public static Tensor l2Normalize(Tensor x, float eps) {
        Tensor y = Tensor.empty(x.backend(), x.shape());
        x.backend().l2Normalize(x, eps, y);
        if (Autograd.needed(x)) {
            y.setGradFn(new Node("l2Normalize", x) {
                final Tensor sx = save(x);

                @Override
                protected Tensor[] backward(Tensor g) {
                    Tensor gx = Tensor.empty(g.backend(), g.shape());
                    g.backend().l2NormalizeBackward(sx, eps, g, gx);
                    return new Tensor[] {gx};
                }
            });
        }
        return y;
    }

    /**
     * Fused attention over contiguous q [B, H, Nq, D], k and v [B, H, Nk, D]; bias and mask as
     * {@link Backend#attention}. Output [B, H, Nq, D]. When neither k, v nor bias requires grad, the backward is the
     * cheaper query-only one (LCD's case: frozen keys and values).
     */
    public static Tensor attention(Tensor q, Tensor k, Tensor v, Tensor bias, Tensor mask, float scale) {
        if (q.rank() != 4 || k.rank() != 4 || v.rank() != 4) {
            throw new IllegalArgumentException("attention takes [B, H, N, D] tensors, got q " + q.shape() + ", k " + k.shape() + ", v " + v.shape());
        }
        int b = q.dim(0);
        int h = q.dim(1);
        int nq = q.dim(2);
        int d = q.dim(3);
        int nk = k.dim(2);
        if (!k.shape().equals(Shape.of(b, h, nk, d)) || !v.shape().equals(k.shape())) {
            throw new IllegalArgumentException("attention: k " + k.shape() + " and v " + v.shape() + " must both be [" + b + ", " + h + ", Nk, " + d + "]");
        }
        checkBias("bias", bias, b, h, nq, nk);
        checkBias("mask", mask, b, h, nq, nk);
        AttentionShape s = new AttentionShape(b, h, nq, nk, d, scale);
        AttentionLayout ql = AttentionLayout.contiguous(h, nq, d);
        AttentionLayout kl = AttentionLayout.contiguous(h, nk, d);
        Backend be = q.backend();
        Tensor o = Tensor.empty(be, q.shape());
        boolean record = Autograd.needed(q, k, v, bias);
        Tensor lse = Tensor.empty(be, Shape.of(b, h, nq), org.mettle.tensor.DType.F32,
                record ? MemoryCategory.current() : MemoryCategory.WORKSPACE);
        be.attention(s, q, ql, k, kl, v, kl, bias, mask, o, ql, lse);
        if (record) {
            o.setGradFn(new Node("attention", q, k, v, bias) {
                final Tensor sq = save(q);
                final Tensor sk = save(k);
                final Tensor sv = save(v);
                final Tensor sb = save(bias);
                final Tensor sm = save(mask);
                final Tensor so = save(o);
                final Tensor sl = save(lse);

                @Override
                protected Tensor[] backward(Tensor g) {
                    Backend bb = g.backend();
                    Tensor dq = Tensor.empty(bb, q.shape());
                    boolean keys = needsGrad(1) || needsGrad(2) || needsGrad(3);
                    Tensor dk = keys ? Tensor.empty(bb, k.shape()) : null;
                    Tensor dv = keys ? Tensor.empty(bb, v.shape()) : null;
                    Tensor db = needsGrad(3) ? Tensor.zeros(bb, bias.shape()) : null;
                    bb.attentionBackward(s, sq, ql, sk, kl, sv, kl, sb, sm, so, ql, sl, g, ql, dq, ql, dk, kl, dv, kl, db);
                    return new Tensor[] {dq, dk, dv, db};
                }
            });
        }
        lse.close();
        return o;
    }

    private static void checkBias(String what, Tensor t, int b, int h, int nq, int nk) {
        if (t == null) {
            return;
        }
        if (t.rank() != 4 || b % t.dim(0) != 0 || (t.dim(1) != 1 && t.dim(1) != h) || t.dim(2) != nq || t.dim(3) != nk) {
            throw new IllegalArgumentException("attention " + what + " " + t.describeShort() + " must be [Bb, 1 or " + h + ", " + nq + ", " + nk
                    + "] with Bb dividing the batch " + b);
        }
    }

    /**
     * Self-attention straight from a fused projection qkv [B, N, 3*H*D] (timm's layout: q, k, v, then heads);
     * returns [B, N, H*D] ready for the output projection, with no permute copies either way.
     */
    public static Tensor attentionPacked(Tensor qkv, int heads, Tensor bias, Tensor mask, float scale) {
        if (qkv.rank() != 3 || qkv.dim(2) % (3 * heads) != 0) {
            throw new IllegalArgumentException("attentionPacked takes [B, N, 3*H*D] with H = " + heads + ", got " + qkv.describeShort());
        }
        int b = qkv.dim(0);
        int n = qkv.dim(1);
        int d = qkv.dim(2) / (3 * heads);
        checkBias("bias", bias, b, heads, n, n);
        checkBias("mask", mask, b, heads, n, n);
        AttentionShape s = new AttentionShape(b, heads, n, n, d, scale);
        AttentionLayout ql = AttentionLayout.packedQkv(0, heads, n, d);
        AttentionLayout kl = AttentionLayout.packedQkv(1, heads, n, d);
        AttentionLayout vl = AttentionLayout.packedQkv(2, heads, n, d);
        AttentionLayout ol = AttentionLayout.tokensMajor(heads, n, d);
        Backend be = qkv.backend();
        Tensor o = Tensor.empty(be, Shape.of(b, n, heads * d));
        boolean record = Autograd.needed(qkv, bias);
        Tensor lse = Tensor.empty(be, Shape.of(b, heads, n), org.mettle.tensor.DType.F32,
                record ? MemoryCategory.current() : MemoryCategory.WORKSPACE);
        be.attention(s, qkv, ql, qkv, kl, qkv, vl, bias, mask, o, ol, lse);
        if (record) {
            o.setGradFn(new Node("attentionPacked", qkv, bias) {
                final Tensor sqkv = save(qkv);
                final Tensor sb = save(bias);
                final Tensor sm = save(mask);
                final Tensor so = save(o);
                final Tensor sl = save(lse);

                @Override
                protected Tensor[] backward(Tensor g) {
                    Backend bb = g.backend();
                    Tensor dqkv = Tensor.empty(bb, qkv.shape());
                    Tensor db = needsGrad(1) ? Tensor.zeros(bb, bias.shape()) : null;
                    bb.attentionBackward(s, sqkv, ql, sqkv, kl, sqkv, vl, sb, sm, so, ol, sl, g, ol,
                            dqkv, ql, dqkv, kl, dqkv, vl, db);
                    return new Tensor[] {dqkv, db};
                }
            });
        }
        lse.close();
        return o;
    }
}
