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
        assertEquals(1L << 20, CudaAllocator.roundedSize(1L << 20));
        assertEquals((2L << 20) + 512, CudaAllocator.roundedSize((2L << 20) + 1));
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

    /** The plan's launches, emulated on arrays the way ew_binary does them, equal a plain strided copy. */
    @Test
    void stridedPlanLaunchesCopyEveryElement() {
        java.util.Random r = new java.util.Random(5);
        int b = 2, h = 3, n = 5, d = 4;
        int[][][] cases = {
            {{b, n, 3, h, d}, {h * n * d, d, b * h * n * d, n * d, 1}, {n * 3 * h * d, 3 * h * d, h * d, d, 1}}, // fused qkv grad
            {{b, h, n, d}, {n * 3 * h * d, d, 3 * h * d, 1}, {h * n * d, n * d, d, 1}},
            {{2, 3, 2, 3, 2, 3}, {1, 2, 6, 12, 36, 72}, {108, 36, 18, 6, 3, 1}}, // a 6-d transpose
        };
        for (int[][] c : cases) {
            int total = 1;
            for (int x : c[0]) {
                total *= x;
            }
            float[] src = new float[3 * total + 7];
            for (int i = 0; i < src.length; i++) {
                src[i] = r.nextFloat();
            }
            float[] expected = new float[total + 3];
            float[] actual = new float[total + 3];
            int[] idx = new int[c[0].length];
            for (int e = 0; e < total; e++) {
                int s = 2, t = 3;
                for (int k = 0; k < idx.length; k++) {
                    s += idx[k] * c[1][k];
                    t += idx[k] * c[2][k];
                }
                expected[t] = src[s];
                for (int k = idx.length - 1; k >= 0 && ++idx[k] == c[0][k]; k--) {
                    idx[k] = 0;
                }
            }
            StridedPlan p = StridedPlan.of(c[0], c[1], c[2]);
            int[] dims = p.dims();
            int[] st = p.srcStrides();
            p.forEachLaunch((srcAt, dstAt) -> {
                long i = 0;
                for (int i0 = 0; i0 < dims[0]; i0++) {
                    for (int i1 = 0; i1 < dims[1]; i1++) {
                        for (int i2 = 0; i2 < dims[2]; i2++) {
                            for (int i3 = 0; i3 < dims[3]; i3++, i++) {
                                actual[(int) (3 + dstAt + i)] = src[(int) (2 + srcAt + (long) i0 * st[0] + (long) i1 * st[1] + (long) i2 * st[2] + (long) i3 * st[3])];
                            }
                        }
                    }
                }
            });
            assertArrayEquals(expected, actual, java.util.Arrays.deepToString(c));
        }
    }
}
