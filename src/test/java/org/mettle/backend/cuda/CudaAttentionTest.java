package org.mettle.backend.cuda;

import static org.mettle.backend.cuda.CudaTestSupport.assertClose;
import static org.mettle.backend.cuda.CudaTestSupport.empty;
import static org.mettle.backend.cuda.CudaTestSupport.randn;
import static org.mettle.backend.cuda.CudaTestSupport.zeros;

import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mettle.backend.AttentionLayout;
import org.mettle.backend.AttentionShape;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.backend.cuda.CudaTestSupport.Pair;
import org.mettle.tensor.DType;

/** Fused attention forward and backward (full, query-only, bias and mask, packed layouts) against the CPU backend. */
class CudaAttentionTest {
    private static CudaBackend gpu;
    private static final Backend CPU = Backends.cpu();
    private final Random r = new Random(7);

    /** Per test, so that each test is reported as skipped with the reason when CUDA is unusable. */
    @BeforeEach
    void requireCuda() {
        gpu = CudaTestSupport.cudaOrSkip();
    }

    private void check(String name, int b, int h, int nq, int nk, int d, boolean withBias, boolean withMask, boolean queryOnly) {
        AttentionShape s = new AttentionShape(b, h, nq, nk, d, (float) (1 / Math.sqrt(d)));
        AttentionLayout lq = AttentionLayout.contiguous(h, nq, d);
        AttentionLayout lk = AttentionLayout.contiguous(h, nk, d);
        float[] maskValues = CudaTestSupport.sparseMask(nq, nk);
        try (Pair q = randn(gpu, r, b, h, nq, d); Pair k = randn(gpu, r, b, h, nk, d); Pair v = randn(gpu, r, b, h, nk, d);
             Pair bias = withBias ? randn(gpu, r, 1, h, nq, nk) : null;
             Pair mask = withMask ? CudaTestSupport.pair(gpu, maskValues, 1, 1, nq, nk) : null;
             Pair o = empty(gpu, DType.F32, b, h, nq, d); Pair lse = empty(gpu, DType.F32, b, h, nq);
             Pair dO = randn(gpu, r, b, h, nq, d); Pair dq = empty(gpu, DType.F32, b, h, nq, d);
             Pair dk = empty(gpu, DType.F32, b, h, nk, d); Pair dv = empty(gpu, DType.F32, b, h, nk, d);
             Pair dBias = withBias ? zeros(gpu, 1, h, nq, nk) : null) {
            CPU.attention(s, q.cpu(), lq, k.cpu(), lk, v.cpu(), lk, cpu(bias), cpu(mask), o.cpu(), lq, lse.cpu());
            gpu.attention(s, q.gpu(), lq, k.gpu(), lk, v.gpu(), lk, dev(bias), dev(mask), o.gpu(), lq, lse.gpu());
            assertClose(name + " o", o, 1e-4);
            assertClose(name + " lse", lse, 1e-4);
            CPU.attentionBackward(s, q.cpu(), lq, k.cpu(), lk, v.cpu(), lk, cpu(bias), cpu(mask), o.cpu(), lq, lse.cpu(), dO.cpu(), lq,
                    dq.cpu(), lq, queryOnly ? null : dk.cpu(), lk, queryOnly ? null : dv.cpu(), lk, cpu(dBias));
            gpu.attentionBackward(s, q.gpu(), lq, k.gpu(), lk, v.gpu(), lk, dev(bias), dev(mask), o.gpu(), lq, lse.gpu(), dO.gpu(), lq,
                    dq.gpu(), lq, queryOnly ? null : dk.gpu(), lk, queryOnly ? null : dv.gpu(), lk, dev(dBias));
            assertClose(name + " dq", dq, 2e-4);
            if (!queryOnly) {
                assertClose(name + " dk", dk, 2e-4);
                assertClose(name + " dv", dv, 2e-4);
            }
            if (withBias) {
                assertClose(name + " dBias", dBias, 2e-4);
            }
        }
    }

    private static org.mettle.tensor.Tensor cpu(Pair p) {
        return p == null ? null : p.cpu();
    }

    private static org.mettle.tensor.Tensor dev(Pair p) {
        return p == null ? null : p.gpu();
    }

    @Test
    void selfAttentionOddSizes() {
        check("vit-like", 2, 3, 197, 197, 64, false, false, false);
        check("d=40", 1, 2, 33, 33, 40, false, false, false);
        check("d=128", 1, 1, 17, 17, 128, false, false, false);
        check("d=1", 1, 1, 5, 5, 1, false, false, false);
    }

    @Test
    void crossAttentionAndQueryOnly() {
        check("lcd-like query-only", 2, 4, 3, 301, 64, false, false, true);
        check("mti-like", 1, 2, 129, 16, 32, false, false, false);
    }

    @Test
    void swinBiasAndMask() {
        check("swin window bias", 3, 4, 49, 49, 32, true, false, false);
        check("swin shifted mask", 2, 2, 49, 49, 32, true, true, false);
    }

    @Test
    void headDimAboveKernelLimitFallsBack() {
        check("d=160", 1, 1, 9, 11, 160, false, false, false);
    }

    @Test
    void packedQkvLayouts() {
        int b = 2, h = 3, n = 21, d = 16, hd = h * d;
        AttentionShape s = new AttentionShape(b, h, n, n, d, 0.25f);
        AttentionLayout lq = AttentionLayout.packedQkv(0, h, n, d);
        AttentionLayout lk = AttentionLayout.packedQkv(1, h, n, d);
        AttentionLayout lv = AttentionLayout.packedQkv(2, h, n, d);
        AttentionLayout lo = AttentionLayout.tokensMajor(h, n, d);
        try (Pair qkv = randn(gpu, r, b, n, 3 * hd); Pair o = empty(gpu, DType.F32, b, n, hd); Pair lse = empty(gpu, DType.F32, b, h, n);
             Pair dO = randn(gpu, r, b, n, hd); Pair dqkv = zeros(gpu, b, n, 3 * hd)) {
            CPU.attention(s, qkv.cpu(), lq, qkv.cpu(), lk, qkv.cpu(), lv, null, null, o.cpu(), lo, lse.cpu());
            gpu.attention(s, qkv.gpu(), lq, qkv.gpu(), lk, qkv.gpu(), lv, null, null, o.gpu(), lo, lse.gpu());
            assertClose("packed o", o, 1e-4);
            CPU.attentionBackward(s, qkv.cpu(), lq, qkv.cpu(), lk, qkv.cpu(), lv, null, null, o.cpu(), lo, lse.cpu(), dO.cpu(), lo,
                    dqkv.cpu(), lq, dqkv.cpu(), lk, dqkv.cpu(), lv, null);
            gpu.attentionBackward(s, qkv.gpu(), lq, qkv.gpu(), lk, qkv.gpu(), lv, null, null, o.gpu(), lo, lse.gpu(), dO.gpu(), lo,
                    dqkv.gpu(), lq, dqkv.gpu(), lk, dqkv.gpu(), lv, null);
            assertClose("packed dqkv", dqkv, 2e-4);
        }
    }
}
