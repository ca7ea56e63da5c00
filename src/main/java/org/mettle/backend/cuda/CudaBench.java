package org.mettle.backend.cuda;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;

import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUevent;
import jcuda.driver.JCudaDriver;
import org.mettle.backend.AttentionLayout;
import org.mettle.backend.AttentionShape;
import java.util.ArrayList;
import java.util.List;
import org.mettle.nn.TransformerBlock;
import org.mettle.tensor.DType;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;
import org.mettle.train.AdamW;

/** Kernel benchmarks on the CUDA backend, timed with CUDA events around each run (median of the timed runs). */
public final class CudaBench {
    private CudaBench() {}

    public record Result(String kernel, String shape, String dtype, double ms, double minMs, double flops, String device,
                         double peakTflops) {
        public double tflops() {
            return flops / (ms * 1e-3) / 1e12;
        }

        public String toJson() {
            return String.format(Locale.ROOT,
                    "{\"bench\":\"%s\",\"device\":\"cuda\",\"gpu\":\"%s\",\"shape\":\"%s\",\"dtype\":\"%s\",\"ms\":%.4f,"
                            + "\"minMs\":%.4f,\"tflops\":%.3f,\"peakFp32Tflops\":%.1f,\"percentOfFp32Peak\":%.1f}",
                    kernel, device.replace("\"", "'"), shape, dtype, ms, minMs, tflops(), peakTflops,
                    peakTflops > 0 ? 100 * tflops() / peakTflops : 0);
        }

        public String describe() {
            return String.format(Locale.ROOT, "%s %s %s cuda (%s): %.4f ms median (min %.4f), %.2f TFLOP/s (fp32 peak ~%.1f)",
                    kernel, shape, dtype, device, ms, minMs, tflops(), peakTflops);
        }
    }

    /** FP32 CUDA-core peak estimate: SMs x 128 lanes x 2 flops x boost clock. */
    static double fp32PeakTflops(CudaRuntime rt) {
        int[] clockKhz = {0};
        JCudaDriver.cuDeviceGetAttribute(clockKhz, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_CLOCK_RATE, rt.device());
        return rt.multiprocessors() * 128.0 * 2 * clockKhz[0] * 1e3 / 1e12;
    }

    private static double[] time(CudaBackend cuda, Runnable body, int warmup, int iters) {
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

    private static Tensor random(CudaBackend cuda, Random r, DType dtype, int... dims) {
        Tensor t = Tensor.empty(cuda, Shape.of(dims), dtype);
        float[] v = new float[Math.toIntExact(t.numel())];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        cuda.write(t, v);
        return t;
    }

    /** C[m,n] = A[m,k] B[k,n]; dtype f32 (CUDA cores), tf32 or bf16 (tensor cores, bf16 in/out). */
    public static Result gemm(CudaBackend cuda, int m, int n, int k, String dtype, int warmup, int iters) {
        DType storage = dtype.equalsIgnoreCase("bf16") ? DType.BF16 : DType.F32;
        boolean wantTf32 = dtype.equalsIgnoreCase("tf32");
        if (wantTf32 != Boolean.getBoolean("mettle.cuda.tf32") && storage == DType.F32) {
            throw new IllegalArgumentException("--dtype " + dtype + ": the backend's fp32 gemm is "
                    + (Boolean.getBoolean("mettle.cuda.tf32") ? "tf32" : "f32") + "; set -Dmettle.cuda.tf32=" + wantTf32);
        }
        Random r = new Random(1);
        try (Tensor a = random(cuda, r, storage, m, k); Tensor b = random(cuda, r, storage, k, n);
             Tensor c = Tensor.empty(cuda, Shape.of(m, n), storage)) {
            double[] ms = time(cuda, () -> cuda.gemm(false, false, 1, m, n, k, 1f, a, 0, b, 0, 0f, c, 0), warmup, iters);
            return new Result("gemm", m + "x" + n + "x" + k, dtype.toLowerCase(Locale.ROOT), ms[ms.length / 2], ms[0],
                    2.0 * m * n * k, cuda.runtime().name(), fp32PeakTflops(cuda.runtime()));
        }
    }

    /** Self-attention forward [B, H, N, D] (contiguous), flops = 4 B H N^2 D. */
    public static Result attention(CudaBackend cuda, int batch, int heads, int tokens, int headDim, String dtype, int warmup, int iters) {
        DType storage = dtype.equalsIgnoreCase("bf16") ? DType.BF16 : DType.F32;
        Random r = new Random(2);
        AttentionShape s = new AttentionShape(batch, heads, tokens, tokens, headDim, (float) (1 / Math.sqrt(headDim)));
        AttentionLayout l = AttentionLayout.contiguous(heads, tokens, headDim);
        try (Tensor q = random(cuda, r, storage, batch, heads, tokens, headDim);
             Tensor k = random(cuda, r, storage, batch, heads, tokens, headDim);
             Tensor v = random(cuda, r, storage, batch, heads, tokens, headDim);
             Tensor o = Tensor.empty(cuda, Shape.of(batch, heads, tokens, headDim), storage);
             Tensor lse = Tensor.empty(cuda, Shape.of(batch, heads, tokens), DType.F32)) {
            double[] ms = time(cuda, () -> cuda.attention(s, q, l, k, l, v, l, null, null, o, l, lse), warmup, iters);
            return new Result("attention", "B" + batch + "_H" + heads + "_N" + tokens + "_D" + headDim,
                    dtype.toLowerCase(Locale.ROOT), ms[ms.length / 2], ms[0],
                    4.0 * batch * heads * (double) tokens * tokens * headDim, cuda.runtime().name(), fp32PeakTflops(cuda.runtime()));
        }
    }

    /**
     * One training step of {@code depth} ViT blocks (fp32) at [batch, tokens, dim]: forward, mean loss, backward through
     * every block, AdamW on every parameter. Flops counted as 3x the forward's matmuls and attention.
     */
    public static Result trainStep(CudaBackend cuda, int batch, int tokens, int dim, int heads, int depth, int warmup, int iters) {
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
            Result res = new Result("train_step", "B" + batch + "_N" + tokens + "_C" + dim + "_H" + heads + "_depth" + depth
                    + "_hostFallbacksPerStep" + (cuda.fallbackCount() - fallbacksBefore) / Math.max(1, warmup + iters),
                    "f32", ms[ms.length / 2], ms[0], 3 * forward, cuda.runtime().name(), fp32PeakTflops(cuda.runtime()));
            return res;
        } finally {
            blocks.forEach(TransformerBlock::close);
        }
    }
}
