package org.mettle.backend.cuda;

import static org.mettle.backend.cuda.CudaBackend.allF32;
import static org.mettle.backend.cuda.CudaBackend.ptr;

import org.mettle.backend.Backends;
import org.mettle.memory.MemoryCategory;
import org.mettle.tensor.DType;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;

/**
 * The CUDA backend's GEMM dispatch (gemm.cu): fp32 on CUDA cores (v1, or the v2 variant with its tile and split-K
 * plan, {@link GemmF32Variant}), tf32 under {@code -Dmettle.cuda.tf32}, bf16 on tensor cores, a frozen BF16 weight
 * widened on the device; other dtype mixes on the host.
 */
final class CudaGemm {
    static final boolean TF32 = Boolean.getBoolean("mettle.cuda.tf32");

    private final CudaBackend backend;
    private final CudaKernels kernels;
    private final HostFallback fallback;
    private final CudaRuntime runtime;
    private volatile GemmF32Variant gemmF32 = GemmF32Variant.fromSystemProperty();

    CudaGemm(CudaBackend backend) {
        this.backend = backend;
        this.kernels = backend.kernels;
        this.fallback = backend.fallback;
        this.runtime = backend.runtime();
    }

    void gemm(boolean transA, boolean transB, int batch, int m, int n, int k, float alpha,
                     Tensor a, int strideA, Tensor b, int strideB, float beta, Tensor c, int strideC) {
        if (b.dtype() == DType.BF16 && a.dtype() == DType.F32 && c.dtype() == DType.F32) {
            // A frozen BF16 weight against F32 activations: widen it on the device (no mixed kernel yet).
            // Not a host fallback, so fallbackCounts() does not list it; the temporary is counted as WORKSPACE.
            try (Tensor wide = Tensor.empty(backend, b.shape(), DType.F32, MemoryCategory.WORKSPACE)) {
                backend.convert(b, wide);
                gemm(transA, transB, batch, m, n, k, alpha, a, strideA, wide, strideB, beta, c, strideC);
            }
            return;
        }
        String kernel;
        GemmF32Variant.Plan plan = GemmF32Variant.Plan.DEFAULT;
        if (allF32(a, b, c)) {
            plan = f32GemmPlan(m, n, k, batch);
            kernel = TF32 ? "gemm_tf32" : gemmF32.kernel(transA, transB, plan.tile());
        } else if (a.dtype() == DType.BF16 && b.dtype() == DType.BF16 && c.dtype() == DType.BF16) {
            kernel = "gemm_bf16";
        } else if (a.dtype() == DType.BF16 && b.dtype() == DType.BF16 && c.dtype() == DType.F32) {
            kernel = "gemm_bf16_f32c";
        } else {
            fallback.run("gemm " + a.dtype() + "x" + b.dtype() + "->" + c.dtype(), new Tensor[] {a, b, c}, new Tensor[] {c}, h -> {
                Backends.cpu().gemm(transA, transB, batch, m, n, k, alpha, h[0], strideA, h[1], strideB, beta, h[2], strideC);
                return null;
            });
            return;
        }
        if (m <= 0 || n <= 0 || batch <= 0) {
            return;
        }
        int tile = plan.tile();
        if (CudaKernels.cdiv(m, tile) > CudaKernels.MAX_GRID_YZ) {
            throw new IllegalArgumentException("gemm: M = " + m + " exceeds " + kernel + "'s limit of "
                    + (long) CudaKernels.MAX_GRID_YZ * tile + " rows" + (tile < 128 ? " (use -D" + GemmF32Variant.PROPERTY + "=v2)" : ""));
        }
        int lda = transA ? m : k;
        int ldb = transB ? k : n;
        if (plan.splits() > 1) {
            gemmSplitK(kernel, plan, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c);
            return;
        }
        kernels.launch(kernel, CudaKernels.cdiv(n, tile), CudaKernels.cdiv(m, tile), Math.min(batch, CudaKernels.MAX_GRID_YZ), 256,
                transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha,
                ptr(a), lda, (long) strideA, ptr(b), ldb, (long) strideB, beta,
                ptr(c), n, (long) strideC, batch,
                null, null, 0, 0L, null, 0);
    }

    /**
     * Split-K (batch 1, contiguous C): one launch with batch = splits whose strides step along K writes the partial
     * products to a workspace [splits, m, n]; gemm_f32_splitk_reduce adds them into C (with beta C).
     */
    private void gemmSplitK(String kernel, GemmF32Variant.Plan plan, boolean transA, boolean transB, int m, int n, int k,
                            float alpha, Tensor a, int lda, Tensor b, int ldb, float beta, Tensor c) {
        int splits = plan.splits();
        int ks = k / splits;
        long mn = (long) m * n;
        try (Tensor partial = Tensor.empty(backend, Shape.of(splits, m, n), DType.F32, MemoryCategory.WORKSPACE)) {
            kernels.launch(kernel, CudaKernels.cdiv(n, plan.tile()), CudaKernels.cdiv(m, plan.tile()), splits, 256,
                    transA ? 1 : 0, transB ? 1 : 0, m, n, ks, alpha,
                    ptr(a), lda, transA ? (long) ks * lda : (long) ks, ptr(b), ldb, transB ? (long) ks : (long) ks * ldb, 0f,
                    ptr(partial), n, mn, splits,
                    null, null, 0, 0L, null, 0);
            kernels.launch("gemm_f32_splitk_reduce", CudaKernels.gridStride(mn), 1, 1, 256, splits, mn, ptr(partial), ptr(c), beta);
        }
    }

    String f32GemmKernel(boolean transA, boolean transB, int m, int n, int k, int batch) {
        return TF32 ? "gemm_tf32" : gemmF32.kernel(transA, transB, f32GemmPlan(m, n, k, batch).tile());
    }

    GemmF32Variant.Plan f32GemmPlan(int m, int n, int k, int batch) {
        return TF32 ? GemmF32Variant.Plan.DEFAULT : gemmF32.plan(m, n, k, batch, runtime.multiprocessors());
    }

    GemmF32Variant variant() {
        return gemmF32;
    }

    void variant(GemmF32Variant variant) {
        gemmF32 = variant;
    }
}
