package org.mettle.backend.cuda;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import jcuda.Pointer;
import jcuda.cudaDataType;
import jcuda.driver.CUevent;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasComputeType;
import jcuda.jcublas.cublasGemmAlgo;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasOperation;
import org.mettle.backend.AttentionLayout;
import org.mettle.backend.AttentionShape;
import org.mettle.backend.Backend;
import org.mettle.nn.TransformerBlock;
import org.mettle.tensor.DType;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;
import org.mettle.train.AdamW;

/**
 * GEMM, attention and training-step benchmarks on the CUDA backend, timed with CUDA events around each run (median of
 * the timed runs); the LCD, MTI and layer-norm ones are in {@link KernelBench}.
 */
public final class CudaBench {
    private CudaBench() {}

    /** Sorted times in ms: CUDA events on the CUDA backend's stream, the wall clock elsewhere. */
    static double[] time(Backend backend, Runnable body, int warmup, int iters) {
        if (!(backend instanceof CudaBackend cuda)) {
            for (int i = 0; i < warmup; i++) {
                body.run();
            }
            double[] ms = new double[iters];
            for (int i = 0; i < iters; i++) {
                long t0 = System.nanoTime();
                body.run();
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
            Arrays.sort(ms);
            return ms;
        }
        cuda.warmUp();
        for (int i = 0; i < warmup; i++) {
            body.run();
        }
        cuda.synchronize();
        CUevent start = new CUevent();
        CUevent stop = new CUevent();
        cuEventCreate(start, 0);
        cuEventCreate(stop, 0);
        double[] ms = new double[iters];
        float[] t = {0};
        try {
            for (int i = 0; i < iters; i++) {
                cuEventRecord(start, cuda.runtime().stream());
                body.run();
                cuEventRecord(stop, cuda.runtime().stream());
                cuEventSynchronize(stop);
                cuEventElapsedTime(t, start, stop);
                ms[i] = t[0];
            }
        } finally {
            cuEventDestroy(start);
            cuEventDestroy(stop);
        }
        Arrays.sort(ms);
        return ms;
    }

    /** A result with the backend's device name and peaks (none on the CPU). */
    static BenchResult result(Backend backend, String bench, String shape, String dtype, double[] ms, double flops, double bytes) {
        if (backend instanceof CudaBackend cuda) {
            CudaRuntime rt = cuda.runtime();
            return new BenchResult(bench, "cuda", rt.name(), shape, dtype.toLowerCase(Locale.ROOT), ms[ms.length / 2], ms[0], flops, bytes,
                    BenchResult.fp32PeakTflops(rt), BenchResult.peakGBps(rt), Map.of());
        }
        return new BenchResult(bench, backend.device().name().toLowerCase(Locale.ROOT), backend.describe(), shape,
                dtype.toLowerCase(Locale.ROOT), ms[ms.length / 2], ms[0], flops, bytes, 0, 0, Map.of());
    }

    /** The storage type of --dtype: f32 and tf32 store fp32, bf16 stores bf16 (CUDA only). */
    static DType storage(Backend backend, String dtype) {
        if (!dtype.equalsIgnoreCase("f32") && !dtype.equalsIgnoreCase("tf32") && !dtype.equalsIgnoreCase("bf16")) {
            throw new IllegalArgumentException("--dtype " + dtype + ": expected f32, tf32 or bf16");
        }
        if (!dtype.equalsIgnoreCase("f32") && !(backend instanceof CudaBackend)) {
            throw new IllegalArgumentException("--dtype " + dtype + " needs --device cuda; the CPU backend computes in f32");
        }
        return dtype.equalsIgnoreCase("bf16") ? DType.BF16 : DType.F32;
    }

    static Tensor random(Backend backend, Random r, DType dtype, int... dims) {
        Tensor t = Tensor.empty(backend, Shape.of(dims), dtype);
        float[] v = new float[Math.toIntExact(t.numel())];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        backend.write(t, v);
        return t;
    }

    /**
     * C[m,n] = A[m,k] B[k,n]; dtype f32 (CUDA cores), tf32 or bf16 (tensor cores, bf16 in/out). Where JCublas loads,
     * cuBLAS's time for the same product is added ({@code cublasMs}); otherwise {@code cublas} says why not.
     */
    public static BenchResult gemm(CudaBackend cuda, int m, int n, int k, String dtype, int warmup, int iters) {
        return gemm(cuda, m, n, k, dtype, false, warmup, iters);
    }

    /**
     * As {@link #gemm(CudaBackend, int, int, int, String, int, int)}; transB: B stored [n, k] (a Linear weight, C = A B^T),
     * for cuBLAS too. The JSON names the kernel that ran ({@code kernel}) and, for f32, the variant
     * ({@code variant}: v1|v2|v2-128|v2-64, -Dmettle.cuda.gemmF32).
     */
    public static BenchResult gemm(CudaBackend cuda, int m, int n, int k, String dtype, boolean transB, int warmup, int iters) {
        DType storage = storage(cuda, dtype);
        boolean wantTf32 = dtype.equalsIgnoreCase("tf32");
        if (wantTf32 != CudaGemm.TF32 && storage == DType.F32) {
            throw new IllegalArgumentException("--dtype " + dtype + ": the backend's fp32 gemm is "
                    + (CudaGemm.TF32 ? "tf32" : "f32") + "; set -Dmettle.cuda.tf32=" + wantTf32);
        }
        Random r = new Random(1);
        int eb = storage.byteSize();
        try (Tensor a = random(cuda, r, storage, m, k); Tensor b = transB ? random(cuda, r, storage, n, k) : random(cuda, r, storage, k, n);
             Tensor c = Tensor.empty(cuda, Shape.of(m, n), storage)) {
            double[] ms = time(cuda, () -> cuda.gemm(false, transB, 1, m, n, k, 1f, a, 0, b, 0, 0f, c, 0), warmup, iters);
            BenchResult res = result(cuda, "gemm", m + "x" + n + "x" + k + (transB ? "_nt" : ""), dtype, ms, 2.0 * m * n * k,
                    ((double) m * k + (double) k * n + (double) m * n) * eb);
            res = res.with("transB", transB);
            if (storage == DType.F32) {
                res = res.with("kernel", cuda.f32GemmKernel(false, transB, m, n, k, 1)).with("splitK", cuda.f32GemmPlan(m, n, k, 1).splits());
                if (!wantTf32) {
                    res = res.with("variant", cuda.gemmF32Variant().label());
                }
            } else {
                res = res.with("kernel", "gemm_bf16");
            }
            String cublas = CublasSupport.status();
            if (!cublas.startsWith("usable: ")) {
                return res.with("cublas", cublas);
            }
            double[] ref = time(cuda, cublasGemm(CublasSupport.handle(cuda.runtime()), dtype, transB, m, n, k, a, b, c), warmup, iters);
            double refMs = ref[ref.length / 2];
            return res.with("cublas", cublas.substring("usable: ".length())).with("cublasMs", refMs)
                    .with("cublasTflops", 2.0 * m * n * k / (refMs * 1e-3) / 1e12).with("speedVsCublas", refMs / res.ms());
        }
    }

    /**
     * Row-major C = A B as cuBLAS's column-major C^T = B^T A^T; with transB (B stored [n, k]) C^T = (B^T)^T A^T, the
     * row-major [n, k] buffer being column-major B^T with leading dimension k.
     */
    private static Runnable cublasGemm(cublasHandle h, String dtype, boolean transB, int m, int n, int k, Tensor a, Tensor b, Tensor c) {
        Pointer alpha = Pointer.to(new float[] {1f});
        Pointer beta = Pointer.to(new float[] {0f});
        int op = cublasOperation.CUBLAS_OP_N;
        int opB = transB ? cublasOperation.CUBLAS_OP_T : op;
        int ldb = transB ? k : n;
        if (dtype.equalsIgnoreCase("f32")) {
            return () -> JCublas2.cublasSgemm(h, opB, op, n, m, k, alpha, CudaBackend.ptr(b), ldb, CudaBackend.ptr(a), k, beta,
                    CudaBackend.ptr(c), n);
        }
        boolean bf16 = dtype.equalsIgnoreCase("bf16");
        int type = bf16 ? cudaDataType.CUDA_R_16BF : cudaDataType.CUDA_R_32F;
        int compute = bf16 ? cublasComputeType.CUBLAS_COMPUTE_32F : cublasComputeType.CUBLAS_COMPUTE_32F_FAST_TF32;
        return () -> JCublas2.cublasGemmEx(h, opB, op, n, m, k, alpha, CudaBackend.ptr(b), type, ldb, CudaBackend.ptr(a), type, k, beta,
                CudaBackend.ptr(c), type, n, compute, cublasGemmAlgo.CUBLAS_GEMM_DEFAULT);
    }

    /** Self-attention forward [B, H, N, D] (contiguous), flops = 4 B H N^2 D. */
    public static BenchResult attention(CudaBackend cuda, int batch, int heads, int tokens, int headDim, String dtype, int warmup, int iters) {
        DType storage = storage(cuda, dtype);
        Random r = new Random(2);
        AttentionShape s = new AttentionShape(batch, heads, tokens, tokens, headDim, (float) (1 / Math.sqrt(headDim)));
        AttentionLayout l = AttentionLayout.contiguous(heads, tokens, headDim);
        try (Tensor q = random(cuda, r, storage, batch, heads, tokens, headDim);
             Tensor k = random(cuda, r, storage, batch, heads, tokens, headDim);
             Tensor v = random(cuda, r, storage, batch, heads, tokens, headDim);
             Tensor o = Tensor.empty(cuda, Shape.of(batch, heads, tokens, headDim), storage);
             Tensor lse = Tensor.empty(cuda, Shape.of(batch, heads, tokens), DType.F32)) {
            double[] ms = time(cuda, () -> cuda.attention(s, q, l, k, l, v, l, null, null, o, l, lse), warmup, iters);
            // which kernel ran (-Dmettle.cuda.attention picks the variant), as the lcd bench reports it
            return result(cuda, "attention", "B" + batch + "_H" + heads + "_N" + tokens + "_D" + headDim, dtype, ms,
                    4.0 * batch * heads * (double) tokens * tokens * headDim, 4.0 * batch * heads * tokens * headDim * storage.byteSize())
                    .with("kernel", cuda.attention.lastForwardKernel())
                    .with("variant", cuda.attention.forwardVariant().spelling());
        }
    }

    /**
     * One training step of {@code depth} ViT blocks (fp32) at [batch, tokens, dim]: forward, mean loss, backward through
     * every block, AdamW on every parameter. Flops counted as 3x the forward's matmuls and attention.
     */
    public static BenchResult trainStep(CudaBackend cuda, int batch, int tokens, int dim, int heads, int depth, int warmup, int iters) {
        Random r = new Random(3);
        List<TransformerBlock> blocks = new ArrayList<>();
        List<Tensor> params = new ArrayList<>();
        for (int i = 0; i < depth; i++) {
            TransformerBlock b = new TransformerBlock(cuda, r, dim, heads, 4f);
            b.trainable(true);
            blocks.add(b);
            params.addAll(b.parameters());
        }
        long fallbacksBefore = cuda.fallbackCount();
        try (Tensor x = random(cuda, r, DType.F32, batch, tokens, dim).untrack(); AdamW opt = new AdamW(params, 1e-4f, 0.05f)) {
            Runnable step = () -> {
                try (Scope s = Scope.open()) {
                    Tensor h = x;
                    for (TransformerBlock b : blocks) {
                        h = b.forward(h);
                    }
                    h.mean().backward();
                    opt.step();
                    opt.zeroGrad();
                }
            };
            double[] ms = time(cuda, step, warmup, iters);
            double forward = depth * (24.0 * batch * tokens * (double) dim * dim + 4.0 * batch * (double) tokens * tokens * dim);
            return result(cuda, "train_step", "B" + batch + "_N" + tokens + "_C" + dim + "_H" + heads + "_depth" + depth
                    + "_hostFallbacksPerStep" + (cuda.fallbackCount() - fallbacksBefore) / Math.max(1, warmup + iters),
                    "f32", ms, 3 * forward, 0);
        } finally {
            blocks.forEach(TransformerBlock::close);
        }
    }
}
