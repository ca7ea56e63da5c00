package org.mettle.backend.cpu;

import java.util.Arrays;
import org.mettle.backend.AttentionLayout;
import org.mettle.backend.AttentionShape;
import org.mettle.backend.Backend;
import org.mettle.backend.BinaryOp;
import org.mettle.backend.ConvGeometry;
import org.mettle.backend.Interpolation;
import org.mettle.backend.UnaryOp;
import org.mettle.memory.MemoryCategory;
import org.mettle.tensor.DType;
import org.mettle.tensor.Device;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Storage;
import org.mettle.tensor.Tensor;

/**
 * Pure-Java backend on all cores. Each primitive unpacks its tensors to arrays and offsets and calls the kernel
 * class of its family (Cpu*: scalar and Vector API implementations chosen at start-up).
 */
public final class CpuBackend implements Backend {
    private final GemmKernel gemm = Gemm.kernel();

    @Override
    public Device device() {
        return Device.CPU;
    }

    @Override
    public String describe() {
        return "cpu: " + CpuParallel.threads() + " threads, " + VectorSupport.describe();
    }

    @Override
    public Storage allocate(DType dtype, long numel, MemoryCategory category) {
        return new CpuStorage(dtype, numel, category);
    }

    // ---- unpacking -----------------------------------------------------------------------------------------

    static float[] f(Tensor t) {
        if (t.dtype() != DType.F32) {
            throw new IllegalArgumentException("expected an F32 tensor, got " + t.describeShort() + "; convert it with toType(DType.F32)");
        }
        return ((CpuStorage) cpuStorage(t)).floats;
    }

    static float[] fOrNull(Tensor t) {
        return t == null ? null : f(t);
    }

    static int[] ints(Tensor t) {
        if (t.dtype() != DType.I32) {
            throw new IllegalArgumentException("expected an I32 tensor, got " + t.describeShort());
        }
        return ((CpuStorage) cpuStorage(t)).ints;
    }

    private static Storage cpuStorage(Tensor t) {
        Storage s = t.storage();
        if (!(s instanceof CpuStorage)) {
            throw new IllegalArgumentException("tensor " + t.describeShort() + " is not on the CPU; move it with toDevice(Backends.cpu())");
        }
        return s;
    }

    static int off(Tensor t) {
        return t == null ? 0 : t.offsetInt();
    }

    static int n(Tensor t) {
        return t.shape().numelInt();
    }

    private static void sameSize(String op, Tensor a, Tensor b) {
        if (a.numel() != b.numel()) {
            throw new IllegalArgumentException(op + ": " + a.describeShort() + " and " + b.describeShort() + " differ in size");
        }
    }

    // ---- data movement -------------------------------------------------------------------------------------

    @Override
    public void write(Tensor dst, float[] src) {
        if (src.length != dst.numel()) {
            throw new IllegalArgumentException("writing " + src.length + " values into " + dst.describeShort());
        }
        if (dst.dtype() == DType.F32) {
            System.arraycopy(src, 0, f(dst), off(dst), src.length);
        } else if (dst.dtype() == DType.BF16) {
            CpuPointwise.toBf16(src, 0, ((CpuStorage) cpuStorage(dst)).halves, off(dst), src.length);
        } else if (dst.dtype() == DType.F16) {
            CpuPointwise.toF16(src, 0, ((CpuStorage) cpuStorage(dst)).halves, off(dst), src.length);
        } else {
            throw new IllegalArgumentException("cannot write floats into " + dst.describeShort());
        }
    }

    @Override
    public void writeInts(Tensor dst, int[] src) {
        if (src.length != dst.numel()) {
            throw new IllegalArgumentException("writing " + src.length + " values into " + dst.describeShort());
        }
        System.arraycopy(src, 0, ints(dst), off(dst), src.length);
    }

    @Override
    public float[] readFloats(Tensor src) {
        int n = n(src);
        float[] out = new float[n];
        switch (src.dtype()) {
            case F32 -> System.arraycopy(f(src), off(src), out, 0, n);
            case BF16 -> CpuPointwise.fromBf16(((CpuStorage) cpuStorage(src)).halves, off(src), out, 0, n);
            case F16 -> CpuPointwise.fromF16(((CpuStorage) cpuStorage(src)).halves, off(src), out, 0, n);
            case I32 -> {
                int[] v = ints(src);
                for (int i = 0; i < n; i++) {
                    out[i] = v[off(src) + i];
                }
            }
            default -> throw new IllegalArgumentException("cannot read " + src.describeShort() + " as floats");
        }
        return out;
    }

    @Override
    public int[] readInts(Tensor src) {
        return Arrays.copyOfRange(ints(src), off(src), off(src) + n(src));
    }

    @Override
    public void fill(Tensor dst, float value) {
        if (dst.dtype() == DType.I32) {
            Arrays.fill(ints(dst), off(dst), off(dst) + n(dst), (int) value);
        } else {
            CpuPointwise.fill(f(dst), off(dst), n(dst), value);
        }
    }

    @Override
    public void copyStrided(int[] dims, Tensor src, int srcOffset, int[] srcStrides, Tensor dst, int dstOffset, int[] dstStrides) {
        if (src.dtype() != dst.dtype()) {
            throw new IllegalArgumentException("copy between " + src.describeShort() + " and " + dst.describeShort() + ": dtypes differ");
        }
        if (src.dtype() == DType.I32) {
            CpuPointwise.copyStrided(dims, ints(src), off(src) + srcOffset, srcStrides, ints(dst), off(dst) + dstOffset, dstStrides);
        } else if (src.dtype() == DType.BF16 || src.dtype() == DType.F16) {
            CpuPointwise.copyStrided(dims, ((CpuStorage) cpuStorage(src)).halves, off(src) + srcOffset, srcStrides,
                    ((CpuStorage) cpuStorage(dst)).halves, off(dst) + dstOffset, dstStrides);
        } else {
            CpuPointwise.copyStrided(dims, f(src), off(src) + srcOffset, srcStrides, f(dst), off(dst) + dstOffset, dstStrides);
        }
    }

    @Override
    public void gatherRows(Tensor src, Tensor indices, Tensor out) {
        int cols = src.rank() == 1 ? 1 : src.dim(-1);
        int rows = n(src) / Math.max(1, cols);
        int[] idx = ints(indices);
        int io = off(indices);
        int n = n(indices);
        checkIndices("gatherRows", idx, io, n, rows, src);
        float[] s = f(src);
        float[] o = f(out);
        int so = off(src);
        int oo = off(out);
        CpuParallel.parallelFor(n, Math.max(1, 16384 / Math.max(1, cols)), (from, to) -> {
            for (int i = from; i < to; i++) {
                System.arraycopy(s, so + idx[io + i] * cols, o, oo + i * cols, cols);
            }
        });
    }

    @Override
    public void scatterAddRows(Tensor src, Tensor indices, Tensor dst) {
        int cols = dst.rank() == 1 ? 1 : dst.dim(-1);
        int rows = n(dst) / Math.max(1, cols);
        int[] idx = ints(indices);
        int io = off(indices);
        int n = n(indices);
        checkIndices("scatterAddRows", idx, io, n, rows, dst);
        float[] s = f(src);
        float[] d = f(dst);
        int so = off(src);
        int dOff = off(dst);
        // sequential: repeated indices would race, and the sizes here (position-bias tables) are small
        for (int i = 0; i < n; i++) {
            int base = dOff + idx[io + i] * cols;
            for (int c = 0; c < cols; c++) {
                d[base + c] += s[so + i * cols + c];
            }
        }
    }

    private static void checkIndices(String op, int[] idx, int off, int n, int rows, Tensor table) {
        for (int i = 0; i < n; i++) {
            int v = idx[off + i];
            if (v < 0 || v >= rows) {
                throw new IllegalArgumentException(op + ": index " + v + " at position " + i + " is outside the " + rows
                        + " rows of " + table.describeShort());
            }
        }
    }

    @Override
    public void convert(Tensor src, Tensor dst) {
        sameSize("convert", src, dst);
        if (dst.dtype() == DType.I32) {
            if (src.dtype() != DType.I32) {
                throw new IllegalArgumentException("convert " + src.describeShort() + " to I32 is not supported (round explicitly)");
            }
            writeInts(dst, readInts(src));
        } else {
            write(dst, readFloats(src));
        }
    }

    // ---- linear algebra ------------------------------------------------------------------------------------

    @Override
    public void gemm(boolean transA, boolean transB, int batch, int m, int n, int k, float alpha,
                     Tensor a, int strideA, Tensor b, int strideB, float beta, Tensor c, int strideC) {
        int lda = transA ? m : k;
        int ldb = transB ? k : n;
        checkGemmOperand("A", a, batch, strideA, (long) m * k);
        checkGemmOperand("B", b, batch, strideB, (long) k * n);
        checkGemmOperand("C", c, batch, strideC, (long) m * n);
        if (b.dtype() == DType.BF16) {
            if (a.dtype() != DType.F32 || c.dtype() != DType.F32) {
                throw new IllegalArgumentException("gemm with a BF16 B (a frozen weight) needs F32 A and C, got A "
                        + a.describeShort() + " and C " + c.describeShort() + "; only the weight operand may be BF16");
            }
            Bf16WeightGemm.run(gemm, transA, transB, batch, m, n, k, alpha, f(a), off(a), strideA,
                    ((CpuStorage) cpuStorage(b)).halves, off(b), strideB, beta, f(c), off(c), strideC,
                    Bf16WeightGemm.DEFAULT_BLOCK_FLOATS);
            return;
        }
        if (batch == 1) {
            gemm.sgemm(transA, transB, m, n, k, alpha, f(a), off(a), lda, f(b), off(b), ldb, beta, f(c), off(c), n);
        } else {
            gemm.sgemmBatched(batch, transA, transB, m, n, k, alpha, f(a), off(a), lda, strideA, f(b), off(b), ldb, strideB,
                    beta, f(c), off(c), n, strideC);
        }
    }

    private static void checkGemmOperand(String name, Tensor t, int batch, int stride, long size) {
        long needed = (long) stride * (batch - 1) + size;
        if (needed > t.numel()) {
            throw new IllegalArgumentException("gemm operand " + name + " " + t.describeShort() + " is too small: needs " + needed + " elements");
        }
    }

    // ---- elementwise and reductions ------------------------------------------------------------------------

    /** Strides of t's dims aligned to outDims from the right; 0 where t broadcasts. */
    static int[] broadcastStrides(Shape t, int[] outDims) {
        int r = outDims.length;
        int lead = r - t.rank();
        long[] ts = t.strides();
        int[] s = new int[r];
        for (int i = 0; i < r; i++) {
            int ti = i - lead;
            s[i] = ti < 0 || t.dim(ti) == 1 ? 0 : (int) ts[ti];
        }
        return s;
    }

    @Override
    public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        int[] dims = out.shape().dims();
        if (!Shape.broadcast(a.shape(), b.shape()).equals(out.shape())) {
            throw new IllegalArgumentException(op + ": output " + out.shape() + " is not the broadcast of " + a.shape() + " and " + b.shape());
        }
        CpuPointwise.binary(op, dims, f(a), off(a), broadcastStrides(a.shape(), dims), f(b), off(b), broadcastStrides(b.shape(), dims),
                f(out), off(out));
    }

    @Override
    public void binaryScalar(BinaryOp op, Tensor a, float scalar, Tensor out) {
        sameSize(op.name(), a, out);
        CpuPointwise.binaryScalar(op, f(a), off(a), scalar, f(out), off(out), n(a));
    }

    @Override
    public void unary(UnaryOp op, Tensor x, Tensor out) {
        sameSize(op.name(), x, out);
        CpuPointwise.unary(op, f(x), off(x), f(out), off(out), n(x));
    }

    @Override
    public void unaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor gradOut, Tensor gradIn) {
        sameSize(op.name(), gradOut, gradIn);
        CpuPointwise.unaryBackward(op, f(x), off(x), f(y), off(y), f(gradOut), off(gradOut), f(gradIn), off(gradIn), n(gradIn));
    }

    @Override
    public void axpby(float alpha, Tensor x, float beta, Tensor y) {
        sameSize("axpby", x, y);
        CpuPointwise.axpby(alpha, f(x), off(x), beta, f(y), off(y), n(y));
    }

    @Override
    public void sumTo(Tensor x, Tensor out) {
        int[] inDims = x.shape().dims();
        int[] outDims = new int[inDims.length];
        int lead = inDims.length - out.rank();
        for (int i = 0; i < inDims.length; i++) {
            outDims[i] = i < lead ? 1 : out.dim(i - lead);
        }
        CpuReduce.sumTo(inDims, f(x), off(x), outDims, f(out), off(out));
    }

    @Override
    public void maxLastAxis(Tensor x, Tensor max, Tensor argmax) {
        int cols = x.dim(-1);
        int rows = n(x) / Math.max(1, cols);
        float[] mx = new float[rows];
        int[] am = new int[rows];
        CpuReduce.maxLastAxis(f(x), off(x), rows, cols, mx, am);
        System.arraycopy(mx, 0, f(max), off(max), rows);
        if (argmax != null) {
            System.arraycopy(am, 0, ints(argmax), off(argmax), rows);
        }
    }

    // ---- rows ----------------------------------------------------------------------------------------------

    private static int cols(Tensor x) {
        return x.rank() == 0 ? 1 : x.dim(-1);
    }

    private static int rows(Tensor x) {
        int c = cols(x);
        return c == 0 ? 0 : n(x) / c;
    }

    @Override
    public void softmax(Tensor x, Tensor y) {
        CpuRows.softmaxForward(f(x), off(x), f(y), off(y), rows(x), cols(x));
    }

    @Override
    public void softmaxBackward(Tensor y, Tensor dy, Tensor dx) {
        CpuRows.softmaxBackward(f(y), off(y), f(dy), off(dy), f(dx), off(dx), rows(y), cols(y));
    }

    @Override
    public void logSoftmax(Tensor x, Tensor y) {
        CpuRows.logSoftmaxForward(f(x), off(x), f(y), off(y), rows(x), cols(x));
    }

    @Override
    public void logSoftmaxBackward(Tensor y, Tensor dy, Tensor dx) {
        CpuRows.logSoftmaxBackward(f(y), off(y), f(dy), off(dy), f(dx), off(dx), rows(y), cols(y));
    }

    @Override
    public void layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps, Tensor y, Tensor mean, Tensor rstd) {
        CpuRows.layerNormForward(f(x), off(x), whole(gamma), whole(beta), eps, rows(x), cols(x), f(y), off(y), whole(mean), whole(rstd));
    }

    @Override
    public void layerNormBackward(Tensor x, Tensor gamma, Tensor mean, Tensor rstd, Tensor dy, Tensor dx, Tensor dGamma, Tensor dBeta) {
        CpuRows.layerNormBackward(f(x), off(x), whole(gamma), whole(mean), whole(rstd), f(dy), off(dy), rows(x), cols(x),
                f(dx), off(dx), whole(dGamma), whole(dBeta));
    }

    @Override
    public void l2Normalize(Tensor x, float eps, Tensor y) {
        CpuRows.l2NormalizeForward(f(x), off(x), eps, rows(x), cols(x), f(y), off(y), null);
    }

    @Override
    public void l2NormalizeBackward(Tensor x, float eps, Tensor dy, Tensor dx) {
        CpuRows.l2NormalizeBackward(f(x), off(x), null, eps, f(dy), off(dy), rows(x), cols(x), f(dx), off(dx));
    }

    // ---- attention -----------------------------------------------------------------------------------------

    @Override
    public void attention(AttentionShape s, Tensor q, AttentionLayout ql, Tensor k, AttentionLayout kl, Tensor v, AttentionLayout vl,
                          Tensor bias, Tensor mask, Tensor o, AttentionLayout ol, Tensor lse) {
        CpuAttention.forward(s.batch(), s.heads(), s.queries(), s.keys(), s.headDim(), s.scale(),
                f(q), at(q, ql), f(k), at(k, kl), f(v), at(v, vl),
                whole(bias), dim0(bias), dim1(bias), whole(mask), dim0(mask), dim1(mask),
                f(o), at(o, ol), whole(lse));
    }

    @Override
    public void attentionBackward(AttentionShape s, Tensor q, AttentionLayout ql, Tensor k, AttentionLayout kl, Tensor v, AttentionLayout vl,
                                  Tensor bias, Tensor mask, Tensor o, AttentionLayout ol, Tensor lse, Tensor dO, AttentionLayout dOl,
                                  Tensor dq, AttentionLayout dql, Tensor dk, AttentionLayout dkl, Tensor dv, AttentionLayout dvl, Tensor dBias) {
        if (dk == null && dv == null && dBias == null) {
            CpuAttention.backwardQuery(s.batch(), s.heads(), s.queries(), s.keys(), s.headDim(), s.scale(),
                    f(q), at(q, ql), f(k), at(k, kl), f(v), at(v, vl),
                    whole(bias), dim0(bias), dim1(bias), whole(mask), dim0(mask), dim1(mask),
                    f(o), at(o, ol), whole(lse), f(dO), at(dO, dOl), f(dq), at(dq, dql));
            return;
        }
        CpuAttention.backward(s.batch(), s.heads(), s.queries(), s.keys(), s.headDim(), s.scale(),
                f(q), at(q, ql), f(k), at(k, kl), f(v), at(v, vl),
                whole(bias), dim0(bias), dim1(bias), whole(mask), dim0(mask), dim1(mask),
                f(o), at(o, ol), whole(lse), f(dO), at(dO, dOl), f(dq), at(dq, dql),
                fOrNull(dk), dk == null ? null : at(dk, dkl), fOrNull(dv), dv == null ? null : at(dv, dvl), whole(dBias));
    }

    /** The layout shifted by the tensor's own storage offset. */
    private static AttentionLayout at(Tensor t, AttentionLayout l) {
        return new AttentionLayout(l.offset() + t.offsetInt(), l.sB(), l.sH(), l.sN());
    }

    /**
     * The array of a tensor that must start at element 0 of its storage and fill it (kernels that take no offset: attention bias and statistics, layer-norm parameters).
     * Fresh tensors always do; views are rejected rather than silently copied, because outputs must be written in place.
     */
    private static float[] whole(Tensor t) {
        if (t == null) {
            return null;
        }
        float[] a = f(t);
        if (t.offset() != 0 || a.length != t.numel()) {
            throw new IllegalArgumentException("operand " + t.describeShort() + " must be a whole tensor, not a view");
        }
        return a;
    }

    private static int dim0(Tensor t) {
        return t == null ? 1 : t.dim(0);
    }

    private static int dim1(Tensor t) {
        return t == null ? 1 : t.dim(1);
    }

    // ---- spatial -------------------------------------------------------------------------------------------

    @Override
    public void im2col(Tensor x, int image, ConvGeometry g, Tensor cols) {
        int imageSize = g.channels() * g.height() * g.width();
        CpuConv.im2col(f(x), off(x) + image * imageSize, g.channels(), g.height(), g.width(), g.kernelH(), g.kernelW(),
                g.strideH(), g.strideW(), g.padH(), g.padW(), g.dilationH(), g.dilationW(), f(cols), off(cols));
    }

    @Override
    public void col2im(Tensor cols, ConvGeometry g, Tensor dx, int image) {
        int imageSize = g.channels() * g.height() * g.width();
        CpuConv.col2im(f(cols), off(cols), g.channels(), g.height(), g.width(), g.kernelH(), g.kernelW(),
                g.strideH(), g.strideW(), g.padH(), g.padW(), g.dilationH(), g.dilationW(), f(dx), off(dx) + image * imageSize);
    }

    @Override
    public void interpolate(Interpolation mode, boolean alignCorners, Tensor x, Tensor y) {
        int planes = x.dim(0) * x.dim(1);
        int h = x.dim(2), w = x.dim(3), oh = y.dim(2), ow = y.dim(3);
        switch (mode) {
            case BILINEAR -> CpuInterpolate.bilinearForward(f(x), off(x), planes, h, w, f(y), off(y), oh, ow, alignCorners);
            case BICUBIC -> CpuInterpolate.bicubicForward(f(x), off(x), planes, h, w, f(y), off(y), oh, ow, alignCorners);
            case NEAREST -> CpuInterpolate.nearestForward(f(x), off(x), planes, h, w, f(y), off(y), oh, ow);
        }
    }

    @Override
    public void interpolateBackward(Interpolation mode, boolean alignCorners, Tensor dy, Tensor dx) {
        int planes = dx.dim(0) * dx.dim(1);
        int h = dx.dim(2), w = dx.dim(3), oh = dy.dim(2), ow = dy.dim(3);
        switch (mode) {
            case BILINEAR -> CpuInterpolate.bilinearBackward(f(dy), off(dy), planes, oh, ow, f(dx), off(dx), h, w, alignCorners);
            case BICUBIC -> CpuInterpolate.bicubicBackward(f(dy), off(dy), planes, oh, ow, f(dx), off(dx), h, w, alignCorners);
            case NEAREST -> CpuInterpolate.nearestBackward(f(dy), off(dy), planes, oh, ow, f(dx), off(dx), h, w);
        }
    }

    @Override
    public void maxPool2d(Tensor x, ConvGeometry g, Tensor y, Tensor argmax) {
        CpuPool.maxPool2dForward(f(x), off(x), x.dim(0) * x.dim(1), g.height(), g.width(), g.kernelH(), g.kernelW(),
                g.strideH(), g.strideW(), g.padH(), g.padW(), f(y), off(y), ints(argmax), off(argmax));
    }

    @Override
    public void maxPool2dBackward(Tensor dy, Tensor argmax, Tensor dx) {
        CpuPool.maxPool2dBackward(f(dy), off(dy), ints(argmax), off(argmax), dy.dim(0) * dy.dim(1), dy.dim(2), dy.dim(3),
                f(dx), off(dx), dx.dim(2), dx.dim(3));
    }

    @Override
    public void avgPool2d(Tensor x, ConvGeometry g, boolean countIncludePad, Tensor y) {
        CpuPool.avgPool2dForward(f(x), off(x), x.dim(0) * x.dim(1), g.height(), g.width(), g.kernelH(), g.kernelW(),
                g.strideH(), g.strideW(), g.padH(), g.padW(), countIncludePad, f(y), off(y));
    }

    @Override
    public void avgPool2dBackward(Tensor dy, ConvGeometry g, boolean countIncludePad, Tensor dx) {
        CpuPool.avgPool2dBackward(f(dy), off(dy), dx.dim(0) * dx.dim(1), g.height(), g.width(), g.kernelH(), g.kernelW(),
                g.strideH(), g.strideW(), g.padH(), g.padW(), countIncludePad, f(dx), off(dx));
    }

    // ---- losses and optimiser ------------------------------------------------------------------------------

    @Override
    public void crossEntropy(Tensor logits, Tensor targets, int ignoreIndex, float labelSmoothing, Tensor classWeights,
                             Tensor loss, Tensor dLogits) {
        int rows = logits.dim(0);
        int classes = logits.dim(1);
        int[] t = Arrays.copyOfRange(ints(targets), off(targets), off(targets) + rows);
        float[] w = classWeights == null ? null : Arrays.copyOfRange(f(classWeights), off(classWeights), off(classWeights) + classes);
        float[] d = dLogits == null ? null : new float[rows * classes];
        float value = CpuLoss.crossEntropy(f(logits), off(logits), rows, classes, t, ignoreIndex, labelSmoothing, w, d);
        f(loss)[off(loss)] = value;
        if (d != null) {
            System.arraycopy(d, 0, f(dLogits), off(dLogits), d.length);
        }
    }

    @Override
    public void bceWithLogits(Tensor logits, Tensor targets, Tensor posWeight, Tensor weight, Tensor loss, Tensor dLogits) {
        int n = n(logits);
        int classes = cols(logits);
        float[] t = Arrays.copyOfRange(f(targets), off(targets), off(targets) + n);
        float[] pw = posWeight == null ? null : Arrays.copyOfRange(f(posWeight), off(posWeight), off(posWeight) + classes);
        float[] w = weight == null ? null : Arrays.copyOfRange(f(weight), off(weight), off(weight) + n);
        float[] d = dLogits == null ? null : new float[n];
        float value = CpuLoss.bceWithLogits(f(logits), off(logits), t, n, classes, pw, w, d);
        f(loss)[off(loss)] = value;
        if (d != null) {
            System.arraycopy(d, 0, f(dLogits), off(dLogits), n);
        }
    }

    @Override
    public void adamW(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
                      float weightDecay, int step) {
        sameSize("adamW", param, grad);
        CpuAdamW.step(f(param), off(param), f(grad), off(grad), f(m), off(m), f(v), off(v), n(param), lr, beta1, beta2, eps,
                weightDecay, step);
    }
}
