package org.mettle.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mettle.backend.cuda.CudaTestSupport.F32_TOL;
import static org.mettle.backend.cuda.CudaTestSupport.assertClose;
import static org.mettle.backend.cuda.CudaTestSupport.randn;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.backend.cuda.CudaTestSupport.Pair;

/**
 * The fp32 GEMM variants (-Dmettle.cuda.gemmF32=v1|v2): the property's parsing and kernel names (run anywhere), and
 * both variants against the CPU backend on the device (skipped, with the reason, where CUDA is unusable): every
 * transpose, tile-straddling and 16-byte-unaligned sizes, a batch with a broadcast operand, beta != 0, K = 0, and
 * Linear-like shapes (B = a weight [n, k], transB) of the backbones.
 */
class CudaGemmF32VariantTest {
    private static final Backend CPU = Backends.cpu();

    @Test
    void propertyValuesAndKernelNames() {
        assertEquals(GemmF32Variant.V1, GemmF32Variant.parse(null));
        assertEquals(GemmF32Variant.V1, GemmF32Variant.parse(" "));
        assertEquals(GemmF32Variant.V1, GemmF32Variant.parse("v1"));
        assertEquals(GemmF32Variant.V2, GemmF32Variant.parse(" V2 "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GemmF32Variant.parse("v3"));
        assertTrue(e.getMessage().contains("mettle.cuda.gemmF32=v3") && e.getMessage().contains("v1") && e.getMessage().contains("v2"),
                e.getMessage());
        assertEquals("gemm_f32", GemmF32Variant.V1.kernel(true, false));
        assertEquals("gemm_f32_v2_nn", GemmF32Variant.V2.kernel(false, false));
        assertEquals("gemm_f32_v2_nt", GemmF32Variant.V2.kernel(false, true));
        assertEquals("gemm_f32_v2_tn", GemmF32Variant.V2.kernel(true, false));
        assertEquals("gemm_f32_v2_tt", GemmF32Variant.V2.kernel(true, true));
        assertEquals("gemm", CudaKernels.moduleOf("gemm_f32_v2_nt"));
        assertEquals("v2", GemmF32Variant.V2.label());
    }

    @Test
    void bothVariantsMatchCpuOnEveryTransposeAndOddShape() {
        CudaBackend gpu = CudaTestSupport.cudaOrSkip();
        Random r = new Random(7);
        // {m, n, k}: 1x1x1, straddling tiles with odd leading dimensions, aligned rows that end inside a float4,
        // exactly one tile, many k-tiles, K = 0 (beta C only)
        int[][] mnk = {{1, 1, 1}, {37, 129, 65}, {130, 7, 300}, {45, 132, 68}, {128, 128, 128}, {257, 61, 9}, {20, 24, 200}, {5, 300, 0}};
        GemmF32Variant before = gpu.gemmF32Variant();
        try {
            for (GemmF32Variant v : GemmF32Variant.values()) {
                gpu.gemmF32Variant(v);
                for (int[] s : mnk) {
                    for (int ta = 0; ta < 2; ta++) {
                        for (int tb = 0; tb < 2; tb++) {
                            int m = s[0], n = s[1], k = s[2], batch = 3;
                            boolean transA = ta == 1, transB = tb == 1;
                            assertEquals(v.kernel(transA, transB), gpu.f32GemmKernel(transA, transB));
                            try (Pair a = randn(gpu, r, batch, m * Math.max(k, 1)); Pair b = randn(gpu, r, Math.max(k, 1) * n);
                                 Pair c = randn(gpu, r, batch, m * n)) {
                                // A batched, B broadcast (stride 0), beta != 0
                                CPU.gemm(transA, transB, batch, m, n, k, 0.75f, a.cpu(), m * k, b.cpu(), 0, 0.5f, c.cpu(), m * n);
                                gpu.gemm(transA, transB, batch, m, n, k, 0.75f, a.gpu(), m * k, b.gpu(), 0, 0.5f, c.gpu(), m * n);
                                assertClose(v.label() + " gemm " + Arrays.toString(s) + " tA=" + ta + " tB=" + tb, c,
                                        F32_TOL * Math.max(1, Math.sqrt(k)));
                            }
                        }
                    }
                }
            }
        } finally {
            gpu.gemmF32Variant(before);
        }
    }

    @Test
    void v2MatchesV1OnBackboneLinearShapes() {
        CudaBackend gpu = CudaTestSupport.cudaOrSkip();
        Random r = new Random(8);
        // x [m, k] W[n, k]^T: HTS-AT stage-0 qkv (k 96, n 288), Swin-V2-L stage-2 fc1 and fc2 at 2 frames
        int[][] mnk = {{4096, 288, 96}, {288, 3072, 768}, {288, 768, 3072}};
        GemmF32Variant before = gpu.gemmF32Variant();
        try {
            for (int[] s : mnk) {
                int m = s[0], n = s[1], k = s[2];
                try (Pair x = randn(gpu, r, m, k); Pair w = randn(gpu, r, n, k); Pair c1 = randn(gpu, r, m, n); Pair c2 = randn(gpu, r, m, n)) {
                    gpu.gemmF32Variant(GemmF32Variant.V1);
                    gpu.gemm(false, true, 1, m, n, k, 1f, x.gpu(), 0, w.gpu(), 0, 0f, c1.gpu(), 0);
                    gpu.gemmF32Variant(GemmF32Variant.V2);
                    gpu.gemm(false, true, 1, m, n, k, 1f, x.gpu(), 0, w.gpu(), 0, 0f, c2.gpu(), 0);
                    // both against the CPU (the reference), not only against each other
                    CPU.gemm(false, true, 1, m, n, k, 1f, x.cpu(), 0, w.cpu(), 0, 0f, c1.cpu(), 0);
                    assertClose("v1 x W^T " + Arrays.toString(s), c1.cpu(), c1.gpu(), F32_TOL * Math.sqrt(k));
                    assertClose("v2 x W^T " + Arrays.toString(s), c1.cpu(), c2.gpu(), F32_TOL * Math.sqrt(k));
                }
            }
        } finally {
            gpu.gemmF32Variant(before);
        }
    }
}
