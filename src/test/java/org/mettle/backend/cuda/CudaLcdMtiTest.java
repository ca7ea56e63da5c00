package org.mettle.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mettle.backend.cuda.CudaTestSupport.assertClose;
import static org.mettle.backend.cuda.CudaTestSupport.empty;
import static org.mettle.backend.cuda.CudaTestSupport.randn;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.mettle.autograd.NnOps;
import org.mettle.backend.AttentionLayout;
import org.mettle.backend.AttentionShape;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.backend.cuda.CudaAttention.LcdDispatch;
import org.mettle.backend.cuda.CudaTestSupport.Pair;
import org.mettle.tensor.DType;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;

/**
 * lcd.cu (through CudaBackend.attention / attentionBackward) and mti.cu (CudaBackend.mtiAttention) against the CPU
 * backend's attention. The GPU tests are skipped, with the reason, when CUDA is unusable; the dispatch rule runs
 * everywhere.
 */
class CudaLcdMtiTest {
    private static final Backend CPU = Backends.cpu();
    private final Random r = new Random(11);

    // ---- the dispatch rule (no GPU needed) --------------------------------------------------------------------

    private static AttentionShape shape(int b, int h, int nq, int nk, int d) {
        return new AttentionShape(b, h, nq, nk, d, 1f);
    }

    @Test
    void autoSplitsKeysOnlyWhenTheHeadsLeaveTheGpuIdle() {
        int sms = 132; // H100 SXM
        // Swin-V2-L stage 0 at 192 px: 4 meta queries, 6 heads, 2304 tokens, 2 frames -> 12 blocks: split
        int s0 = CudaAttention.lcdSplits(LcdDispatch.AUTO, sms, shape(2, 6, 4, 2304, 32), 16);
        assertEquals(22, s0); // cdiv(264, 12)
        // 20 frames x 48 heads at stage 3 (36 tokens) already give 960 blocks: generic kernels
        assertEquals(0, CudaAttention.lcdSplits(LcdDispatch.AUTO, sms, shape(20, 48, 4, 36, 32), 16));
        // more queries than one block's rows: never automatic
        assertEquals(0, CudaAttention.lcdSplits(LcdDispatch.AUTO, sms, shape(1, 1, 17, 4096, 64), 16));
        // never more splits than 32-key tiles
        assertEquals(2, CudaAttention.lcdSplits(LcdDispatch.AUTO, sms, shape(1, 1, 4, 64, 64), 16));
        assertEquals(1, CudaAttention.lcdSplits(LcdDispatch.ALWAYS, sms, shape(1, 1, 4, 20, 64), 16));
        assertEquals(1, CudaAttention.lcdSplits(LcdDispatch.ALWAYS, sms, shape(20, 48, 40, 36, 32), 16));
        assertEquals(0, CudaAttention.lcdSplits(LcdDispatch.NEVER, sms, shape(2, 6, 4, 2304, 32), 16));
        // the backward's blocks hold 8 rows: same rule
        assertEquals(22, CudaAttention.lcdSplits(LcdDispatch.AUTO, sms, shape(2, 6, 4, 2304, 32), 8));
    }

    @Test
    void dispatchPropertyIsParsedOrRejectedWithTheChoices() {
        String old = System.getProperty("mettle.cuda.lcd");
        try {
            System.setProperty("mettle.cuda.lcd", "Never");
            assertEquals(LcdDispatch.NEVER, LcdDispatch.fromProperty());
            System.setProperty("mettle.cuda.lcd", "sometimes");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, LcdDispatch::fromProperty);
            assertTrue(e.getMessage().contains("auto, always or never"), e.getMessage());
        } finally {
            if (old == null) {
                System.clearProperty("mettle.cuda.lcd");
            } else {
                System.setProperty("mettle.cuda.lcd", old);
            }
        }
    }

    // ---- LCD on the GPU -----------------------------------------------------------------------------------------

    private void checkLcd(CudaBackend gpu, String name, DType dtype, int b, int h, int nq, int nk, int d, boolean tokensMajorOut) {
        double tol = dtype == DType.BF16 ? CudaTestSupport.BF16_TOL : 1e-4;
        AttentionShape s = new AttentionShape(b, h, nq, nk, d, (float) (1 / Math.sqrt(d)));
        AttentionLayout lq = AttentionLayout.contiguous(h, nq, d);
        AttentionLayout lk = AttentionLayout.contiguous(h, nk, d);
        AttentionLayout lo = tokensMajorOut ? AttentionLayout.tokensMajor(h, nq, d) : lq;
        long[] before = gpu.attention.lcdCalls();
        try (Pair q = randn(gpu, r, b, h, nq, d); Pair k = randn(gpu, r, b, h, nk, d); Pair v = randn(gpu, r, b, h, nk, d);
             Pair o = empty(gpu, DType.F32, b, h, nq, d); Pair lse = empty(gpu, DType.F32, b, h, nq);
             Pair dO = randn(gpu, r, b, h, nq, d); Pair dq = empty(gpu, DType.F32, b, h, nq, d);
             Tensor qg = q.gpu().toType(dtype); Tensor kg = k.gpu().toType(dtype); Tensor vg = v.gpu().toType(dtype);
             Tensor og = Tensor.empty(gpu, o.gpu().shape(), dtype); Tensor dOg = dO.gpu().toType(dtype);
             Tensor dqg = Tensor.empty(gpu, dq.gpu().shape(), dtype)) {
            CPU.attention(s, q.cpu(), lq, k.cpu(), lk, v.cpu(), lk, null, null, o.cpu(), lo, lse.cpu());
            gpu.attention(s, qg, lq, kg, lk, vg, lk, null, null, og, lo, lse.gpu());
            assertClose(name + " o", o.cpu().toFloatArray(), og.toFloatArray(), tol);
            assertClose(name + " lse", lse, dtype == DType.BF16 ? tol : 1e-4);
            CPU.attentionBackward(s, q.cpu(), lq, k.cpu(), lk, v.cpu(), lk, null, null, o.cpu(), lo, lse.cpu(), dO.cpu(), lo,
                    dq.cpu(), lq, null, lk, null, lk, null);
            gpu.attentionBackward(s, qg, lq, kg, lk, vg, lk, null, null, og, lo, lse.gpu(), dOg, lo, dqg, lq, null, lk, null, lk, null);
            assertClose(name + " dq", dq.cpu().toFloatArray(), dqg.toFloatArray(), dtype == DType.BF16 ? 2 * tol : 2e-4);
        }
        long[] after = gpu.attention.lcdCalls();
        int expected = gpu.attention.lcdDispatch() == LcdDispatch.NEVER ? 0 : 1;
        assertEquals(before[0] + expected, after[0], name + ": forward calls served by lcd.cu");
        assertEquals(before[1] + expected, after[1], name + ": backward calls served by lcd.cu");
    }

    @Test
    void lcdKernelsMatchTheCpuOnOddShapes() {
        CudaBackend gpu = CudaTestSupport.cudaOrSkip();
        LcdDispatch old = gpu.attention.lcdDispatch();
        gpu.attention.lcdDispatch(LcdDispatch.ALWAYS);
        try {
            checkLcd(gpu, "K=4 over 301 keys", DType.F32, 2, 3, 4, 301, 32, false);
            checkLcd(gpu, "20 queries (2 blocks), d=100", DType.F32, 1, 2, 20, 77, 100, false);
            checkLcd(gpu, "htsat d=24, o tokens-major", DType.F32, 2, 4, 4, 1024, 24, true);
            checkLcd(gpu, "one query, fewer keys than a tile", DType.F32, 3, 1, 1, 7, 64, false);
            checkLcd(gpu, "bf16", DType.BF16, 2, 4, 4, 200, 64, false);
        } finally {
            gpu.attention.lcdDispatch(old);
        }
    }

    @Test
    void genericQueryOnlyPathStillMatchesWhenLcdIsOff() {
        CudaBackend gpu = CudaTestSupport.cudaOrSkip();
        LcdDispatch old = gpu.attention.lcdDispatch();
        gpu.attention.lcdDispatch(LcdDispatch.NEVER);
        try {
            checkLcd(gpu, "attention.cu query-only", DType.F32, 2, 3, 4, 301, 32, false);
        } finally {
            gpu.attention.lcdDispatch(old);
        }
    }

    @Test
    void lcdAutoServesSwinStageZeroOnTheGpu() {
        CudaBackend gpu = CudaTestSupport.cudaOrSkip();
        LcdDispatch old = gpu.attention.lcdDispatch();
        gpu.attention.lcdDispatch(LcdDispatch.AUTO);
        try {
            checkLcd(gpu, "swinv2-l stage 0, 2 frames", DType.F32, 2, 6, 4, 2304, 32, false);
        } finally {
            gpu.attention.lcdDispatch(old);
        }
    }

    /** LCD's own call pattern: expanded meta queries with a gradient over frozen keys and values (NnOps.attention). */
    @Test
    void lcdThroughAutogradMatchesTheCpu() {
        CudaBackend gpu = CudaTestSupport.cudaOrSkip();
        int b = 3, h = 6, k = 4, n = 576, d = 32;
        float[] meta = CudaTestSupport.values(r, h * k * d, -1, 1, true);
        float[] keys = CudaTestSupport.values(r, b * h * n * d, -1, 1, true);
        float[] values = CudaTestSupport.values(r, b * h * n * d, -1, 1, true);
        float[] weights = CudaTestSupport.values(r, b * h * k * d, -1, 1, true);
        float[][] outAndGrad = null;
        long[] before = gpu.attention.lcdCalls();
        for (Backend backend : new Backend[] {CPU, gpu}) {
            try (Scope scope = Scope.open()) {
                Tensor z = Tensor.of(backend, meta, 1, h, k, d).requiresGrad(true);
                Tensor kt = Tensor.of(backend, keys, b, h, n, d);
                Tensor vt = Tensor.of(backend, values, b, h, n, d);
                Tensor o = NnOps.attention(z.expand(b, h, k, d), kt, vt, null, null, 0.17f);
                o.mul(Tensor.of(backend, weights, b, h, k, d)).sum().backward();
                float[][] got = {o.toFloatArray(), z.grad().toFloatArray()};
                if (outAndGrad == null) {
                    outAndGrad = got;
                } else {
                    assertClose("lcd autograd o", outAndGrad[0], got[0], 1e-4);
                    assertClose("lcd autograd grad of the meta queries", outAndGrad[1], got[1], 2e-4);
                }
            }
        }
        long[] after = gpu.attention.lcdCalls();
        if (gpu.attention.lcdDispatch() != LcdDispatch.NEVER && CudaAttention.lcdSplits(LcdDispatch.AUTO, gpu.runtime().multiprocessors(),
                new AttentionShape(b, h, k, n, d, 1f), 16) > 0) {
            assertEquals(before[0] + 1, after[0], "the forward should take lcd.cu");
            assertEquals(before[1] + 1, after[1], "the query-only backward should take lcd.cu");
        }
    }

    // ---- MTI on the GPU -----------------------------------------------------------------------------------------

    private void checkMti(CudaBackend gpu, String name, DType dtype, int b, int h, int n, int m, int d, boolean onGpu) {
        double tol = dtype == DType.BF16 ? CudaTestSupport.BF16_TOL : 1e-4;
        float scale = (float) (1 / Math.sqrt(d));
        AttentionShape s = new AttentionShape(b, h, n, m, d, scale);
        AttentionLayout lq = AttentionLayout.contiguous(h, n, d);
        AttentionLayout lk = AttentionLayout.contiguous(h, m, d);
        long fallbacks = gpu.fallbackCount();
        try (Pair q = randn(gpu, r, b, h, n, d); Pair k = randn(gpu, r, b, h, m, d); Pair v = randn(gpu, r, b, h, m, d);
             Pair dO = randn(gpu, r, b, h, n, d);
             Tensor o = Tensor.empty(CPU, Shape.of(b, h, n, d)); Tensor lse = Tensor.empty(CPU, Shape.of(b, h, n));
             Tensor dq = Tensor.empty(CPU, Shape.of(b, h, n, d)); Tensor dk = Tensor.empty(CPU, Shape.of(b, h, m, d));
             Tensor dv = Tensor.empty(CPU, Shape.of(b, h, m, d));
             Tensor qg = q.gpu().toType(dtype); Tensor kg = k.gpu().toType(dtype); Tensor vg = v.gpu().toType(dtype); Tensor dOg = dO.gpu().toType(dtype);
             Tensor og = Tensor.empty(gpu, Shape.of(b, h, n, d), dtype); Tensor dqg = Tensor.empty(gpu, Shape.of(b, h, n, d), dtype);
             Tensor dkg = Tensor.empty(gpu, Shape.of(b, h, m, d), dtype); Tensor dvg = Tensor.empty(gpu, Shape.of(b, h, m, d), dtype)) {
            CPU.attention(s, q.cpu(), lq, k.cpu(), lk, v.cpu(), lk, null, null, o, lq, lse);
            CPU.attentionBackward(s, q.cpu(), lq, k.cpu(), lk, v.cpu(), lk, null, null, o, lq, lse, dO.cpu(), lq, dq, lq, dk, lk, dv, lk, null);
            gpu.fill(og, Float.NaN);
            gpu.mtiAttention(qg, kg, vg, scale, og);
            assertClose(name + " o", o.toFloatArray(), og.toFloatArray(), tol);
            gpu.mtiAttentionBackward(qg, kg, vg, dOg, scale, dqg, dkg, dvg);
            assertClose(name + " dq", dq.toFloatArray(), dqg.toFloatArray(), 2 * tol);
            assertClose(name + " dk", dk.toFloatArray(), dkg.toFloatArray(), 2 * tol);
            assertClose(name + " dv", dv.toFloatArray(), dvg.toFloatArray(), 2 * tol);
        }
        assertEquals(onGpu, gpu.fallbackCount() == fallbacks, name + ": expected " + (onGpu ? "the mti.cu kernels" : "the host fallback"));
    }

    @Test
    void mtiKernelsMatchTheCpu() {
        CudaBackend gpu = CudaTestSupport.cudaOrSkip();
        checkMti(gpu, "vit-b tokens over 2K = 8 meta keys", DType.F32, 2, 12, 197, 8, 64, true);
        checkMti(gpu, "htsat d=24, 32 keys", DType.F32, 1, 4, 1000, 32, 24, true);
        checkMti(gpu, "d=128, one key", DType.F32, 1, 2, 33, 1, 128, true);
        checkMti(gpu, "bf16", DType.BF16, 2, 6, 300, 8, 32, true);
        checkMti(gpu, "33 keys: host fallback", DType.F32, 1, 2, 40, 33, 32, false);
    }

    @Test
    void mtiRejectsMismatchedShapesWithTheShapes() {
        CudaBackend gpu = CudaTestSupport.cudaOrSkip();
        try (Tensor q = Tensor.zeros(gpu, Shape.of(1, 2, 5, 8)); Tensor k = Tensor.zeros(gpu, Shape.of(1, 3, 4, 8));
             Tensor o = Tensor.zeros(gpu, Shape.of(1, 2, 5, 8))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> gpu.mtiAttention(q, k, k, 1f, o));
            assertTrue(e.getMessage().contains("[1, 2, M, 8]"), e.getMessage());
        }
    }
}
