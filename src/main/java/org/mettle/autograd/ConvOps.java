package org.mettle.autograd;

import org.mettle.backend.Backend;
import org.mettle.backend.BinaryOp;
import org.mettle.backend.ConvGeometry;
import org.mettle.backend.Interpolation;
import org.mettle.memory.MemoryCategory;
import org.mettle.tensor.DType;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;

/** Convolution (im2col + GEMM), interpolation and pooling over NCHW tensors, with gradients. */
public final class ConvOps {
    private ConvOps() {}

    /**
     * conv2d of x [N, C, H, W] with w [O, C, KH, KW] and bias [O] (nullable): y [N, O, OH, OW]. The column
     * buffer is one image's worth of workspace, reused across the batch and recomputed in the backward.
     */
    public static Tensor conv2d(Tensor x, Tensor w, Tensor bias, int stride, int padding) {
        return conv2d(x, w, bias, stride, stride, padding, padding, 1, 1);
    }

    public static Tensor conv2d(Tensor x, Tensor w, Tensor bias, int strideH, int strideW, int padH, int padW, int dilH, int dilW) {
        if (x.rank() != 4 || w.rank() != 4 || w.dim(1) != x.dim(1)) {
            throw new IllegalArgumentException("conv2d: input " + x.describeShort() + " must be [N, C, H, W] and weight " + w.describeShort()
                    + " [O, C, KH, KW] with the same C");
        }
        int n = x.dim(0);
        int o = w.dim(0);
        if (bias != null && (bias.rank() != 1 || bias.dim(0) != o)) {
            throw new IllegalArgumentException("conv2d: bias " + bias.describeShort() + " should be [" + o + "]");
        }
        ConvGeometry g = new ConvGeometry(x.dim(1), x.dim(2), x.dim(3), w.dim(2), w.dim(3), strideH, strideW, padH, padW, dilH, dilW);
        int oh = g.outHeight();
        int ow = g.outWidth();
        int spatial = oh * ow;
        int patch = g.patchSize();
        Backend be = x.backend();
        Tensor y = Tensor.empty(be, Shape.of(n, o, oh, ow));
        try (Tensor cols = Tensor.empty(be, Shape.of(patch, spatial), DType.F32, MemoryCategory.WORKSPACE)) {
            for (int i = 0; i < n; i++) {
                be.im2col(x, i, g, cols);
                try (Tensor yi = y.viewRows(i, 1, Shape.of(o, spatial))) {
                    be.gemm(false, false, 1, o, spatial, patch, 1f, w, 0, cols, 0, 0f, yi, 0);
                }
            }
        }
        if (bias != null) {
            try (Tensor b4 = bias.viewAs(Shape.of(o, 1, 1))) {
                be.binary(BinaryOp.ADD, y, b4, y);
            }
        }
        if (Autograd.needed(x, w, bias)) {
            y.setGradFn(new Node("conv2d", x, w, bias) {
                final Tensor sx = w.requiresGrad() ? save(x) : null;
                final Tensor sw = x.requiresGrad() ? save(w) : null;

                @Override
                protected Tensor[] backward(Tensor gy) {
                    Tensor gx = needsGrad(0) ? Tensor.zeros(be, x.shape()) : null;
                    Tensor gw = needsGrad(1) ? Tensor.zeros(be, w.shape()) : null;
                    Tensor gb = null;
                    try (Tensor cols = Tensor.empty(be, Shape.of(patch, spatial), DType.F32, MemoryCategory.WORKSPACE)) {
                        for (int i = 0; i < n; i++) {
                            try (Tensor gyi = gy.viewRows(i, 1, Shape.of(o, spatial))) {
                                if (gw != null) {
                                    be.im2col(sx, i, g, cols);
                                    be.gemm(false, true, 1, o, patch, spatial, 1f, gyi, 0, cols, 0, 1f, gw, 0);
                                }
                                if (gx != null) {
                                    be.gemm(true, false, 1, patch, spatial, o, 1f, sw, 0, gyi, 0, 0f, cols, 0);
                                    be.col2im(cols, g, gx, i);
                                }
                            }
                        }
                    }
                    if (needsGrad(2)) {
                        try (Tensor s = ReduceOps.sumToShape(gy, Shape.of(o, 1, 1))) {
                            gb = s.viewAs(bias.shape());
                        }
                    }
                    return new Tensor[] {gx, gw, gb};
                }
            });
        }
        return y;
    }

    /** Resizes x [N, C, H, W] to [N, C, outH, outW] with PyTorch's F.interpolate semantics. */
    public static Tensor interpolate(Tensor x, int outH, int outW, Interpolation mode, boolean alignCorners) {
        if (x.rank() != 4) {
            throw new IllegalArgumentException("interpolate takes [N, C, H, W], got " + x.describeShort());
        }
        Tensor y = Tensor.empty(x.backend(), Shape.of(x.dim(0), x.dim(1), outH, outW));
        x.backend().interpolate(mode, alignCorners, x, y);
        if (Autograd.needed(x)) {
            y.setGradFn(new Node("interpolate", x) {
                @Override
                protected Tensor[] backward(Tensor g) {
                    Tensor gx = Tensor.zeros(g.backend(), x.shape());
                    g.backend().interpolateBackward(mode, alignCorners, g, gx);
                    return new Tensor[] {gx};
                }
            });
        }
        return y;
    }

    public static Tensor maxPool2d(Tensor x, int kernel, int stride, int padding) {
        ConvGeometry g = poolGeometry("maxPool2d", x, kernel, stride, padding);
        Backend be = x.backend();
        Shape outShape = Shape.of(x.dim(0), x.dim(1), g.outHeight(), g.outWidth());
        Tensor y = Tensor.empty(be, outShape);
        boolean record = Autograd.needed(x);
        Tensor argmax = Tensor.empty(be, outShape, DType.I32, record ? MemoryCategory.current() : MemoryCategory.WORKSPACE);
        be.maxPool2d(x, g, y, argmax);
        if (record) {
            y.setGradFn(new Node("maxPool2d", x) {
                final Tensor sa = save(argmax);

                @Override
                protected Tensor[] backward(Tensor gy) {
                    Tensor gx = Tensor.zeros(gy.backend(), x.shape());
                    gy.backend().maxPool2dBackward(gy, sa, gx);
                    return new Tensor[] {gx};
                }
            });
        }
        argmax.close();
        return y;
    }

    public static Tensor avgPool2d(Tensor x, int kernel, int stride, int padding, boolean countIncludePad) {
        ConvGeometry g = poolGeometry("avgPool2d", x, kernel, stride, padding);
        Tensor y = Tensor.empty(x.backend(), Shape.of(x.dim(0), x.dim(1), g.outHeight(), g.outWidth()));
        x.backend().avgPool2d(x, g, countIncludePad, y);
        if (Autograd.needed(x)) {
            y.setGradFn(new Node("avgPool2d", x) {
                @Override
                protected Tensor[] backward(Tensor gy) {
                    Tensor gx = Tensor.zeros(gy.backend(), x.shape());
                    gy.backend().avgPool2dBackward(gy, g, countIncludePad, gx);
                    return new Tensor[] {gx};
                }
            });
        }
        return y;
    }

    private static ConvGeometry poolGeometry(String op, Tensor x, int kernel, int stride, int padding) {
        if (x.rank() != 4) {
            throw new IllegalArgumentException(op + " takes [N, C, H, W], got " + x.describeShort());
        }
        if (padding * 2 > kernel) {
            throw new IllegalArgumentException(op + ": padding " + padding + " must be at most half the kernel " + kernel);
        }
        return ConvGeometry.of(x.dim(1), x.dim(2), x.dim(3), kernel, stride, padding);
    }
}
