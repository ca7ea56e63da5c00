package org.mettle.backend.cuda;

import static org.mettle.backend.cuda.CudaBackend.ptr;
import static org.mettle.backend.cuda.CudaBackend.suffix;

import jcuda.driver.CUdeviceptr;
import org.mettle.backend.Backends;
import org.mettle.backend.BinaryOp;
import org.mettle.backend.UnaryOp;
import org.mettle.tensor.DType;
import org.mettle.tensor.Tensor;

/** The CUDA paths of elementwise ops (broadcast binary, unary and their gradients, axpby) and sums to a shape. */
final class CudaElementwiseOps {
    private final CudaBackend cuda;
    private final CudaKernels kernels;
    private final HostFallback fallback;

    CudaElementwiseOps(CudaBackend cuda) {
        this.cuda = cuda;
        this.kernels = cuda.kernels;
        this.fallback = cuda.fallback;
    }


    private static int binaryCode(BinaryOp op) {
        return switch (op) {
            case ADD -> 0;
            case SUB -> 1;
            case MUL -> 2;
            case DIV -> 3;
            case MAX -> 4;
            case MIN -> 5;
            default -> -1;
        };
    }

    /** Element strides of t broadcast (numpy rules) to the 4-dim shape out4 (out's shape padded with leading 1s). */
    private static int[] broadcastStrides(Tensor t, int[] out4) {
        int[] dims = t.shape().dims();
        int[] st = new int[4];
        long stride = 1;
        for (int i = dims.length - 1, j = 3; i >= 0; i--, j--) {
            if (dims[i] != out4[j] && dims[i] != 1) {
                return null; // not broadcastable: the CPU path reports it
            }
            st[j] = dims[i] == 1 && out4[j] != 1 ? 0 : (int) stride;
            stride *= dims[i];
        }
        return st;
    }

    void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        String s = suffix(a, b, out);
        int code = binaryCode(op);
        int[] o4 = new int[] {1, 1, 1, 1};
        int[] od = out.shape().dims();
        boolean shapesOk = out.rank() <= 4 && a.rank() <= out.rank() && b.rank() <= out.rank();
        if (shapesOk) {
            System.arraycopy(od, 0, o4, 4 - od.length, od.length);
        }
        int[] sa = shapesOk ? broadcastStrides(a, o4) : null;
        int[] sb = shapesOk ? broadcastStrides(b, o4) : null;
        if (s == null || code < 0 || sa == null || sb == null) {
            fallback.run("binary " + op, new Tensor[] {a, b, out}, new Tensor[] {out}, h -> {
                Backends.cpu().binary(op, h[0], h[1], h[2]);
                return null;
            });
            return;
        }
        long n = out.numel();
        if (n == 0) {
            return;
        }
        kernels.launch("ew_binary" + s, CudaKernels.gridStride(n), 1, 1, 256,
                code, n, o4[1], o4[2], o4[3],
                ptr(a), sa[0], sa[1], sa[2], sa[3],
                ptr(b), sb[0], sb[1], sb[2], sb[3], ptr(out));
    }

    void binaryScalar(BinaryOp op, Tensor a, float scalar, Tensor out) {
        String s = suffix(a, out);
        if (s == null || binaryCode(op) < 0 || out.numel() > Integer.MAX_VALUE || a.numel() != out.numel()) {
            fallback.run("binaryScalar " + op, new Tensor[] {a, out}, new Tensor[] {out}, h -> {
                Backends.cpu().binaryScalar(op, h[0], scalar, h[1]);
                return null;
            });
            return;
        }
        try (Tensor sc = cuda.workspace(a.dtype(), 1)) {
            cuda.write(sc, new float[] {scalar});
            long n = out.numel();
            if (n == 0) {
                return;
            }
            kernels.launch("ew_binary" + s, CudaKernels.gridStride(n), 1, 1, 256,
                    binaryCode(op), n, 1, 1, (int) n,
                    ptr(a), 0, 0, 0, 1, ptr(sc), 0, 0, 0, 0, ptr(out));
        }
    }

    /** Kernel op code of ew_unary / ew_unary_bwd, or -1 (5 = affine is handled by the caller). */
    private static int unaryCode(UnaryOp op) {
        return switch (op) {
            case GELU -> 0;
            case EXP -> 1;
            case TANH -> 2;
            case SIGMOID -> 3;
            case RELU -> 4;
            case NEG -> 5;
            case LOG -> 6;
            case SQRT -> 7;
            default -> -1;
        };
    }

    void unary(UnaryOp op, Tensor x, Tensor out) {
        CudaBackend.sameSize("unary " + op, x, out);
        String s = suffix(x, out);
        if (s != null && op == UnaryOp.SQUARE) {
            binary(BinaryOp.MUL, x, x, out);
            return;
        }
        int code = unaryCode(op);
        if (s == null || code < 0) {
            fallback.run("unary " + op, new Tensor[] {x, out}, new Tensor[] {out}, h -> {
                Backends.cpu().unary(op, h[0], h[1]);
                return null;
            });
            return;
        }
        long n = x.numel();
        float alpha = op == UnaryOp.NEG ? -1f : 1f;
        kernels.launch("ew_unary" + s, CudaKernels.gridStride(n), 1, 1, 256, code, n, ptr(x), ptr(out), alpha, 0f);
    }

    void unaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor gradOut, Tensor gradIn) {
        int code = unaryCode(op);
        Tensor in = switch (op) {
            case GELU, RELU, LOG -> x;
            case EXP, TANH, SIGMOID, SQRT -> y;
            default -> null;
        };
        String s = suffix(in, gradOut, gradIn);
        if (s == null || code < 0 || (in == null && op != UnaryOp.NEG)) {
            fallback.run("unaryBackward " + op, new Tensor[] {x, y, gradOut, gradIn}, new Tensor[] {gradIn}, h -> {
                Backends.cpu().unaryBackward(op, h[0], h[1], h[2], h[3]);
                return null;
            });
            return;
        }
        long n = gradIn.numel();
        float alpha = op == UnaryOp.NEG ? -1f : 1f;
        kernels.launch("ew_unary_bwd" + s, CudaKernels.gridStride(n), 1, 1, 256, code, n, ptr(in), ptr(gradOut), ptr(gradIn), alpha);
    }

    void axpby(float alpha, Tensor x, float beta, Tensor y) {
        CudaBackend.sameSize("axpby", x, y);
        String s = suffix(x, y);
        if (s == null) {
            fallback.run("axpby", new Tensor[] {x, y}, new Tensor[] {y}, h -> {
                Backends.cpu().axpby(alpha, h[0], beta, h[1]);
                return null;
            });
            return;
        }
        axpbyRaw(s, y.numel(), alpha, ptr(x), beta, ptr(y));
    }

    void axpbyRaw(String suffix, long n, float alpha, CUdeviceptr x, float beta, CUdeviceptr y) {
        kernels.launch("ew_axpby" + suffix, CudaKernels.gridStride(n), 1, 1, 256, n, alpha, x, beta, y);
    }

    void sumTo(Tensor x, Tensor out) {
        int[] in = x.shape().dims();
        int lead = in.length - out.rank();
        // merge neighbouring dims that are all kept or all reduced; drop size-1 dims
        int[] d = new int[in.length];
        int[] e = new int[in.length];
        int r = 0;
        boolean ok = lead >= 0;
        for (int i = 0; ok && i < in.length; i++) {
            int o = i < lead ? 1 : out.dim(i - lead);
            if (o != 1 && o != in[i]) {
                ok = false;
                break;
            }
            if (in[i] == 1) {
                continue;
            }
            boolean kept = o != 1;
            if (r > 0 && (e[r - 1] != 1) == kept && (long) d[r - 1] * in[i] <= Integer.MAX_VALUE) {
                d[r - 1] *= in[i];
                e[r - 1] = kept ? d[r - 1] : 1;
            } else {
                d[r] = in[i];
                e[r] = o;
                r++;
            }
        }
        String s = suffix(x);
        if (!ok || r > 4 || s == null || out.dtype() != DType.F32) {
            fallback.run("sumTo", new Tensor[] {x, out}, new Tensor[] {out}, h -> {
                Backends.cpu().sumTo(h[0], h[1]);
                return null;
            });
            return;
        }
        int[] d4 = {1, 1, 1, 1};
        int[] e4 = {1, 1, 1, 1};
        System.arraycopy(d, 0, d4, 4 - r, r);
        System.arraycopy(e, 0, e4, 4 - r, r);
        long outN = out.numel();
        if (x.numel() == 0) {
            cuda.fill(out, 0f);
            return;
        }
        kernels.launch("reduce_to_shape" + s, CudaKernels.gridStride(outN), 1, 1, 256,
                ptr(x), d4[0], d4[1], d4[2], d4[3], e4[0], e4[1], e4[2], e4[3], ptr(out), 1f, 0);
    }
}
