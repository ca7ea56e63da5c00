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
    void v2PlansTileAndSplitWhereLargeBlocksLeaveTheGpuIdle() {
        int sms = 132; // H200 / H100 SXM
        GemmF32Variant v2 = GemmF32Variant.V2;
        assertEquals(new GemmF32Variant.Plan(128, 1), v2.plan(4096, 4096, 4096, 1, sms), "square: 1024 blocks, 3.9 waves of 128");
        assertEquals(new GemmF32Variant.Plan(128, 1), v2.plan(40960, 288, 96, 1, sms), "HTS-AT qkv: 960 blocks fill 4 waves");
        assertEquals(new GemmF32Variant.Plan(128, 1), v2.plan(23040, 576, 192, 1, sms), "Swin-V2-L stage-0 qkv");
        assertEquals(new GemmF32Variant.Plan(64, 1), v2.plan(1440, 3072, 768, 1, sms), "Swin-V2-L stage-2 fc1: 288 blocks of 128 = 1.09 waves");
        assertEquals(new GemmF32Variant.Plan(128, 3), v2.plan(1440, 768, 3072, 1, sms), "stage-2 fc2: 72 blocks of 128, K split in 3");
        assertEquals(new GemmF32Variant.Plan(128, 3), v2.plan(1440, 768, 768, 1, sms), "stage-2 proj");
        GemmF32Variant.Plan dw = v2.plan(768, 3072, 1440, 1, sms);
        assertTrue(dw.tile() == 128 && dw.splits() >= 3, "a weight gradient over 1440 tokens: 144 blocks of 128, split: " + dw);
        assertEquals(1, v2.plan(1440, 768, 3072, 8, sms).splits(), "no split for batched GEMMs");
        assertEquals(1, v2.plan(20, 256, 768, 1, sms).splits(), "tiny: the extra launch costs more than it gains");
        assertEquals(1, v2.plan(1440, 768, 3000, 1, sms).splits(), "K = 3000: no split into whole 16-wide k-tiles of >= 128");
        assertEquals(GemmF32Variant.Plan.DEFAULT, GemmF32Variant.V2_128.plan(1440, 768, 3072, 1, sms));
        assertEquals(new GemmF32Variant.Plan(64, 1), GemmF32Variant.V2_64.plan(4096, 4096, 4096, 1, sms));
        assertEquals(GemmF32Variant.Plan.DEFAULT, GemmF32Variant.V1.plan(1440, 768, 3072, 1, sms));
        assertEquals(GemmF32Variant.Plan.DEFAULT, v2.plan(0, 5, 7, 3, sms), "empty C: no launch");
        for (int k = 0; k <= 4096; k += 16) {
            GemmF32Variant.Plan p = v2.plan(1440, 768, k, 1, sms);
            assertTrue(p.splits() == 1 || (k % p.splits() == 0 && (k / p.splits()) % 16 == 0 && k / p.splits() >= 128), "k " + k + ": " + p);
        }
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
                            String kernel = gpu.f32GemmKernel(transA, transB, m, n, k, batch);
                            assertEquals(v.kernel(transA, transB, v.plan(m, n, k, batch, gpu.runtime().multiprocessors()).tile()), kernel);
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
        // x [m, k] W[n, k]^T: HTS-AT stage-0 qkv (k 96, n 288), Swin-V2-L stage-2 fc1 and fc2 at 2 frames and proj at
        // 10 frames (v2 splits K there)
        int[][] mnk = {{4096, 288, 96}, {288, 3072, 768}, {288, 768, 3072}, {1440, 768, 768}};
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
                        assertClose(gpu.f32GemmKernel(false, true, m, n, k, 1) + " split " + gpu.f32GemmPlan(m, n, k, 1).splits()
                                + " x W^T " + Arrays.toString(s), c.cpu(), c.gpu(),
                                F32_TOL * Math.sqrt(k));
                    }
                }
            }
        } finally {
            gpu.gemmF32Variant(before);
        }
    }

    @Test
    void v2SplitKMatchesCpuOnEveryTranspose() {
        CudaBackend gpu = CudaTestSupport.cudaOrSkip();
        Random r = new Random(9);
        int m = 300, n = 200, k = 2048;
        GemmF32Variant before = gpu.gemmF32Variant();
        try {
            gpu.gemmF32Variant(GemmF32Variant.V2);
            assertTrue(gpu.f32GemmPlan(m, n, k, 1).splits() > 1, "this shape must take the split-K path: " + gpu.f32GemmPlan(m, n, k, 1));
            for (int ta = 0; ta < 2; ta++) {
                for (int tb = 0; tb < 2; tb++) {
                    boolean transA = ta == 1, transB = tb == 1;
                    for (float beta : new float[] {0f, 0.5f}) {
                        try (Pair a = randn(gpu, r, m * k); Pair b = randn(gpu, r, k * n); Pair c = randn(gpu, r, m, n)) {
                            if (beta == 0f) {
                                gpu.fill(c.gpu(), Float.NaN); // beta 0: C's old value is never read
                            }
                            CPU.gemm(transA, transB, 1, m, n, k, 0.75f, a.cpu(), 0, b.cpu(), 0, beta, c.cpu(), 0);
                            gpu.gemm(transA, transB, 1, m, n, k, 0.75f, a.gpu(), 0, b.gpu(), 0, beta, c.gpu(), 0);
                            assertClose("split-K " + gpu.f32GemmPlan(m, n, k, 1) + " tA=" + ta + " tB=" + tb + " beta=" + beta, c,
                                    F32_TOL * Math.sqrt(k));
                        }
                    }
                }
            }
        } finally {
            gpu.gemmF32Variant(before);
        }
    }
}
