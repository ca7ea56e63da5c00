package org.mettle.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mettle.backend.cuda.CudaTestSupport.BF16_TOL;
import static org.mettle.backend.cuda.CudaTestSupport.assertClose;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.mettle.backend.AttentionLayout;
import org.mettle.backend.AttentionShape;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.backend.cuda.CudaAttention.ForwardVariant;
import org.mettle.tensor.DType;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;

/**
 * The forward variants of {@code -Dmettle.cuda.attention}: the tensor-core bf16 kernels (attn_tc.cuh) against the CPU
 * backend on the same bf16-rounded inputs and against the classic bf16 kernel, and the register-tiled fp32 kernels
 * (attn_tiled.cuh) against the CPU backend and the classic fp32 kernel. The selection rules run without a GPU.
 */
class CudaAttentionTcTest {
    private static final Backend CPU = Backends.cpu();
    private final Random r = new Random(11);

    @Test
    void variantIsReadFromTheSystemProperty() {
        String before = System.getProperty(ForwardVariant.PROPERTY);
        try {
            System.clearProperty(ForwardVariant.PROPERTY);
            assertEquals(ForwardVariant.CLASSIC, ForwardVariant.fromProperty(), "default");
            System.setProperty(ForwardVariant.PROPERTY, " TC ");
            assertEquals(ForwardVariant.TC, ForwardVariant.fromProperty());
            System.setProperty(ForwardVariant.PROPERTY, "tc-bf16");
            assertEquals(ForwardVariant.TC_BF16, ForwardVariant.fromProperty());
            System.setProperty(ForwardVariant.PROPERTY, "tiled-f32");
            assertEquals(ForwardVariant.TILED_F32, ForwardVariant.fromProperty());
            System.setProperty(ForwardVariant.PROPERTY, "flash");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, ForwardVariant::fromProperty);
            assertTrue(e.getMessage().contains("-Dmettle.cuda.attention=flash") && e.getMessage().contains("classic, tc, tc-bf16 or tiled-f32"),
                    e.getMessage());
        } finally {
            if (before == null) {
                System.clearProperty(ForwardVariant.PROPERTY);
            } else {
                System.setProperty(ForwardVariant.PROPERTY, before);
            }
        }
    }

    private static String kernelFor(ForwardVariant variant, int d, DType dtype, int offset) {
        AttentionShape s = new AttentionShape(1, 1, 4, 4, d, 1f);
        try (Tensor base = Tensor.zeros(CPU, Shape.of(4 * d + 8)); Tensor typed = base.toType(dtype)) {
            Tensor view = offset == 0 ? typed : typed.viewRows(offset, 4 * d, Shape.of(4 * d));
            try {
                return CudaAttention.variantKernel(variant, s, view, view, view, view);
            } finally {
                if (view != typed) {
                    view.close();
                }
            }
        }
    }

    @Test
    void variantKernelsApplyToHeadDimsUpTo64() {
        ForwardVariant tc = ForwardVariant.TC;
        assertEquals("attn_fwd_tc32_bf16", kernelFor(tc, 32, DType.BF16, 0));
        assertEquals("attn_fwd_tc32_bf16", kernelFor(tc, 24, DType.BF16, 0));
        assertEquals("attn_fwd_tc64_bf16", kernelFor(tc, 40, DType.BF16, 0));
        assertEquals("attn_fwd_tc64_bf16", kernelFor(tc, 64, DType.BF16, 0));
        assertEquals("attn_fwd_tc64_bf16", kernelFor(tc, 64, DType.BF16, 8), "16-byte aligned view");
        assertNull(kernelFor(tc, 80, DType.BF16, 0), "head dim above 64");
        assertNull(kernelFor(tc, 12, DType.BF16, 0), "bf16 head dim not a multiple of 8");
        assertNull(kernelFor(tc, 64, DType.BF16, 4), "rows not 16-byte aligned");
        assertEquals("attn_fwd_tiled32_f32", kernelFor(tc, 12, DType.F32, 0), "fp32: any head dim, CUDA cores (no tf32)");
        assertEquals("attn_fwd_tiled64_f32", kernelFor(tc, 64, DType.F32, 4));
        assertNull(kernelFor(tc, 80, DType.F32, 0));
        assertEquals("attn_fwd_tc64_bf16", kernelFor(ForwardVariant.TC_BF16, 64, DType.BF16, 0));
        assertNull(kernelFor(ForwardVariant.TC_BF16, 64, DType.F32, 0));
        assertEquals("attn_fwd_tiled64_f32", kernelFor(ForwardVariant.TILED_F32, 64, DType.F32, 0));
        assertNull(kernelFor(ForwardVariant.TILED_F32, 64, DType.BF16, 0));
        for (DType t : new DType[] {DType.F32, DType.BF16}) {
            assertNull(kernelFor(ForwardVariant.CLASSIC, 64, t, 0));
        }
    }

    /** bf16 copies of f32 data on both backends, and the f32 values they hold (the reference's inputs). */
    private record Operand(Tensor cpuF32, Tensor gpuBf16) implements AutoCloseable {
        @Override
        public void close() {
            cpuF32.close();
            gpuBf16.close();
        }
    }

    private Operand bf16Operand(CudaBackend gpu, int... dims) {
        try (Tensor f = Tensor.randn(CPU, r, 1f, dims); Tensor h = f.toType(DType.BF16)) {
            return new Operand(h.toType(DType.F32), h.toDevice(gpu));
        }
    }

    private static Tensor upload(CudaBackend gpu, Tensor cpu) {
        return cpu == null ? null : cpu.toDevice(gpu);
    }

    private void check(CudaBackend gpu, String name, int b, int h, int nq, int nk, int d, boolean withBias, boolean withMask) {
        AttentionShape s = new AttentionShape(b, h, nq, nk, d, (float) (1 / Math.sqrt(d)));
        AttentionLayout lq = AttentionLayout.contiguous(h, nq, d);
        AttentionLayout lk = AttentionLayout.contiguous(h, nk, d);
        float[] maskValues = CudaTestSupport.sparseMask(nq, nk);
        ForwardVariant before = gpu.attention.forwardVariant();
        long fallbacks = gpu.fallbackCount();
        try (Operand q = bf16Operand(gpu, b, h, nq, d); Operand k = bf16Operand(gpu, b, h, nk, d); Operand v = bf16Operand(gpu, b, h, nk, d);
             Tensor biasCpu = withBias ? Tensor.randn(CPU, r, 0.5f, 1, h, nq, nk) : null;
             Tensor maskCpu = withMask ? Tensor.of(CPU, maskValues, 1, 1, nq, nk) : null;
             Tensor bias = upload(gpu, biasCpu); Tensor mask = upload(gpu, maskCpu);
             Tensor oRef = Tensor.empty(CPU, Shape.of(b, h, nq, d), DType.F32); Tensor lseRef = Tensor.empty(CPU, Shape.of(b, h, nq), DType.F32);
             Tensor oTc = Tensor.empty(gpu, Shape.of(b, h, nq, d), DType.BF16); Tensor lseTc = Tensor.empty(gpu, Shape.of(b, h, nq), DType.F32);
             Tensor oClassic = Tensor.empty(gpu, Shape.of(b, h, nq, d), DType.BF16);
             Tensor lseClassic = Tensor.empty(gpu, Shape.of(b, h, nq), DType.F32)) {
            CPU.attention(s, q.cpuF32(), lq, k.cpuF32(), lk, v.cpuF32(), lk, biasCpu, maskCpu, oRef, lq, lseRef);
            gpu.attention.forwardVariant(ForwardVariant.TC_BF16);
            gpu.attention(s, q.gpuBf16(), lq, k.gpuBf16(), lk, v.gpuBf16(), lk, bias, mask, oTc, lq, lseTc);
            assertEquals(d <= 32 ? "attn_fwd_tc32_bf16" : "attn_fwd_tc64_bf16", gpu.attention.lastForwardKernel(), name + ": kernel");
            gpu.attention.forwardVariant(ForwardVariant.CLASSIC);
            gpu.attention(s, q.gpuBf16(), lq, k.gpuBf16(), lk, v.gpuBf16(), lk, bias, mask, oClassic, lq, lseClassic);
            assertEquals("attn_fwd_bf16", gpu.attention.lastForwardKernel(), name + ": classic kernel");
            assertClose(name + " tc o vs cpu", oRef, oTc, BF16_TOL);
            assertClose(name + " tc lse vs cpu", lseRef, lseTc, 1e-4);
            assertClose(name + " tc o vs classic", oClassic, oTc, BF16_TOL);
            assertClose(name + " tc lse vs classic", lseClassic, lseTc, 1e-4);
            assertEquals(fallbacks, gpu.fallbackCount(), name + ": no host fallback");
        } finally {
            gpu.attention.forwardVariant(before);
        }
    }

    /** The tiled fp32 forward against the CPU backend and the classic fp32 kernel. */
    private void checkF32(CudaBackend gpu, String name, int b, int h, int nq, int nk, int d, boolean withBias) {
        AttentionShape s = new AttentionShape(b, h, nq, nk, d, (float) (1 / Math.sqrt(d)));
        AttentionLayout lq = AttentionLayout.contiguous(h, nq, d);
        AttentionLayout lk = AttentionLayout.contiguous(h, nk, d);
        ForwardVariant before = gpu.attention.forwardVariant();
        try (Tensor qc = Tensor.randn(CPU, r, 1f, b, h, nq, d); Tensor kc = Tensor.randn(CPU, r, 1f, b, h, nk, d);
             Tensor vc = Tensor.randn(CPU, r, 1f, b, h, nk, d);
             Tensor biasCpu = withBias ? Tensor.randn(CPU, r, 0.5f, 1, h, nq, nk) : null;
             Tensor q = qc.toDevice(gpu); Tensor k = kc.toDevice(gpu); Tensor v = vc.toDevice(gpu); Tensor bias = upload(gpu, biasCpu);
             Tensor oRef = Tensor.empty(CPU, Shape.of(b, h, nq, d), DType.F32); Tensor lseRef = Tensor.empty(CPU, Shape.of(b, h, nq), DType.F32);
             Tensor o = Tensor.empty(gpu, Shape.of(b, h, nq, d), DType.F32); Tensor lse = Tensor.empty(gpu, Shape.of(b, h, nq), DType.F32);
             Tensor oClassic = Tensor.empty(gpu, Shape.of(b, h, nq, d), DType.F32);
             Tensor lseClassic = Tensor.empty(gpu, Shape.of(b, h, nq), DType.F32)) {
            CPU.attention(s, qc, lq, kc, lk, vc, lk, biasCpu, null, oRef, lq, lseRef);
            gpu.attention.forwardVariant(ForwardVariant.TILED_F32);
            gpu.attention(s, q, lq, k, lk, v, lk, bias, null, o, lq, lse);
            assertEquals(d <= 32 ? "attn_fwd_tiled32_f32" : "attn_fwd_tiled64_f32", gpu.attention.lastForwardKernel(), name + ": kernel");
            gpu.attention.forwardVariant(ForwardVariant.CLASSIC);
            gpu.attention(s, q, lq, k, lk, v, lk, bias, null, oClassic, lq, lseClassic);
            assertClose(name + " tiled o vs cpu", oRef, o, 1e-4);
            assertClose(name + " tiled lse vs cpu", lseRef, lse, 1e-4);
            assertClose(name + " tiled o vs classic", oClassic, o, 1e-5);
        } finally {
            gpu.attention.forwardVariant(before);
        }
    }

    @Test
    void tiledF32MatchesCpuAndClassic() {
        CudaBackend gpu = CudaTestSupport.cudaOrSkip();
        checkF32(gpu, "vit-b-like", 2, 3, 197, 197, 64, false);
        checkF32(gpu, "swin window bias", 3, 2, 144, 144, 32, true);
        checkF32(gpu, "d=1", 1, 1, 5, 7, 1, false);
        checkF32(gpu, "d=50 cross", 1, 2, 33, 100, 50, true);
    }

    @Test
    void selfAttentionAtBackboneShapes() {
        CudaBackend gpu = CudaTestSupport.cudaOrSkip();
        check(gpu, "vit-b-like", 2, 3, 197, 197, 64, false, false);
        check(gpu, "swin window", 3, 2, 144, 144, 32, true, false);
    }

    @Test
    void biasMaskCrossAttentionAndPaddedHeadDims() {
        CudaBackend gpu = CudaTestSupport.cudaOrSkip();
        check(gpu, "swin shifted mask", 2, 2, 49, 49, 32, true, true);
        check(gpu, "cross 70 x 301", 1, 2, 70, 301, 64, false, false);
        check(gpu, "d=40", 1, 2, 33, 65, 40, false, true);
        check(gpu, "d=24", 2, 1, 17, 40, 24, true, false);
    }

    @Test
    void headDimsOutsideTheTensorCoreKernelKeepTheClassicOne() {
        CudaBackend gpu = CudaTestSupport.cudaOrSkip();
        ForwardVariant before = gpu.attention.forwardVariant();
        int b = 1, h = 2, n = 40, d = 80;
        AttentionShape s = new AttentionShape(b, h, n, n, d, (float) (1 / Math.sqrt(d)));
        AttentionLayout l = AttentionLayout.contiguous(h, n, d);
        try (Operand q = bf16Operand(gpu, b, h, n, d); Operand k = bf16Operand(gpu, b, h, n, d); Operand v = bf16Operand(gpu, b, h, n, d);
             Tensor oRef = Tensor.empty(CPU, Shape.of(b, h, n, d), DType.F32); Tensor lseRef = Tensor.empty(CPU, Shape.of(b, h, n), DType.F32);
             Tensor o = Tensor.empty(gpu, Shape.of(b, h, n, d), DType.BF16); Tensor lse = Tensor.empty(gpu, Shape.of(b, h, n), DType.F32)) {
            gpu.attention.forwardVariant(ForwardVariant.TC);
            CPU.attention(s, q.cpuF32(), l, k.cpuF32(), l, v.cpuF32(), l, null, null, oRef, l, lseRef);
            gpu.attention(s, q.gpuBf16(), l, k.gpuBf16(), l, v.gpuBf16(), l, null, null, o, l, lse);
            assertEquals("attn_fwd_bf16", gpu.attention.lastForwardKernel());
            assertClose("d=80 o", oRef, o, BF16_TOL);
        } finally {
            gpu.attention.forwardVariant(before);
        }
    }
}
