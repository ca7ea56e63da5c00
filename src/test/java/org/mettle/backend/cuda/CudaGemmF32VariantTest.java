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
 * The fp32 GEMM variants (-Dmettle.cuda.gemmF32=v1|v2|v2-128|v2-64): the property's parsing, kernel names and v2's
 * tile choice (run anywhere), and every variant against the CPU backend on the device (skipped, with the reason,
 * where CUDA is unusable): every transpose, tile-straddling and 16-byte-unaligned sizes, a batch with a broadcast
 * operand, beta != 0, K = 0, and Linear-like shapes (B = a weight [n, k], transB) of the backbones.
 */
class CudaGemmF32VariantTest {
    private static final Backend CPU = Backends.cpu();

    @Test
    void propertyValuesAndKernelNames() {
        assertEquals(GemmF32Variant.V1, GemmF32Variant.parse(null));
        assertEquals(GemmF32Variant.V1, GemmF32Variant.parse(" "));
        assertEquals(GemmF32Variant.V1, GemmF32Variant.parse("v1"));
        assertEquals(GemmF32Variant.V2, GemmF32Variant.parse(" V2 "));
        assertEquals(GemmF32Variant.V2_128, GemmF32Variant.parse("v2-128"));
        assertEquals(GemmF32Variant.V2_64, GemmF32Variant.parse("V2-64"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GemmF32Variant.parse("v3"));
        assertTrue(e.getMessage().contains("mettle.cuda.gemmF32=v3") && e.getMessage().contains("v1") && e.getMessage().contains("v2-64"),
                e.getMessage());
        assertEquals("gemm_f32", GemmF32Variant.V1.kernel(true, false, 128));
        assertEquals("gemm_f32_v2_128_nn", GemmF32Variant.V2.kernel(false, false, 128));
        assertEquals("gemm_f32_v2_128_nt", GemmF32Variant.V2.kernel(false, true, 128));
        assertEquals("gemm_f32_v2_64_tn", GemmF32Variant.V2.kernel(true, false, 64));
        assertEquals("gemm_f32_v2_64_tt", GemmF32Variant.V2_64.kernel(true, true, 64));
        assertThrows(IllegalArgumentException.class, () -> GemmF32Variant.V2.kernel(true, true, 32));
        assertEquals("gemm", CudaKernels.moduleOf("gemm_f32_v2_64_nt"));
        assertEquals("v2", GemmF32Variant.V2.label());
        assertEquals("v2-128", GemmF32Variant.V2_128.label());
    }

    @Test
    void v2PicksTheSmallTileWhereLargeBlocksLeaveTheGpuIdle() {
        int sms = 132; // H200 / H100 SXM
        assertEquals(128, GemmF32Variant.V2.tile(4096, 4096, 1, sms), "square: 1024 blocks, 3.9 waves of 128");
        assertEquals(128, GemmF32Variant.V2.tile(40960, 288, 1, sms), "HTS-AT qkv: 960 blocks of 128 fill 4 waves");
        assertEquals(128, GemmF32Variant.V2.tile(23040, 576, 1, sms), "Swin-V2-L stage-0 qkv");
        assertEquals(64, GemmF32Variant.V2.tile(1440, 768, 1, sms), "Swin-V2-L stage-2 fc2/proj: 72 blocks of 128 for 132 SMs");
        assertEquals(64, GemmF32Variant.V2.tile(1440, 3072, 1, sms), "fc1: 288 blocks of 128 = 1.09 waves");
        assertEquals(128, GemmF32Variant.V2.tile(1440, 768, 8, sms), "the same at batch 8: 576 blocks");
        assertEquals(128, GemmF32Variant.V2_128.tile(1440, 768, 1, sms));
        assertEquals(64, GemmF32Variant.V2_64.tile(4096, 4096, 1, sms));
        assertEquals(128, GemmF32Variant.V1.tile(1, 1, 1, sms));
        assertEquals(128, GemmF32Variant.V2.tile(0, 5, 3, sms), "empty C: no launch, any tile");
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
                            String kernel = gpu.f32GemmKernel(transA, transB, m, n, batch);
                            assertEquals(v.kernel(transA, transB, v.tile(m, n, batch, gpu.runtime().multiprocessors())), kernel);
                            try (Pair a = randn(gpu, r, batch, m * Math.max(k, 1)); Pair b = randn(gpu, r, Math.max(k, 1) * n);
                                 Pair c = randn(gpu, r, batch, m * n)) {
                                // A batched, B broadcast (stride 0), beta != 0
                                CPU.gemm(transA, transB, batch, m, n, k, 0.75f, a.cpu(), m * k, b.cpu(), 0, 0.5f, c.cpu(), m * n);
                                gpu.gemm(transA, transB, batch, m, n, k, 0.75f, a.gpu(), m * k, b.gpu(), 0, 0.5f, c.gpu(), m * n);
                                assertClose(kernel + " " + Arrays.toString(s) + " tA=" + ta + " tB=" + tb, c,
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
    void everyVariantMatchesCpuOnBackboneLinearShapes() {
        CudaBackend gpu = CudaTestSupport.cudaOrSkip();
        Random r = new Random(8);
        // x [m, k] W[n, k]^T: HTS-AT stage-0 qkv (k 96, n 288), Swin-V2-L stage-2 fc1 and fc2 at 2 frames
        int[][] mnk = {{4096, 288, 96}, {288, 3072, 768}, {288, 768, 3072}};
        GemmF32Variant before = gpu.gemmF32Variant();
        try {
            for (int[] s : mnk) {
                int m = s[0], n = s[1], k = s[2];
                try (Pair x = randn(gpu, r, m, k); Pair w = randn(gpu, r, n, k); Pair c = randn(gpu, r, m, n)) {
                    CPU.gemm(false, true, 1, m, n, k, 1f, x.cpu(), 0, w.cpu(), 0, 0f, c.cpu(), 0);
                    for (GemmF32Variant v : GemmF32Variant.values()) {
                        gpu.gemmF32Variant(v);
                        gpu.fill(c.gpu(), Float.NaN); // an output the kernel does not write shows up
                        gpu.gemm(false, true, 1, m, n, k, 1f, x.gpu(), 0, w.gpu(), 0, 0f, c.gpu(), 0);
                        assertClose(gpu.f32GemmKernel(false, true, m, n, 1) + " x W^T " + Arrays.toString(s), c.cpu(), c.gpu(),
                                F32_TOL * Math.sqrt(k));
                    }
                }
            }
        } finally {
            gpu.gemmF32Variant(before);
        }
    }
}
