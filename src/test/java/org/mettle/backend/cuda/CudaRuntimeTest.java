package org.mettle.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.tensor.Device;
import org.mettle.tensor.Tensor;

/** Detection and device selection; these run on every machine (no GPU needed). */
class CudaRuntimeTest {
    @Test
    void statusIsOneClearLine() {
        String status = Backends.cudaStatus();
        assertFalse(status.isBlank());
        assertFalse(status.contains("\n"), "status must be one line: " + status);
        assertTrue(status.startsWith("usable: ") || status.startsWith("not available: "), status);
        assertEquals(CudaRuntime.isUsable(), status.startsWith("usable: "));
        System.out.println("cuda: " + status);
    }

    @Test
    void selectionFollowsDetection() {
        if (CudaRuntime.isUsable()) {
            assertEquals(Device.CUDA, Backends.select("cuda").device());
            assertEquals(Device.CUDA, Backends.select("auto").device());
        } else {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backends.select("cuda"));
            assertTrue(e.getMessage().contains(Backends.cudaStatus()), e.getMessage());
            assertTrue(e.getMessage().contains("--device cpu"), e.getMessage());
            assertSame(Backends.cpu(), Backends.select("auto"));
        }
    }

    @Test
    void cpuPathStillWorks() {
        Backend cpu = Backends.select("cpu");
        try (Tensor a = Tensor.of(cpu, new float[] {1, 2, 3, 4}, 2, 2); Tensor b = Tensor.of(cpu, new float[] {5, 6, 7, 8}, 2, 2);
             Tensor c = a.matMul(b)) {
            assertArrayEquals(new float[] {19, 22, 43, 50}, c.toFloatArray());
        }
    }

    @Test
    void kernelModuleNamesCoverEveryFamily() {
        assertEquals("gemm", CudaKernels.moduleOf("gemm_bf16_f32c"));
        assertEquals("attention", CudaKernels.moduleOf("attn_bwd_dkdv_f32"));
        assertEquals("loss", CudaKernels.moduleOf("bce_logits_fwd_f32"));
        assertEquals("im2col", CudaKernels.moduleOf("col2im_bf16"));
        assertEquals("interpolate", CudaKernels.moduleOf("bilinear_bwd_f32"));
        assertEquals("elementwise", CudaKernels.moduleOf("ew_f32_to_bf16"));
        assertEquals("layernorm", CudaKernels.moduleOf("layernorm_bwd_dgb_reduce"));
        assertThrows(IllegalArgumentException.class, () -> CudaKernels.moduleOf("nope"));
    }

    @Test
    void allocatorRoundsSizes() {
        assertEquals(512, CudaAllocator.roundedSize(0));
        assertEquals(512, CudaAllocator.roundedSize(512));
        assertEquals(1024, CudaAllocator.roundedSize(513));
        assertEquals(2L << 20, CudaAllocator.roundedSize(1L << 20));
        assertEquals(4L << 20, CudaAllocator.roundedSize((2L << 20) + 1));
    }

    @Test
    void bf16RoundsToNearestEven() {
        for (float f : new float[] {0f, -0f, 1f, 1.00390625f, 3.1415927f, -2.71828f, 1e-30f, 65504f, Float.POSITIVE_INFINITY}) {
            float back = CudaBackend.fromBf16(CudaBackend.toBf16(f));
            assertTrue(back == f || Math.abs(back - f) <= Math.abs(f) / 256, f + " -> " + back);
        }
        assertEquals(1f, CudaBackend.fromBf16(CudaBackend.toBf16(1.00390625f))); // tie goes to even
        assertTrue(Float.isNaN(CudaBackend.fromBf16(CudaBackend.toBf16(Float.NaN))));
    }

    @Test
    void stridedPlanMakesDestinationDense() {
        // [B=2, H=3, N=5, D=4] read from a packed qkv [B, N, 3, H, D] into contiguous [B, H, N, D]
        int h = 3, n = 5, d = 4;
        StridedPlan p = StridedPlan.of(new int[] {2, h, n, d}, new int[] {n * 3 * h * d, d, 3 * h * d, 1},
                new int[] {h * n * d, n * d, d, 1});
        assertArrayEquals(new int[] {2, h, n, d}, p.dims());
        assertArrayEquals(new int[] {n * 3 * h * d, d, 3 * h * d, 1}, p.srcStrides());
        // a plain contiguous copy merges into one dim
        StridedPlan flat = StridedPlan.of(new int[] {4, 5, 6}, new int[] {30, 6, 1}, new int[] {30, 6, 1});
        assertArrayEquals(new int[] {1, 1, 1, 120}, flat.dims());
        // a transpose written densely in the destination's order
        StridedPlan t = StridedPlan.of(new int[] {7, 9}, new int[] {1, 7}, new int[] {9, 1});
        assertArrayEquals(new int[] {1, 1, 7, 9}, t.dims());
        assertArrayEquals(new int[] {0, 0, 1, 7}, t.srcStrides());
        // destination with gaps (packed qkv gradient) cannot be one dense launch
        assertNull(StridedPlan.of(new int[] {2, h, n, d}, new int[] {h * n * d, n * d, d, 1}, new int[] {n * 3 * h * d, d, 3 * h * d, 1}));
        assertEquals(0, StridedPlan.of(new int[] {3, 0}, new int[] {1, 1}, new int[] {1, 1}).numel());
    }
}
