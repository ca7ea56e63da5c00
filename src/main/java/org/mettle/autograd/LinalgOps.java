package org.mettle.autograd;

import java.util.Arrays;
import org.mettle.backend.Backend;
import org.mettle.backend.BinaryOp;
import org.mettle.backend.cpu.PackedLinearWeight;
import org.mettle.tensor.DType;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;

/** Matrix products and the linear layer, with gradients; batched GEMMs with transposes underneath. */
public final class LinalgOps {
    private LinalgOps() {}

    /**
     * a [..., m, k] x b [..., k, n] -> [..., m, n]. Batch dims must be equal, or one side has none / all ones
     * (broadcast with a zero stride); a rank-2 b against a batched a becomes one large GEMM.
     */
    public static Tensor matMul(Tensor a, Tensor b) {
        ElementwiseOps.checkSameBackend("matMul", a, b);
        checkOperandTypes("matMul", a, "a", b, "b");
        if (a.rank() < 2 || b.rank() < 2) {
            throw new IllegalArgumentException("matMul needs rank >= 2 operands, got " + a.describeShort() + " and " + b.describeShort());
        }
        int m = a.dim(-2);
        int k = a.dim(-1);
        int n = b.dim(-1);
        if (b.dim(-2) != k) {
            throw new IllegalArgumentException("matMul: inner dims differ: " + a.shape() + " x " + b.shape());
        }
        int[] aBatch = Arrays.copyOf(a.shape().dims(), a.rank() - 2);
        int[] bBatch = Arrays.copyOf(b.shape().dims(), b.rank() - 2);
        long aCount = Shape.of(aBatch).numel();
        long bCount = Shape.of(bBatch).numel();
        int[] outBatch;
        if (Arrays.equals(aBatch, bBatch)) {
            outBatch = aBatch;
        } else if (bCount == 1) {
            outBatch = aBatch;
        } else if (aCount == 1) {
            outBatch = bBatch;
        } else {
            throw new IllegalArgumentException("matMul: batch dims " + Arrays.toString(aBatch) + " and " + Arrays.toString(bBatch)
                    + " must be equal or one side must have none; expand() an operand first");
        }
        int batch = Math.toIntExact(Shape.of(outBatch).numel());
        int[] outDims = Arrays.copyOf(outBatch, outBatch.length + 2);
        outDims[outBatch.length] = m;
        outDims[outBatch.length + 1] = n;
        Tensor out = Tensor.empty(a.backend(), Shape.of(outDims));
        int strideA = aCount == 1 ? 0 : m * k;
        int strideB = bCount == 1 ? 0 : k * n;
        if (strideB == 0 && strideA != 0) {
            // [batch*m, k] x [k, n] as one GEMM: better blocking than many small ones
            a.backend().gemm(false, false, 1, batch * m, n, k, 1f, a, 0, b, 0, 0f, out, 0);
        } else {
            a.backend().gemm(false, false, batch, m, n, k, 1f, a, strideA, b, strideB, 0f, out, m * n);
        }
        if (Autograd.needed(a, b)) {
            out.setGradFn(new Node("matMul", a, b) {
                final Tensor sa = b.requiresGrad() ? save(a) : null;
                final Tensor sb = a.requiresGrad() ? save(b) : null;

                @Override
                protected Tensor[] backward(Tensor g) {
                    Backend be = g.backend();
                    Tensor ga = null;
                    Tensor gb = null;
                    if (needsGrad(0)) {
                        // dA = dC B^T, summed over the batch when A was broadcast
                        ga = Tensor.zeros(be, a.shape());
                        if (strideA == 0) {
                            be.gemm(false, true, 1, m, k, n, 1f, g, 0, sb, 0, 0f, ga, 0);
                            for (int i = 1; i < batch; i++) {
                                gemmAccumulateSlice(be, false, true, m, k, n, g, i * m * n, sb, i * strideB, ga);
                            }
                        } else if (strideB == 0) {
                            be.gemm(false, true, 1, batch * m, k, n, 1f, g, 0, sb, 0, 0f, ga, 0);
                        } else {
                            be.gemm(false, true, batch, m, k, n, 1f, g, m * n, sb, strideB, 0f, ga, m * k);
                        }
                    }
                    if (needsGrad(1)) {
                        // dB = A^T dC, summed over the batch when B was broadcast
                        gb = Tensor.zeros(be, b.shape());
                        if (strideB == 0 && strideA != 0) {
                            be.gemm(true, false, 1, k, n, batch * m, 1f, sa, 0, g, 0, 0f, gb, 0);
                        } else if (strideB == 0) {
                            be.gemm(true, false, 1, k, n, m, 1f, sa, 0, g, 0, 0f, gb, 0);
                            for (int i = 1; i < batch; i++) {
                                gemmAccumulateSlice(be, true, false, k, n, m, sa, 0, g, i * m * n, gb);
                            }
                        } else {
                            be.gemm(true, false, batch, k, n, m, 1f, sa, strideA, g, m * n, 0f, gb, k * n);
                        }
                    }
                    return new Tensor[] {ga, gb};
                }
            });
        }
        return out;
    }

    /** c += op(a[aOff...]) op(b[bOff...]) for one matrix, through views at the given element offsets. */
    private static void gemmAccumulateSlice(Backend be, boolean ta, boolean tb, int m, int n, int k,
                                            Tensor a, int aOff, Tensor b, int bOff, Tensor c) {
        try (Tensor aSlice = offsetView(a, aOff, ta ? k * m : m * k);
             Tensor bSlice = offsetView(b, bOff, k * n)) {
            be.gemm(ta, tb, 1, m, n, k, 1f, aSlice, 0, bSlice, 0, 1f, c, 0);
        }
    }

    private static Tensor offsetView(Tensor t, int elementOffset, int count) {
        Tensor flat = t.viewAs(Shape.of(Math.toIntExact(t.numel())));
        Tensor v = flat.viewRows(elementOffset, count, Shape.of(count));
        flat.close();
        return v;
    }

    /**
     * The left operand is F32; the right one (a weight) may be stored in BF16 only when frozen: the GEMM reads BF16
     * B with F32 accumulation, but gradients and optimizer updates of a BF16 tensor are not supported.
     */
    private static void checkOperandTypes(String op, Tensor left, String leftName, Tensor right, String rightName) {
        if (left.dtype() != DType.F32) {
            throw new IllegalArgumentException(op + ": " + leftName + " " + left.describeShort() + " must be F32"
                    + (left.dtype() == DType.BF16 ? " (only the frozen right-hand " + rightName + " may be BF16)" : ""));
        }
        if (right.dtype() == DType.BF16) {
            if (right.requiresGrad()) {
                throw new IllegalArgumentException(op + ": " + rightName + " " + right.describeShort() + " is BF16 and requires grad;"
                        + " BF16 storage is for frozen weights only: keep trainable tensors in F32 (toType(DType.F32))"
                        + " or freeze it with requiresGrad(false)");
            }
        } else if (right.dtype() != DType.F32) {
            throw new IllegalArgumentException(op + ": " + rightName + " " + right.describeShort() + " must be F32 or a frozen BF16 tensor");
        }
    }

    /** y = x w^T + b for x [..., in], w [out, in] (PyTorch's layout), b [out] nullable. */
    public static Tensor linear(Tensor x, Tensor w, Tensor b) {
        return linear(x, w, b, null);
    }

    /**
     * {@link #linear(Tensor, Tensor, Tensor)} where {@code packedW}, when not null, is w packed once for the CPU GEMM
     * ({@link PackedLinearWeight}): used for the product whenever no gradient is needed.
     */
    public static Tensor linear(Tensor x, Tensor w, Tensor b, PackedLinearWeight packedW) {
        ElementwiseOps.checkSameBackend("linear", x, w);
        checkOperandTypes("linear", x, "input", w, "weight");
        int in = x.dim(-1);
        if (w.rank() != 2 || w.dim(1) != in) {
            throw new IllegalArgumentException("linear: weight " + w.describeShort() + " does not take inputs of width " + in
                    + " (expected [out, " + in + "])");
        }
        int outF = w.dim(0);
        if (b != null && (b.rank() != 1 || b.dim(0) != outF)) {
            throw new IllegalArgumentException("linear: bias " + b.describeShort() + " should be [" + outF + "]");
        }
        int rows = Math.toIntExact(x.numel() / Math.max(1, in));
        Shape outShape = x.shape().withDim(-1, outF);
        Tensor y = Tensor.empty(x.backend(), outShape);
        Backend be = x.backend();
        if (packedW != null && !Autograd.needed(x, w, b)) {
            packedW.multiply(x, rows, y);
        } else {
            be.gemm(false, true, 1, rows, outF, in, 1f, x, 0, w, 0, 0f, y, 0);
        }
        if (b != null) {
            be.binary(BinaryOp.ADD, y, b, y);
        }
        if (Autograd.needed(x, w, b)) {
            y.setGradFn(new Node("linear", x, w, b) {
                final Tensor sx = w.requiresGrad() ? save(x) : null;
                final Tensor sw = x.requiresGrad() ? save(w) : null;

                @Override
                protected Tensor[] backward(Tensor g) {
                    Tensor gx = null;
                    Tensor gw = null;
                    Tensor gbias = null;
                    if (needsGrad(0)) {
                        gx = Tensor.empty(be, x.shape());
                        be.gemm(false, false, 1, rows, in, outF, 1f, g, 0, sw, 0, 0f, gx, 0);
                    }
                    if (needsGrad(1)) {
                        gw = Tensor.empty(be, w.shape());
                        be.gemm(true, false, 1, outF, in, rows, 1f, g, 0, sx, 0, 0f, gw, 0);
                    }
                    if (needsGrad(2)) {
                        gbias = ReduceOps.sumToShape(g, b.shape());
                    }
                    return new Tensor[] {gx, gw, gbias};
                }
            });
        }
        return y;
    }
}
