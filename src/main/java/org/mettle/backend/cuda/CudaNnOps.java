package org.mettle.backend.cuda;

import static org.mettle.backend.cuda.CudaBackend.allF32;
import static org.mettle.backend.cuda.CudaBackend.at;
import static org.mettle.backend.cuda.CudaBackend.ptr;
import static org.mettle.backend.cuda.CudaBackend.suffix;
import static org.mettle.backend.cuda.CudaKernels.cdiv;
import static org.mettle.backend.cuda.CudaKernels.gridStride;

import jcuda.driver.CUdeviceptr;
import org.mettle.backend.Backends;
import org.mettle.backend.ConvGeometry;
import org.mettle.backend.Interpolation;
import org.mettle.tensor.DType;
import org.mettle.tensor.Tensor;

/** The CUDA paths of rows (softmax, layer norm), spatial ops, losses and AdamW (attention: {@link CudaAttention}). */
final class CudaNnOps {
    private final CudaBackend cuda;
    private final CudaKernels kernels;
    private final HostFallback fallback;

    CudaNnOps(CudaBackend cuda) {
        this.cuda = cuda;
        this.kernels = cuda.kernels;
        this.fallback = cuda.fallback;
    }

    private static int lastDim(Tensor t) {
        return t.rank() == 0 ? 1 : t.dim(t.rank() - 1);
    }

    // ---- rows ----------------------------------------------------------------------------------------------

    void softmax(Tensor x, Tensor y) {
        String s = suffix(x, y);
        if (s == null || x.numel() != y.numel()) {
            fallback.run("softmax", new Tensor[] {x, y}, new Tensor[] {y}, h -> {
                Backends.cpu().softmax(h[0], h[1]);
                return null;
            });
            return;
        }
        int c = lastDim(x);
        long rows = c == 0 ? 0 : x.numel() / c;
        kernels.launch("softmax_fwd" + s, cdiv(rows, 8), 1, 1, 256, ptr(x), ptr(y), rows, c, 1f);
    }

    void softmaxBackward(Tensor y, Tensor dy, Tensor dx) {
        String s = suffix(y, dy, dx);
        if (s == null) {
            fallback.run("softmaxBackward", new Tensor[] {y, dy, dx}, new Tensor[] {dx}, h -> {
                Backends.cpu().softmaxBackward(h[0], h[1], h[2]);
                return null;
            });
            return;
        }
        int c = lastDim(y);
        long rows = c == 0 ? 0 : y.numel() / c;
        kernels.launch("softmax_bwd" + s, cdiv(rows, 8), 1, 1, 256, ptr(y), ptr(dy), ptr(dx), rows, c, 1f);
    }

    void layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps, Tensor y, Tensor mean, Tensor rstd) {
        String s = suffix(x, gamma, beta, y);
        if (s == null || !allF32(mean, rstd)) {
            fallback.run("layerNorm", new Tensor[] {x, gamma, beta, y, mean, rstd}, new Tensor[] {y, mean, rstd}, h -> {
                Backends.cpu().layerNorm(h[0], h[1], h[2], eps, h[3], h[4], h[5]);
                return null;
            });
            return;
        }
        int c = lastDim(x);
        long rows = c == 0 ? 0 : x.numel() / c;
        kernels.launch("layernorm_fwd" + s, cdiv(rows, 8), 1, 1, 256,
                ptr(x), ptr(gamma), ptr(beta), ptr(y), ptr(mean), ptr(rstd), rows, c, eps);
    }

    void l2Normalize(Tensor x, float eps, Tensor y) {
        String s = suffix(x, y);
        if (s == null) {
            fallback.run("l2Normalize", new Tensor[] {x, y}, new Tensor[] {y}, h -> {
                Backends.cpu().l2Normalize(h[0], eps, h[1]);
                return null;
            });
            return;
        }
        int c = lastDim(x);
        long rows = c == 0 ? 0 : x.numel() / c;
        kernels.launch("l2norm_fwd" + s, cdiv(rows, 8), 1, 1, 256, ptr(x), ptr(y), rows, c, eps);
    }

    void l2NormalizeBackward(Tensor x, float eps, Tensor dy, Tensor dx) {
        String s = suffix(x, dy, dx);
        if (s == null) {
            fallback.run("l2NormalizeBackward", new Tensor[] {x, dy, dx}, new Tensor[] {dx}, h -> {
                Backends.cpu().l2NormalizeBackward(h[0], eps, h[1], h[2]);
                return null;
            });
            return;
        }
        int c = lastDim(x);
        long rows = c == 0 ? 0 : x.numel() / c;
        kernels.launch("l2norm_bwd" + s, cdiv(rows, 8), 1, 1, 256, ptr(x), ptr(dy), ptr(dx), rows, c, eps);
    }

    void layerNormBackward(Tensor x, Tensor gamma, Tensor mean, Tensor rstd, Tensor dy, Tensor dx, Tensor dGamma, Tensor dBeta) {
        String s = suffix(x, gamma, dy, dx);
        if (s == null || !allF32(mean, rstd, dGamma, dBeta)) {
            fallback.run("layerNormBackward", new Tensor[] {x, gamma, mean, rstd, dy, dx, dGamma, dBeta},
                    new Tensor[] {dx, dGamma, dBeta}, h -> {
                        Backends.cpu().layerNormBackward(h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]);
                        return null;
                    });
            return;
        }
        int c = lastDim(x);
        long rows = c == 0 ? 0 : x.numel() / c;
        if (dx != null) {
            kernels.launch("layernorm_bwd_dx" + s, cdiv(rows, 8), 1, 1, 256,
                    ptr(x), ptr(gamma), ptr(dy), ptr(mean), ptr(rstd), ptr(dx), rows, c);
        }
        if ((dGamma == null && dBeta == null) || rows == 0 || c == 0) {
            return;
        }
        int chunks = Math.max(1, Math.min(cdiv(rows, 64), 1024));
        try (Tensor partG = cuda.workspace(DType.F32, (long) chunks * c);
             Tensor partB = cuda.workspace(DType.F32, (long) chunks * c);
             Tensor sumG = cuda.workspace(DType.F32, c);
             Tensor sumB = cuda.workspace(DType.F32, c)) {
            kernels.launch("layernorm_bwd_dgb_partial" + s, cdiv(c, 256), chunks, 1, 256,
                    ptr(x), ptr(dy), ptr(mean), ptr(rstd), rows, c, ptr(partG), ptr(partB));
            kernels.launch("layernorm_bwd_dgb_reduce", cdiv(c, 256), 1, 1, 256,
                    ptr(partG), ptr(partB), c, chunks, ptr(sumG), ptr(sumB));
            if (dGamma != null) {
                cuda.axpbyRaw("_f32", c, 1f, ptr(sumG), 1f, ptr(dGamma));
            }
            if (dBeta != null) {
                cuda.axpbyRaw("_f32", c, 1f, ptr(sumB), 1f, ptr(dBeta));
            }
        }
    }

    static Object[] concat(Object[] a, Object[] b) {
        Object[] r = new Object[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    // ---- spatial -------------------------------------------------------------------------------------------

    private static Object[] geometry(ConvGeometry g) {
        return new Object[] {1, g.channels(), g.height(), g.width(), g.kernelH(), g.kernelW(), g.strideH(), g.strideW(),
            g.padH(), g.padW(), g.dilationH(), g.dilationW(), g.outHeight(), g.outWidth()};
    }

    void im2col(Tensor x, int image, ConvGeometry g, Tensor cols) {
        String s = suffix(x, cols);
        if (s == null) {
            fallback.run("im2col", new Tensor[] {x, cols}, new Tensor[] {cols}, h -> {
                Backends.cpu().im2col(h[0], image, g, h[1]);
                return null;
            });
            return;
        }
        long imageSize = (long) g.channels() * g.height() * g.width();
        long n = (long) g.patchSize() * g.outHeight() * g.outWidth();
        kernels.launch("im2col" + s, gridStride(n), 1, 1, 256,
                concat(new Object[] {at(ptr(x), x.dtype(), image * imageSize), ptr(cols)}, geometry(g)));
    }

    void col2im(Tensor cols, ConvGeometry g, Tensor dx, int image) {
        String s = suffix(cols, dx);
        if (s == null) {
            fallback.run("col2im", new Tensor[] {cols, dx}, new Tensor[] {dx}, h -> {
                Backends.cpu().col2im(h[0], g, h[1], image);
                return null;
            });
            return;
        }
        long imageSize = (long) g.channels() * g.height() * g.width();
        try (Tensor tmp = cuda.workspace(dx.dtype(), imageSize)) {
            kernels.launch("col2im" + s, gridStride(imageSize), 1, 1, 256, concat(new Object[] {ptr(cols), ptr(tmp)}, geometry(g)));
            cuda.axpbyRaw(s, imageSize, 1f, ptr(tmp), 1f, at(ptr(dx), dx.dtype(), image * imageSize));
        }
    }

    void interpolate(Interpolation mode, boolean alignCorners, Tensor x, Tensor y) {
        String s = suffix(x, y);
        if (mode != Interpolation.BILINEAR || s == null) {
            fallback.run("interpolate " + mode, new Tensor[] {x, y}, new Tensor[] {y}, h -> {
                Backends.cpu().interpolate(mode, alignCorners, h[0], h[1]);
                return null;
            });
            return;
        }
        long nc = (long) x.dim(0) * x.dim(1);
        long n = nc * y.dim(2) * y.dim(3);
        kernels.launch("bilinear_fwd" + s, gridStride(n), 1, 1, 256,
                ptr(x), ptr(y), nc, x.dim(2), x.dim(3), y.dim(2), y.dim(3), alignCorners ? 1 : 0);
    }

    void interpolateBackward(Interpolation mode, boolean alignCorners, Tensor dy, Tensor dx) {
        String s = suffix(dy);
        if (mode != Interpolation.BILINEAR || s == null || dx.dtype() != DType.F32) {
            fallback.run("interpolateBackward " + mode, new Tensor[] {dy, dx}, new Tensor[] {dx}, h -> {
                Backends.cpu().interpolateBackward(mode, alignCorners, h[0], h[1]);
                return null;
            });
            return;
        }
        long nc = (long) dx.dim(0) * dx.dim(1);
        long n = nc * dy.dim(2) * dy.dim(3);
        kernels.launch("bilinear_bwd" + s, gridStride(n), 1, 1, 256,
                ptr(dy), ptr(dx), nc, dx.dim(2), dx.dim(3), dy.dim(2), dy.dim(3), alignCorners ? 1 : 0);
    }

    // ---- losses and optimiser ------------------------------------------------------------------------------

    void crossEntropy(Tensor logits, Tensor targets, int ignoreIndex, float labelSmoothing, Tensor classWeights,
                      Tensor loss, Tensor dLogits) {
        String s = suffix(logits, dLogits);
        int count = -1;
        if (s != null && labelSmoothing == 0f && classWeights == null && logits.rank() == 2 && targets.dtype() == DType.I32
                && loss.dtype() == DType.F32) {
            int classes = logits.dim(1);
            count = 0;
            for (int t : cuda.readInts(targets)) { // small: one int per row; also validates the targets
                if (t == ignoreIndex) {
                    continue;
                }
                if (t < 0 || t >= classes) {
                    count = -1;
                    break;
                }
                count++;
            }
        }
        if (count <= 0) {
            fallback.run("crossEntropy", new Tensor[] {logits, targets, classWeights, loss, dLogits}, new Tensor[] {loss, dLogits}, h -> {
                Backends.cpu().crossEntropy(h[0], h[1], ignoreIndex, labelSmoothing, h[2], h[3], h[4]);
                return null;
            });
            return;
        }
        long rows = logits.dim(0);
        int classes = logits.dim(1);
        try (Tensor perRow = cuda.workspace(DType.F32, rows); Tensor lse = cuda.workspace(DType.F32, rows)) {
            kernels.launch("ce_fwd" + s, cdiv(rows, 8), 1, 1, 256, ptr(logits), ptr(targets), rows, classes, ignoreIndex, ptr(perRow), ptr(lse));
            meanInto(perRow, rows, count, loss);
            if (dLogits != null) {
                kernels.launch("ce_bwd" + s, gridStride(rows * classes), 1, 1, 256, ptr(logits), ptr(targets), ptr(lse), rows, classes,
                        ignoreIndex, 1f / count, null, ptr(dLogits));
            }
        }
    }

    /** loss[0] = sum(values[0..n)) / count. */
    private void meanInto(Tensor values, long n, long count, Tensor loss) {
        kernels.launch("reduce_all_f32", 1, 1, 1, 1024, 0, n, ptr(values), ptr(loss), 0);
        kernels.launch("ew_unary_f32", 1, 1, 1, 256, 5, 1L, ptr(loss), ptr(loss), 1f / count, 0f);
    }

    void bceWithLogits(Tensor logits, Tensor targets, Tensor posWeight, Tensor weight, Tensor loss, Tensor dLogits) {
        String s = suffix(logits, targets, dLogits);
        long n = logits.numel();
        if (s == null || posWeight != null || weight != null || n == 0 || loss.dtype() != DType.F32 || targets.numel() != n) {
            fallback.run("bceWithLogits", new Tensor[] {logits, targets, posWeight, weight, loss, dLogits}, new Tensor[] {loss, dLogits}, h -> {
                Backends.cpu().bceWithLogits(h[0], h[1], h[2], h[3], h[4], h[5]);
                return null;
            });
            return;
        }
        try (Tensor perElement = cuda.workspace(DType.F32, n)) {
            kernels.launch("bce_logits_fwd" + s, gridStride(n), 1, 1, 256, n, ptr(logits), ptr(targets), ptr(perElement));
            meanInto(perElement, n, n, loss);
            if (dLogits != null) {
                kernels.launch("bce_logits_bwd" + s, gridStride(n), 1, 1, 256, n, ptr(logits), ptr(targets), 1f / n, null, ptr(dLogits));
            }
        }
    }

    void adamW(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
               float weightDecay, int step) {
        String g = suffix(grad);
        if (!allF32(param, m, v) || g == null || param.numel() != grad.numel() || step < 1) {
            fallback.run("adamW", new Tensor[] {param, grad, m, v}, new Tensor[] {param, m, v}, h -> {
                Backends.cpu().adamW(h[0], h[1], h[2], h[3], lr, beta1, beta2, eps, weightDecay, step);
                return null;
            });
            return;
        }
        long n = param.numel();
        float bc1 = (float) (1.0 - Math.pow(beta1, step));
        float bc2 = (float) (1.0 - Math.pow(beta2, step));
        CUdeviceptr none = null;
        kernels.launch("adamw_step" + g, gridStride(n), 1, 1, 256, n, ptr(param), ptr(grad), ptr(m), ptr(v), lr, beta1, beta2, eps,
                weightDecay, bc1, bc2, 1f, none);
    }
}
