package org.mettle.backend.cuda;

import static jcuda.driver.JCudaDriver.cuMemcpyDtoD;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuMemsetD32;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import java.util.Map;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import org.mettle.backend.AttentionLayout;
import org.mettle.backend.AttentionShape;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
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
 * CUDA backend: the hand-written kernels of kernels/ (docs/kernels.md) through the JCuda driver API, one stream, a
 * caching allocator. Argument combinations without a kernel (see {@link #fallbackCounts()}) run on the host through
 * {@link HostFallback}. Elementwise ops and sums live in {@link CudaElementwiseOps}, attention (generic, LCD, MTI) in
 * {@link CudaAttention}, rows, spatial ops, losses and AdamW in {@link CudaNnOps}.
 */
public final class CudaBackend implements Backend {
    private final CudaRuntime runtime;
    private final CudaAllocator allocator;
    final CudaKernels kernels;
    final HostFallback fallback;
    final CudaNnOps nn;
    final CudaElementwiseOps elementwise;
    final CudaAttention attention;
    final CudaGemm gemmOps;
    /** Above this many launches a strided copy goes to the host instead. */
    private static final long MAX_COPY_LAUNCHES = 4096;
    private CudaStorage oneF32;
    private CudaStorage oneBf16;
    private CudaProfiler profiler;

    public CudaBackend(CudaRuntime runtime) {
        this.runtime = runtime;
        this.allocator = new CudaAllocator(runtime);
        this.kernels = new CudaKernels(runtime);
        this.fallback = new HostFallback(this);
        this.nn = new CudaNnOps(this);
        this.elementwise = new CudaElementwiseOps(this);
        this.attention = new CudaAttention(this);
        this.gemmOps = new CudaGemm(this);
        Runtime.getRuntime().addShutdownHook(new Thread(allocator::releaseAll, "mettle-cuda-release"));
        if (CudaProfiler.enabled()) {
            profiler = new CudaProfiler();
            kernels.profileWith(profiler);
            fallback.profiler = profiler;
            allocator.profiler = profiler;
        }
    }

    /** The per-kernel profile, or null unless -Dmettle.cuda.profile=true. */
    public CudaProfiler profiler() {
        return profiler;
    }

    private void profileCopy(String direction, long t0, long bytes) {
        if (profiler != null) {
            profiler.add("copy " + direction, System.nanoTime() - t0, bytes);
        }
    }

    @Override
    public Device device() {
        return Device.CUDA;
    }

    @Override
    public String describe() {
        return "cuda: " + runtime.describe() + ", hand-written kernels" + (CudaGemm.TF32 ? " (tf32 gemm)" : " (fp32 gemm)");
    }

    public CudaRuntime runtime() {
        return runtime;
    }

    public CudaAllocator allocator() {
        return allocator;
    }

    /** How many primitive calls ran on the host because no kernel covers them. */
    public long fallbackCount() {
        return fallback.count();
    }

    public Map<String, Long> fallbackCounts() {
        return fallback.counts();
    }

    public long kernelLaunches() {
        return kernels.launches();
    }

    /** Loads every PTX module now (JIT), so that timings do not include it. */
    public void warmUp() {
        kernels.loadAll();
    }

    /** Waits for all queued work on the stream. */
    public void synchronize() {
        runtime.makeCurrent();
        cuStreamSynchronize(runtime.stream());
    }

    @Override
    public Storage allocate(DType dtype, long numel, MemoryCategory category) {
        return new CudaStorage(allocator, dtype, numel, category);
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    static CUdeviceptr ptr(Tensor t) {
        if (t == null) {
            return null;
        }
        if (!(t.storage() instanceof CudaStorage s)) {
            throw new IllegalArgumentException("tensor " + t.describeShort() + " is not on the CUDA device; move it with toDevice(backend)");
        }
        return s.pointer().withByteOffset(t.offset() * t.dtype().byteSize());
    }

    static CUdeviceptr at(CUdeviceptr p, DType dtype, long elements) {
        return p.withByteOffset(elements * dtype.byteSize());
    }

    /** "_f32" or "_bf16" when every tensor (nulls skipped) has that one dtype, else null. */
    static String suffix(Tensor... ts) {
        DType d = null;
        for (Tensor t : ts) {
            if (t == null) {
                continue;
            }
            if (d == null) {
                d = t.dtype();
            } else if (d != t.dtype()) {
                return null;
            }
        }
        return d == DType.F32 ? "_f32" : d == DType.BF16 ? "_bf16" : null;
    }

    static boolean allF32(Tensor... ts) {
        for (Tensor t : ts) {
            if (t != null && t.dtype() != DType.F32) {
                return false;
            }
        }
        return true;
    }

    Tensor workspace(DType dtype, long numel) {
        return Tensor.empty(this, Shape.of(Math.toIntExact(Math.max(numel, 1))), dtype, MemoryCategory.WORKSPACE);
    }

    /** A device scalar 1 of the dtype (the second operand of copies done as x * 1); lives as long as the backend. */
    private synchronized CUdeviceptr one(DType dtype) {
        // raw storages, not Tensors: a Tensor would be closed by whatever Scope is open when it is first made
        if (dtype == DType.F32) {
            if (oneF32 == null) {
                oneF32 = new CudaStorage(allocator, DType.F32, 1, MemoryCategory.WORKSPACE);
                runtime.makeCurrent();
                cuMemcpyHtoD(oneF32.pointer(), Pointer.to(new float[] {1f}), 4);
            }
            return oneF32.pointer();
        }
        if (oneBf16 == null) {
            oneBf16 = new CudaStorage(allocator, DType.BF16, 1, MemoryCategory.WORKSPACE);
            runtime.makeCurrent();
            cuMemcpyHtoD(oneBf16.pointer(), Pointer.to(new short[] {toBf16(1f)}), 2);
        }
        return oneBf16.pointer();
    }

    static void sameSize(String op, Tensor a, Tensor b) {
        if (a.numel() != b.numel()) {
            throw new IllegalArgumentException(op + ": " + a.describeShort() + " and " + b.describeShort() + " differ in size");
        }
    }

    static short toBf16(float f) {
        int b = Float.floatToRawIntBits(f);
        if ((b & 0x7fffffff) > 0x7f800000) {
            return (short) ((b >>> 16) | 0x40); // quiet NaN stays NaN
        }
        b += 0x7fff + ((b >>> 16) & 1);
        return (short) (b >>> 16);
    }

    static float fromBf16(short h) {
        return Float.intBitsToFloat((h & 0xffff) << 16);
    }

    // ---- data movement -------------------------------------------------------------------------------------

    @Override
    public void write(Tensor dst, float[] src) {
        if (src.length != dst.numel()) {
            throw new IllegalArgumentException("writing " + src.length + " values into " + dst.describeShort());
        }
        runtime.makeCurrent();
        long t0 = System.nanoTime();
        switch (dst.dtype()) {
            case F32 -> cuMemcpyHtoD(ptr(dst), Pointer.to(src), 4L * src.length);
            case BF16 -> {
                short[] h = new short[src.length];
                for (int i = 0; i < h.length; i++) {
                    h[i] = toBf16(src[i]);
                }
                cuMemcpyHtoD(ptr(dst), Pointer.to(h), 2L * h.length);
            }
            default -> throw new IllegalArgumentException("cannot write floats into " + dst.describeShort());
        }
        profileCopy("HtoD", t0, dst.numel() * dst.dtype().byteSize());
    }

    @Override
    public void writeInts(Tensor dst, int[] src) {
        if (src.length != dst.numel() || dst.dtype() != DType.I32) {
            throw new IllegalArgumentException("writing " + src.length + " ints into " + dst.describeShort());
        }
        runtime.makeCurrent();
        cuMemcpyHtoD(ptr(dst), Pointer.to(src), 4L * src.length);
    }

    @Override
    public float[] readFloats(Tensor src) {
        int n = src.shape().numelInt();
        long t0 = System.nanoTime();
        synchronize();
        float[] out = new float[n];
        switch (src.dtype()) {
            case F32 -> cuMemcpyDtoH(Pointer.to(out), ptr(src), 4L * n);
            case BF16 -> {
                short[] h = new short[n];
                cuMemcpyDtoH(Pointer.to(h), ptr(src), 2L * n);
                for (int i = 0; i < n; i++) {
                    out[i] = fromBf16(h[i]);
                }
            }
            case I32 -> {
                int[] v = readInts(src);
                for (int i = 0; i < n; i++) {
                    out[i] = v[i];
                }
            }
            default -> throw new IllegalArgumentException("cannot read " + src.describeShort() + " as floats");
        }
        profileCopy("DtoH (with the wait for queued work)", t0, (long) n * src.dtype().byteSize());
        return out;
    }

    @Override
    public int[] readInts(Tensor src) {
        if (src.dtype() != DType.I32) {
            throw new IllegalArgumentException("expected an I32 tensor, got " + src.describeShort());
        }
        int n = src.shape().numelInt();
        synchronize();
        int[] out = new int[n];
        cuMemcpyDtoH(Pointer.to(out), ptr(src), 4L * n);
        return out;
    }

    @Override
    public void fill(Tensor dst, float value) {
        long n = dst.numel();
        if (n == 0) {
            return;
        }
        if (dst.dtype() == DType.I32) {
            runtime.makeCurrent();
            cuMemsetD32(ptr(dst), (int) value, n);
            return;
        }
        String s = suffix(dst);
        if (s == null) {
            throw new IllegalArgumentException("cannot fill " + dst.describeShort());
        }
        kernels.launch("ew_fill" + s, CudaKernels.gridStride(n), 1, 1, 256, n, value, ptr(dst));
    }

    @Override
    public void copyStrided(int[] dims, Tensor src, int srcOffset, int[] srcStrides, Tensor dst, int dstOffset, int[] dstStrides) {
        if (src.dtype() != dst.dtype()) {
            throw new IllegalArgumentException("copy between " + src.describeShort() + " and " + dst.describeShort() + ": dtypes differ");
        }
        StridedPlan plan = StridedPlan.of(dims, srcStrides, dstStrides);
        String s = suffix(src);
        if (plan == null || s == null || plan.launches() > MAX_COPY_LAUNCHES) {
            fallback.run("copyStrided", new Tensor[] {src, dst}, new Tensor[] {dst}, h -> {
                Backends.cpu().copyStrided(dims, h[0], srcOffset, srcStrides, h[1], dstOffset, dstStrides);
                return null;
            });
            return;
        }
        if (plan.numel() == 0) {
            return;
        }
        int[] d = plan.dims();
        int[] ss = plan.srcStrides();
        long inner = plan.inner();
        CUdeviceptr srcBase = at(ptr(src), src.dtype(), srcOffset);
        CUdeviceptr dstBase = at(ptr(dst), dst.dtype(), dstOffset);
        plan.forEachLaunch((srcAt, dstAt) -> kernels.launch("ew_binary" + s, CudaKernels.gridStride(inner), 1, 1, 256,
                2, inner, d[1], d[2], d[3],
                at(srcBase, src.dtype(), srcAt), ss[0], ss[1], ss[2], ss[3],
                one(src.dtype()), 0, 0, 0, 0,
                at(dstBase, dst.dtype(), dstAt)));
    }

    @Override
    public void gatherRows(Tensor src, Tensor indices, Tensor out) {
        String s = suffix(src, out);
        if (s != null && indices.dtype() == DType.I32) {
            int cols = src.rank() == 1 ? 1 : src.dim(-1);
            long rows = src.numel() / Math.max(1, cols);
            long n = indices.numel() * cols;
            if (out.numel() != n) {
                throw new IllegalArgumentException("gatherRows: out " + out.describeShort() + " must hold " + indices.numel() + " rows of "
                        + cols + " from src " + src.describeShort());
            }
            kernels.launch("ew_gather_rows" + s, CudaKernels.gridStride(n), 1, 1, 256, n, cols, rows, ptr(src), ptr(indices), ptr(out));
            return;
        }
        fallback.run("gatherRows", new Tensor[] {src, indices, out}, new Tensor[] {out}, h -> {
            Backends.cpu().gatherRows(h[0], h[1], h[2]);
            return null;
        });
    }

    @Override
    public void scatterAddRows(Tensor src, Tensor indices, Tensor dst) {
        fallback.run("scatterAddRows", new Tensor[] {src, indices, dst}, new Tensor[] {dst}, h -> {
            Backends.cpu().scatterAddRows(h[0], h[1], h[2]);
            return null;
        });
    }

    @Override
    public void convert(Tensor src, Tensor dst) {
        sameSize("convert", src, dst);
        long n = src.numel();
        if (n == 0) {
            return;
        }
        if (src.dtype() == dst.dtype()) {
            runtime.makeCurrent();
            cuMemcpyDtoD(ptr(dst), ptr(src), n * src.dtype().byteSize());
        } else if (src.dtype() == DType.F32 && dst.dtype() == DType.BF16) {
            kernels.launch("ew_f32_to_bf16", CudaKernels.gridStride(n), 1, 1, 256, n, ptr(src), ptr(dst));
        } else if (src.dtype() == DType.BF16 && dst.dtype() == DType.F32) {
            kernels.launch("ew_bf16_to_f32", CudaKernels.gridStride(n), 1, 1, 256, n, ptr(src), ptr(dst));
        } else {
            fallback.run("convert " + src.dtype() + "->" + dst.dtype(), new Tensor[] {src, dst}, new Tensor[] {dst}, h -> {
                Backends.cpu().convert(h[0], h[1]);
                return null;
            });
        }
    }

    // ---- linear algebra ------------------------------------------------------------------------------------

    @Override
    public void gemm(boolean transA, boolean transB, int batch, int m, int n, int k, float alpha,
                     Tensor a, int strideA, Tensor b, int strideB, float beta, Tensor c, int strideC) {
        gemmOps.gemm(transA, transB, batch, m, n, k, alpha, a, strideA, b, strideB, beta, c, strideC);
    }

    /** The kernel an all-fp32 {@link #gemm} of C [batch, m, n] with inner dimension k launches (gemm_tf32 under -Dmettle.cuda.tf32). */
    public String f32GemmKernel(boolean transA, boolean transB, int m, int n, int k, int batch) {
        return gemmOps.f32GemmKernel(transA, transB, m, n, k, batch);
    }

    /** Tile and K-split of that launch ({@link GemmF32Variant#plan}; 128 without split for v1 and tf32). */
    public GemmF32Variant.Plan f32GemmPlan(int m, int n, int k, int batch) {
        return gemmOps.f32GemmPlan(m, n, k, batch);
    }

    public GemmF32Variant gemmF32Variant() {
        return gemmOps.variant();
    }

    /** For tests that run both variants on the one shared backend; the property sets it at construction. */
    void gemmF32Variant(GemmF32Variant variant) {
        gemmOps.variant(variant);
    }

    // ---- elementwise and reductions: CudaElementwiseOps -----------------------------------------------------

    @Override
    public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        elementwise.binary(op, a, b, out);
    }

    @Override
    public void binaryScalar(BinaryOp op, Tensor a, float scalar, Tensor out) {
        elementwise.binaryScalar(op, a, scalar, out);
    }

    @Override
    public void unary(UnaryOp op, Tensor x, Tensor out) {
        elementwise.unary(op, x, out);
    }

    @Override
    public void unaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor gradOut, Tensor gradIn) {
        elementwise.unaryBackward(op, x, y, gradOut, gradIn);
    }

    @Override
    public void axpby(float alpha, Tensor x, float beta, Tensor y) {
        elementwise.axpby(alpha, x, beta, y);
    }

    void axpbyRaw(String suffix, long n, float alpha, CUdeviceptr x, float beta, CUdeviceptr y) {
        elementwise.axpbyRaw(suffix, n, alpha, x, beta, y);
    }

    @Override
    public void sumTo(Tensor x, Tensor out) {
        elementwise.sumTo(x, out);
    }

    @Override
    public void maxLastAxis(Tensor x, Tensor max, Tensor argmax) {
        fallback.run("maxLastAxis", new Tensor[] {x, max, argmax}, new Tensor[] {max, argmax}, h -> {
            Backends.cpu().maxLastAxis(h[0], h[1], h[2]);
            return null;
        });
    }

    // ---- rows, attention, spatial, losses, optimiser: CudaNnOps and CudaAttention --------------------------

    @Override
    public void softmax(Tensor x, Tensor y) {
        nn.softmax(x, y);
    }

    @Override
    public void softmaxBackward(Tensor y, Tensor dy, Tensor dx) {
        nn.softmaxBackward(y, dy, dx);
    }

    @Override
    public void logSoftmax(Tensor x, Tensor y) {
        fallback.run("logSoftmax", new Tensor[] {x, y}, new Tensor[] {y}, h -> {
            Backends.cpu().logSoftmax(h[0], h[1]);
            return null;
        });
    }

    @Override
    public void logSoftmaxBackward(Tensor y, Tensor dy, Tensor dx) {
        fallback.run("logSoftmaxBackward", new Tensor[] {y, dy, dx}, new Tensor[] {dx}, h -> {
            Backends.cpu().logSoftmaxBackward(h[0], h[1], h[2]);
            return null;
        });
    }

    @Override
    public void layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps, Tensor y, Tensor mean, Tensor rstd) {
        nn.layerNorm(x, gamma, beta, eps, y, mean, rstd);
    }

    @Override
    public void layerNormBackward(Tensor x, Tensor gamma, Tensor mean, Tensor rstd, Tensor dy, Tensor dx, Tensor dGamma, Tensor dBeta) {
        nn.layerNormBackward(x, gamma, mean, rstd, dy, dx, dGamma, dBeta);
    }

    @Override
    public void l2Normalize(Tensor x, float eps, Tensor y) {
        nn.l2Normalize(x, eps, y);
    }

    @Override
    public void l2NormalizeBackward(Tensor x, float eps, Tensor dy, Tensor dx) {
        nn.l2NormalizeBackward(x, eps, dy, dx);
    }

    @Override
    public void attention(AttentionShape s, Tensor q, AttentionLayout ql, Tensor k, AttentionLayout kl, Tensor v, AttentionLayout vl,
                          Tensor bias, Tensor mask, Tensor o, AttentionLayout ol, Tensor lse) {
        attention.attention(s, q, ql, k, kl, v, vl, bias, mask, o, ol, lse);
    }

    @Override
    public void attentionBackward(AttentionShape s, Tensor q, AttentionLayout ql, Tensor k, AttentionLayout kl, Tensor v, AttentionLayout vl,
                                  Tensor bias, Tensor mask, Tensor o, AttentionLayout ol, Tensor lse, Tensor dO, AttentionLayout dOl,
                                  Tensor dq, AttentionLayout dql, Tensor dk, AttentionLayout dkl, Tensor dv, AttentionLayout dvl, Tensor dBias) {
        attention.attentionBackward(s, q, ql, k, kl, v, vl, bias, mask, o, ol, lse, dO, dOl, dq, dql, dk, dkl, dv, dvl, dBias);
    }

    /**
     * MTI attention (docs/kernels.md, mti.cu): o = softmax(scale q k^T) v for token queries q [B, H, N, D] over few
     * meta-token keys and values k, v [B, H, M, D] (M <= 32, D <= 128 on the GPU; other sizes run on the host). No
     * bias, mask or lse: the backward recomputes the softmax.
     */
    public void mtiAttention(Tensor q, Tensor k, Tensor v, float scale, Tensor o) {
        attention.mti(q, k, v, scale, o);
    }

    /** Gradients of {@link #mtiAttention}: dq like q, dk and dv like k; each may be null when not wanted. */
    public void mtiAttentionBackward(Tensor q, Tensor k, Tensor v, Tensor dO, float scale, Tensor dq, Tensor dk, Tensor dv) {
        attention.mtiBackward(q, k, v, dO, scale, dq, dk, dv);
    }

    @Override
    public void im2col(Tensor x, int image, ConvGeometry g, Tensor cols) {
        nn.im2col(x, image, g, cols);
    }

    @Override
    public void col2im(Tensor cols, ConvGeometry g, Tensor dx, int image) {
        nn.col2im(cols, g, dx, image);
    }

    @Override
    public void interpolate(Interpolation mode, boolean alignCorners, Tensor x, Tensor y) {
        nn.interpolate(mode, alignCorners, x, y);
    }

    @Override
    public void interpolateBackward(Interpolation mode, boolean alignCorners, Tensor dy, Tensor dx) {
        nn.interpolateBackward(mode, alignCorners, dy, dx);
    }

    @Override
    public void maxPool2d(Tensor x, ConvGeometry g, Tensor y, Tensor argmax) {
        fallback.run("maxPool2d", new Tensor[] {x, y, argmax}, new Tensor[] {y, argmax}, h -> {
            Backends.cpu().maxPool2d(h[0], g, h[1], h[2]);
            return null;
        });
    }

    @Override
    public void maxPool2dBackward(Tensor dy, Tensor argmax, Tensor dx) {
        fallback.run("maxPool2dBackward", new Tensor[] {dy, argmax, dx}, new Tensor[] {dx}, h -> {
            Backends.cpu().maxPool2dBackward(h[0], h[1], h[2]);
            return null;
        });
    }

    @Override
    public void avgPool2d(Tensor x, ConvGeometry g, boolean countIncludePad, Tensor y) {
        fallback.run("avgPool2d", new Tensor[] {x, y}, new Tensor[] {y}, h -> {
            Backends.cpu().avgPool2d(h[0], g, countIncludePad, h[1]);
            return null;
        });
    }

    @Override
    public void avgPool2dBackward(Tensor dy, ConvGeometry g, boolean countIncludePad, Tensor dx) {
        fallback.run("avgPool2dBackward", new Tensor[] {dy, dx}, new Tensor[] {dx}, h -> {
            Backends.cpu().avgPool2dBackward(h[0], g, countIncludePad, h[1]);
            return null;
        });
    }

    @Override
    public void crossEntropy(Tensor logits, Tensor targets, int ignoreIndex, float labelSmoothing, Tensor classWeights,
                             Tensor loss, Tensor dLogits) {
        nn.crossEntropy(logits, targets, ignoreIndex, labelSmoothing, classWeights, loss, dLogits);
    }

    @Override
    public void bceWithLogits(Tensor logits, Tensor targets, Tensor posWeight, Tensor weight, Tensor loss, Tensor dLogits) {
        nn.bceWithLogits(logits, targets, posWeight, weight, loss, dLogits);
    }

    @Override
    public void adamW(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
                      float weightDecay, int step) {
        nn.adamW(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step);
    }
}
