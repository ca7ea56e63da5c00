package org.mettle.autograd;

import org.mettle.backend.BinaryOp;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;

/** Sums and means over axes, and the un-broadcasting of gradients. */
public final class ReduceOps {
    private ReduceOps() {}

    /** Sum of t down to shape (rank-aligned from the right; each dim equal or 1); no graph. */
    static Tensor sumToShape(Tensor t, Shape shape) {
        int r = t.rank();
        int[] dims = new int[r];
        int lead = r - shape.rank();
        if (lead < 0) {
            throw new IllegalArgumentException("cannot reduce " + t.shape() + " to the higher-rank " + shape);
        }
        for (int i = 0; i < r; i++) {
            dims[i] = i < lead ? 1 : shape.dim(i - lead);
            if (dims[i] != 1 && dims[i] != t.dim(i)) {
                throw new IllegalArgumentException("cannot reduce " + t.shape() + " to " + shape);
            }
        }
        Tensor out = Tensor.empty(t.backend(), Shape.of(dims));
        t.backend().sumTo(t, out);
        if (lead == 0) {
            return out;
        }
        Tensor v = out.viewAs(shape);
        out.close();
        return v;
    }

    /** Broadcasts g (of a shape rank-aligned to target, dims equal or 1) to target; no graph. */
    static Tensor expandTo(Tensor g, Shape target) {
        if (g.shape().equals(target)) {
            return g.detach();
        }
        int r = target.rank();
        int lead = r - g.rank();
        int[] srcStrides = new int[r];
        long[] gs = g.shape().strides();
        for (int i = 0; i < r; i++) {
            int gi = i - lead;
            srcStrides[i] = gi < 0 || g.dim(gi) == 1 ? 0 : (int) gs[gi];
        }
        Tensor out = Tensor.empty(g.backend(), target);
        g.backend().copyStrided(target.dims(), g, 0, srcStrides, out, 0, toInt(target.strides()));
        return out;
    }

    static int[] toInt(long[] a) {
        int[] r = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = Math.toIntExact(a[i]);
        }
        return r;
    }

    public static Tensor sumAll(Tensor x) {
        int[] all = new int[x.rank()];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        return sum(x, false, all);
    }

    public static Tensor meanAll(Tensor x) {
        Tensor s = sumAll(x);
        Tensor m = s.mul(1f / Math.max(1, x.numel()));
        s.close(); // the graph links through gradFn, not through s's storage
        return m;
    }

    public static Tensor sum(Tensor x, boolean keepDims, int... axes) {
        Shape inShape = x.shape();
        int[] kept = inShape.dims();
        boolean[] reduced = new boolean[kept.length];
        for (int a : axes) {
            int ax = inShape.axis(a);
            reduced[ax] = true;
            kept[ax] = 1;
        }
        Shape keptShape = Shape.of(kept);
        Tensor summed = Tensor.empty(x.backend(), keptShape);
        x.backend().sumTo(x, summed);
        Tensor out = summed;
        if (!keepDims) {
            int n = 0;
            for (boolean r : reduced) {
                n += r ? 0 : 1;
            }
            int[] dims = new int[n];
            for (int i = 0, j = 0; i < kept.length; i++) {
                if (!reduced[i]) {
                    dims[j++] = kept[i];
                }
            }
            out = summed.viewAs(Shape.of(dims));
            summed.close();
        }
        if (Autograd.needed(x)) {
            out.setGradFn(new Node("sum", x) {
                @Override
                protected Tensor[] backward(Tensor g) {
                    Tensor gk = g.viewAs(keptShape);
                    Tensor gx = expandTo(gk, inShape);
                    gk.close();
                    return new Tensor[] {gx};
                }
            });
        }
        return out;
    }

    public static Tensor mean(Tensor x, boolean keepDims, int... axes) {
        long count = 1;
        for (int a : axes) {
            count *= x.dim(a);
        }
        Tensor s = sum(x, keepDims, axes);
        Tensor m = ElementwiseOps.scalar(BinaryOp.MUL, s, 1f / Math.max(1, count));
        s.close();
        return m;
    }
}
