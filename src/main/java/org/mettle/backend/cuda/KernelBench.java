package org.mettle.backend.cuda;

import static org.mettle.backend.cuda.CudaBench.random;
import static org.mettle.backend.cuda.CudaBench.result;
import static org.mettle.backend.cuda.CudaBench.storage;
import static org.mettle.backend.cuda.CudaBench.time;

import java.util.Random;
import org.mettle.backend.AttentionLayout;
import org.mettle.backend.AttentionShape;
import org.mettle.backend.Backend;
import org.mettle.backend.cuda.CudaAttention.LcdDispatch;
import org.mettle.tensor.DType;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;

/**
 * Benchmarks of the Mettle-specific kernels at the backbones' shapes: LCD (K meta queries over a layer's N tokens),
 * MTI (N token queries over 2K meta keys) and layer norm. They run on any backend (the CPU numbers have no peaks),
 * through the same Backend calls the models make, so on CUDA they time the dispatch the training step gets.
 * Bytes count each tensor read or written once; flops count the matmuls only.
 */
public final class KernelBench {
    private KernelBench() {}

    /** Which attention kernels serve LCD's calls on CUDA: the automatic rule, lcd.cu always, or attention.cu only. */
    public enum LcdPath {
        AUTO, LCD, GENERIC
    }

    private static String attentionShape(int batch, int heads, int queries, int keys, int headDim) {
        return "B" + batch + "_H" + heads + "_Nq" + queries + "_Nk" + keys + "_D" + headDim;
    }

    /**
     * LCD attention: {@code meta} queries over {@code tokens} keys and values per (frame, head), forward and, with
     * {@code backward}, the query-only backward (frozen tokens) after it.
     */
    public static BenchResult lcd(Backend backend, int batch, int heads, int meta, int tokens, int headDim, String dtype,
                                  boolean backward, LcdPath path, int warmup, int iters) {
        DType storage = storage(backend, dtype);
        Random r = new Random(4);
        AttentionShape s = new AttentionShape(batch, heads, meta, tokens, headDim, (float) (1 / Math.sqrt(headDim)));
        AttentionLayout lq = AttentionLayout.contiguous(heads, meta, headDim);
        AttentionLayout lk = AttentionLayout.contiguous(heads, tokens, headDim);
        CudaBackend cuda = backend instanceof CudaBackend c ? c : null;
        LcdDispatch before = cuda == null ? null : cuda.attention.lcdDispatch();
        String kernel = "cpu";
        try (Tensor q = random(backend, r, storage, batch, heads, meta, headDim);
             Tensor k = random(backend, r, storage, batch, heads, tokens, headDim);
             Tensor v = random(backend, r, storage, batch, heads, tokens, headDim);
             Tensor dO = random(backend, r, storage, batch, heads, meta, headDim);
             Tensor o = Tensor.empty(backend, Shape.of(batch, heads, meta, headDim), storage);
             Tensor dq = Tensor.empty(backend, Shape.of(batch, heads, meta, headDim), storage);
             Tensor lse = Tensor.empty(backend, Shape.of(batch, heads, meta), DType.F32)) {
            if (cuda != null) {
                cuda.attention.lcdDispatch(switch (path) {
                    case AUTO -> LcdDispatch.AUTO;
                    case LCD -> LcdDispatch.ALWAYS;
                    case GENERIC -> LcdDispatch.NEVER;
                });
                int splits = cuda.attention.lcdSplits(s, 16);
                kernel = splits > 0 ? "lcd.cu, " + splits + " key splits" : "attention.cu";
            }
            Runnable body = () -> {
                backend.attention(s, q, lq, k, lk, v, lk, null, null, o, lq, lse);
                if (backward) {
                    backend.attentionBackward(s, q, lq, k, lk, v, lk, null, null, o, lq, lse, dO, lq, dq, lq, null, lk, null, lk, null);
                }
            };
            double[] ms = time(backend, body, warmup, iters);
            double work = (double) batch * heads * meta * tokens * headDim;
            double tokenBytes = 2.0 * batch * heads * tokens * headDim * storage.byteSize();
            double metaBytes = (double) batch * heads * meta * headDim * storage.byteSize();
            double flops = 4 * work + (backward ? 6 * work : 0);
            double bytes = tokenBytes + 2 * metaBytes + (backward ? tokenBytes + 3 * metaBytes : 0);
            return result(backend, backward ? "lcd_fwd_bwd" : "lcd_fwd", attentionShape(batch, heads, meta, tokens, headDim), dtype,
                    ms, flops, bytes).with("kernel", kernel);
        } finally {
            if (cuda != null) {
                cuda.attention.lcdDispatch(before);
            }
        }
    }

    /**
     * MTI attention: {@code tokens} queries over {@code metaKeys} (2K) keys and values per (frame, head), forward and,
     * with {@code backward}, the full backward (dQ, dK, dV). On CUDA through mti.cu ({@link CudaBackend#mtiAttention});
     * elsewhere through the backend's generic attention.
     */
    public static BenchResult mti(Backend backend, int batch, int heads, int tokens, int metaKeys, int headDim, String dtype,
                                  boolean backward, int warmup, int iters) {
        DType storage = storage(backend, dtype);
        Random r = new Random(5);
        float scale = (float) (1 / Math.sqrt(headDim));
        AttentionShape s = new AttentionShape(batch, heads, tokens, metaKeys, headDim, scale);
        AttentionLayout lq = AttentionLayout.contiguous(heads, tokens, headDim);
        AttentionLayout lk = AttentionLayout.contiguous(heads, metaKeys, headDim);
        CudaBackend cuda = backend instanceof CudaBackend c ? c : null;
        try (Tensor q = random(backend, r, storage, batch, heads, tokens, headDim);
             Tensor k = random(backend, r, storage, batch, heads, metaKeys, headDim);
             Tensor v = random(backend, r, storage, batch, heads, metaKeys, headDim);
             Tensor dO = random(backend, r, storage, batch, heads, tokens, headDim);
             Tensor o = Tensor.empty(backend, q.shape(), storage); Tensor dq = Tensor.empty(backend, q.shape(), storage);
             Tensor dk = Tensor.empty(backend, k.shape(), storage); Tensor dv = Tensor.empty(backend, k.shape(), storage);
             Tensor lse = Tensor.empty(backend, Shape.of(batch, heads, tokens), DType.F32)) {
            Runnable body = cuda != null
                    ? () -> {
                        cuda.mtiAttention(q, k, v, scale, o);
                        if (backward) {
                            cuda.mtiAttentionBackward(q, k, v, dO, scale, dq, dk, dv);
                        }
                    }
                    : () -> {
                        backend.attention(s, q, lq, k, lk, v, lk, null, null, o, lq, lse);
                        if (backward) {
                            backend.attentionBackward(s, q, lq, k, lk, v, lk, null, null, o, lq, lse, dO, lq, dq, lq, dk, lk, dv, lk, null);
                        }
                    };
            long fallbacks = cuda == null ? 0 : cuda.fallbackCount();
            double[] ms = time(backend, body, warmup, iters);
            String kernel = cuda == null ? "cpu" : cuda.fallbackCount() > fallbacks ? "host fallback (more than 32 keys or D > 128)" : "mti.cu";
            double work = (double) batch * heads * tokens * metaKeys * headDim;
            double tokenBytes = (double) batch * heads * tokens * headDim * storage.byteSize();
            double metaBytes = 2.0 * batch * heads * metaKeys * headDim * storage.byteSize();
            double flops = 4 * work + (backward ? 10 * work : 0);
            double bytes = 2 * tokenBytes + metaBytes + (backward ? 3 * tokenBytes + 2 * metaBytes : 0);
            return result(backend, backward ? "mti_fwd_bwd" : "mti_fwd", attentionShape(batch, heads, tokens, metaKeys, headDim), dtype,
                    ms, flops, bytes).with("kernel", kernel);
        }
    }

    /** Layer norm over the last axis of [rows, width], forward and, with {@code backward}, dx, dGamma and dBeta. */
    public static BenchResult layerNorm(Backend backend, int rows, int width, String dtype, boolean backward, int warmup, int iters) {
        DType storage = storage(backend, dtype);
        Random r = new Random(6);
        try (Tensor x = random(backend, r, storage, rows, width); Tensor gamma = random(backend, r, storage, width);
             Tensor beta = random(backend, r, storage, width); Tensor dy = random(backend, r, storage, rows, width);
             Tensor y = Tensor.empty(backend, x.shape(), storage); Tensor dx = Tensor.empty(backend, x.shape(), storage);
             Tensor mean = Tensor.empty(backend, Shape.of(rows), DType.F32); Tensor rstd = Tensor.empty(backend, Shape.of(rows), DType.F32);
             Tensor dGamma = Tensor.zeros(backend, Shape.of(width)); Tensor dBeta = Tensor.zeros(backend, Shape.of(width))) {
            Runnable body = () -> {
                backend.layerNorm(x, gamma, beta, 1e-5f, y, mean, rstd);
                if (backward) {
                    backend.layerNormBackward(x, gamma, mean, rstd, dy, dx, dGamma, dBeta);
                }
            };
            double[] ms = time(backend, body, warmup, iters);
            double elems = (double) rows * width;
            double eb = storage.byteSize();
            // forward: x read, y written; backward: x and dy read twice (dx pass, dGamma/dBeta pass), dx written
            double bytes = 2 * elems * eb + 8.0 * rows + (backward ? 5 * elems * eb : 0);
            return result(backend, backward ? "layernorm_fwd_bwd" : "layernorm_fwd", rows + "x" + width, dtype, ms,
                    (backward ? 20 : 8) * elems, bytes);
        }
    }
}
