package org.mettle.autograd;

import java.util.Arrays;
import org.mettle.backend.Backend;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;

/**
 * Reshape (a view), permute, slice, concatenation and broadcasting (copies into contiguous tensors, so every
 * primitive sees dense memory), with gradients.
 */
public final class ShapeOps {
    private ShapeOps() {}

    /** Reshape with one optional -1 dimension inferred; shares storage. */
    public static Tensor reshape(Tensor x, int... dims) {
        Shape target = inferShape(x, dims);
        Tensor out = x.viewAs(target);
        if (Autograd.needed(x)) {
            Shape in = x.shape();
            out.setGradFn(new Node("reshape", x) {
                @Override
                protected Tensor[] backward(Tensor g) {
                    return new Tensor[] {g.viewAs(in)};
                }
            });
        }
        return out;
    }

    private static Shape inferShape(Tensor x, int[] dims) {
        int infer = -1;
        long known = 1;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException("reshape of " + x.describeShort() + " to " + Arrays.toString(dims) + ": only one -1 allowed");
                }
                infer = i;
            } else {
                known *= dims[i];
            }
        }
        int[] d = dims.clone();
        if (infer >= 0) {
            if (known == 0 || x.numel() % known != 0) {
                throw new IllegalArgumentException("cannot reshape " + x.describeShort() + " to " + Arrays.toString(dims));
            }
            d[infer] = (int) (x.numel() / known);
        }
        Shape s = Shape.of(d);
        if (s.numel() != x.numel()) {
            throw new IllegalArgumentException("cannot reshape " + x.describeShort() + " (" + x.numel() + " elements) to " + s);
        }
        return s;
    }

    public static Tensor transpose(Tensor x, int axis0, int axis1) {
        int[] perm = new int[x.rank()];
        for (int i = 0; i < perm.length; i++) {
            perm[i] = i;
        }
        int a = x.shape().axis(axis0);
        int b = x.shape().axis(axis1);
        perm[a] = b;
        perm[b] = a;
        return permute(x, perm);
    }

    /** out.dim(i) = x.dim(axes[i]); a contiguous copy. */
    public static Tensor permute(Tensor x, int... axes) {
        int r = x.rank();
        if (axes.length != r) {
            throw new IllegalArgumentException("permute of " + x.describeShort() + " needs " + r + " axes, got " + Arrays.toString(axes));
        }
        int[] perm = new int[r];
        boolean[] seen = new boolean[r];
        for (int i = 0; i < r; i++) {
            perm[i] = x.shape().axis(axes[i]);
            if (seen[perm[i]]) {
                throw new IllegalArgumentException("permute axes " + Arrays.toString(axes) + " repeat an axis");
            }
            seen[perm[i]] = true;
        }
        long[] xs = x.shape().strides();
        int[] outDims = new int[r];
        int[] srcStrides = new int[r];
        for (int i = 0; i < r; i++) {
            outDims[i] = x.dim(perm[i]);
            srcStrides[i] = (int) xs[perm[i]];
        }
        Shape outShape = Shape.of(outDims);
        Tensor out = Tensor.empty(x.backend(), outShape, x.dtype());
        x.backend().copyStrided(outDims, x, 0, srcStrides, out, 0, ReduceOps.toInt(outShape.strides()));
        if (Autograd.needed(x)) {
            int[] inverse = new int[r];
            for (int i = 0; i < r; i++) {
                inverse[perm[i]] = i;
            }
            out.setGradFn(new Node("permute", x) {
                @Override
                protected Tensor[] backward(Tensor g) {
                    try (var ng = GradMode.noGrad()) {
                        return new Tensor[] {permute(g, inverse).untrack()};
                    }
                }
            });
        }
        return out;
    }

    /** Elements [start, end) along axis (a copy). */
    public static Tensor slice(Tensor x, int axis, int start, int end) {
        int ax = x.shape().axis(axis);
        int size = x.dim(ax);
        if (start < 0 || end > size || start > end) {
            throw new IllegalArgumentException("slice [" + start + ", " + end + ") out of range for axis " + ax + " of " + x.describeShort());
        }
        Shape outShape = x.shape().withDim(ax, end - start);
        Tensor out = Tensor.empty(x.backend(), outShape, x.dtype());
        int[] srcStrides = ReduceOps.toInt(x.shape().strides());
        int srcOffset = start * srcStrides[ax];
        x.backend().copyStrided(outShape.dims(), x, srcOffset, srcStrides, out, 0, ReduceOps.toInt(outShape.strides()));
        if (Autograd.needed(x)) {
            Shape inShape = x.shape();
            out.setGradFn(new Node("slice", x) {
                @Override
                protected Tensor[] backward(Tensor g) {
                    Backend be = g.backend();
                    Tensor gx = Tensor.zeros(be, inShape);
                    be.copyStrided(g.shape().dims(), g, 0, ReduceOps.toInt(g.shape().strides()), gx, srcOffset, srcStrides);
                    return new Tensor[] {gx};
                }
            });
        }
        return out;
    }

    /** Concatenation along axis. */
    public static Tensor cat(int axis, Tensor... parts) {
        if (parts.length == 0) {
            throw new IllegalArgumentException("cat of no tensors");
        }
        Tensor first = parts[0];
        int ax = first.shape().axis(axis);
        int total = 0;
        for (Tensor p : parts) {
            if (p.rank() != first.rank() || p.backend() != first.backend() || p.dtype() != first.dtype()) {
                throw new IllegalArgumentException("cat: " + p.describeShort() + " does not match " + first.describeShort());
            }
            for (int i = 0; i < p.rank(); i++) {
                if (i != ax && p.dim(i) != first.dim(i)) {
                    throw new IllegalArgumentException("cat along axis " + ax + ": shapes " + first.shape() + " and " + p.shape() + " differ in dim " + i);
                }
            }
            total += p.dim(ax);
        }
        Shape outShape = first.shape().withDim(ax, total);
        Tensor out = Tensor.empty(first.backend(), outShape, first.dtype());
        int[] outStrides = ReduceOps.toInt(outShape.strides());
        int[] offsets = new int[parts.length];
        int at = 0;
        for (int i = 0; i < parts.length; i++) {
            Tensor p = parts[i];
            offsets[i] = at * outStrides[ax];
            first.backend().copyStrided(p.shape().dims(), p, 0, ReduceOps.toInt(p.shape().strides()), out, offsets[i], outStrides);
            at += p.dim(ax);
        }
        if (Autograd.needed(parts)) {
            Shape[] shapes = new Shape[parts.length];
            for (int i = 0; i < parts.length; i++) {
                shapes[i] = parts[i].shape();
            }
            out.setGradFn(new Node("cat", parts.clone()) {
                @Override
                protected Tensor[] backward(Tensor g) {
                    Tensor[] grads = new Tensor[shapes.length];
                    for (int i = 0; i < shapes.length; i++) {
                        if (needsGrad(i)) {
                            grads[i] = Tensor.empty(g.backend(), shapes[i]);
                            g.backend().copyStrided(shapes[i].dims(), g, offsets[i], outStrides, grads[i], 0, ReduceOps.toInt(shapes[i].strides()));
                        }
                    }
                    return grads;
                }
            });
        }
        return out;
    }

    /** Broadcasts x to dims (numpy rules; a copy). */
    public static Tensor expand(Tensor x, int... dims) {
        Shape target = Shape.of(dims);
        Shape check = Shape.broadcast(x.shape(), target);
        if (!check.equals(target)) {
            throw new IllegalArgumentException("cannot expand " + x.describeShort() + " to " + target);
        }
        Tensor out = ReduceOps.expandTo(x, target);
        if (Autograd.needed(x)) {
            Shape in = x.shape();
            out.setGradFn(new Node("expand", x) {
                @Override
                protected Tensor[] backward(Tensor g) {
                    return new Tensor[] {ReduceOps.sumToShape(g, in)};
                }
            });
        }
        return out;
    }

    /**
     * Rows of a table: out[i, ...] = x[indices[i], ...] for x [R, ...] and I32 indices of any shape; the result has
     * shape indices.shape + x.shape[1:]. The backward adds into the rows (e.g. a relative-position-bias table).
     */
    public static Tensor indexSelect(Tensor x, Tensor indices) {
        if (indices.dtype() != org.mettle.tensor.DType.I32 || x.rank() < 1) {
            throw new IllegalArgumentException("indexSelect needs a table of rank >= 1 and I32 indices, got " + x.describeShort()
                    + " and " + indices.describeShort());
        }
        int rowSize = Math.toIntExact(x.numel() / Math.max(1, x.dim(0)));
        int n = Math.toIntExact(indices.numel());
        int[] outDims = new int[indices.rank() + x.rank() - 1];
        System.arraycopy(indices.shape().dims(), 0, outDims, 0, indices.rank());
        for (int i = 1; i < x.rank(); i++) {
            outDims[indices.rank() + i - 1] = x.dim(i);
        }
        Backend be = x.backend();
        Tensor out = Tensor.empty(be, Shape.of(outDims));
        try (Tensor table = x.viewAs(Shape.of(x.dim(0), rowSize)); Tensor flatIdx = indices.viewAs(Shape.of(n));
             Tensor flatOut = out.viewAs(Shape.of(n, rowSize))) {
            be.gatherRows(table, flatIdx, flatOut);
        }
        if (Autograd.needed(x)) {
            out.setGradFn(new Node("indexSelect", x) {
                final Tensor si = save(indices);

                @Override
                protected Tensor[] backward(Tensor g) {
                    Tensor gx = Tensor.zeros(be, x.shape());
                    try (Tensor table = gx.viewAs(Shape.of(x.dim(0), rowSize)); Tensor flatIdx = si.viewAs(Shape.of(n));
                         Tensor flatG = g.viewAs(Shape.of(n, rowSize))) {
                        be.scatterAddRows(flatG, flatIdx, table);
                    }
                    return new Tensor[] {gx};
                }
            });
        }
        return out;
    }
}
