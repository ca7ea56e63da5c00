package org.mettle.backend.cpu;

/**
 * Plain-Java GEMM for JVMs without the Vector API: the shared blocked, packed, multi-threaded loop nest with a
 * 4 x 4 register tile (sixteen scalar accumulators fit the register file of any x86-64 or AArch64 core).
 */
public final class ScalarGemm extends BlockedGemm {
    private static final int MR = 4;
    private static final int NR = 4;

    public ScalarGemm() {
        this(256, 128, 2048);
    }

    /** Explicit cache blocking (tests use tiny blocks to exercise every loop edge). */
    ScalarGemm(int kc, int mc, int nc) {
        super(MR, NR, kc, mc, nc);
    }

    @Override
    public String path() {
        return "scalar";
    }

    @Override
    protected void microKernel(int kc, float[] a, int aIdx, int aRowStride, int aDepthStride,
                               float[] b, int bIdx, int bDepthStride, float alpha,
                               float[] c, int cIdx, int ldc, boolean accumulate) {
        if (aRowStride == 1 && aDepthStride == MR && bDepthStride == NR) {
            packedKernel(kc, a, aIdx, b, bIdx, alpha, c, cIdx, ldc, accumulate);
        } else {
            stridedKernel(kc, a, aIdx, aRowStride, aDepthStride, b, bIdx, bDepthStride, alpha, c, cIdx, ldc,
                    accumulate);
        }
    }

    /** Packed panels: constant strides let C2 drop the bounds checks from the loop (about 5x faster). */
    private static void packedKernel(int kc, float[] a, int aIdx, float[] b, int bIdx, float alpha,
                                     float[] c, int cIdx, int ldc, boolean accumulate) {
        float c00 = 0, c01 = 0, c02 = 0, c03 = 0;
        float c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0;
        float c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (int p = 0; p < kc; p++) {
            int ai = aIdx + p * MR;
            int bi = bIdx + p * NR;
            float b0 = b[bi], b1 = b[bi + 1], b2 = b[bi + 2], b3 = b[bi + 3];
            float a0 = a[ai];
            c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
            float a1 = a[ai + 1];
            c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
            float a2 = a[ai + 2];
            c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
            float a3 = a[ai + 3];
            c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
        }
        storeRow(alpha * c00, alpha * c01, alpha * c02, alpha * c03, accumulate, c, cIdx);
        storeRow(alpha * c10, alpha * c11, alpha * c12, alpha * c13, accumulate, c, cIdx + ldc);
        storeRow(alpha * c20, alpha * c21, alpha * c22, alpha * c23, accumulate, c, cIdx + 2 * ldc);
        storeRow(alpha * c30, alpha * c31, alpha * c32, alpha * c33, accumulate, c, cIdx + 3 * ldc);
    }

    private static void stridedKernel(int kc, float[] a, int aIdx, int aRowStride, int aDepthStride,
                                      float[] b, int bIdx, int bDepthStride, float alpha,
                                      float[] c, int cIdx, int ldc, boolean accumulate) {
        float c00 = 0, c01 = 0, c02 = 0, c03 = 0;
        float c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0;
        float c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        int r0 = aIdx, r1 = r0 + aRowStride, r2 = r1 + aRowStride, r3 = r2 + aRowStride;
        for (int p = 0; p < kc; p++) {
            int ap = p * aDepthStride;
            int bi = bIdx + p * bDepthStride;
            float b0 = b[bi], b1 = b[bi + 1], b2 = b[bi + 2], b3 = b[bi + 3];
            float a0 = a[r0 + ap];
            c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
            float a1 = a[r1 + ap];
            c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
            float a2 = a[r2 + ap];
            c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
            float a3 = a[r3 + ap];
            c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
        }
        storeRow(alpha * c00, alpha * c01, alpha * c02, alpha * c03, accumulate, c, cIdx);
        storeRow(alpha * c10, alpha * c11, alpha * c12, alpha * c13, accumulate, c, cIdx + ldc);
        storeRow(alpha * c20, alpha * c21, alpha * c22, alpha * c23, accumulate, c, cIdx + 2 * ldc);
        storeRow(alpha * c30, alpha * c31, alpha * c32, alpha * c33, accumulate, c, cIdx + 3 * ldc);
    }

    private static void storeRow(float v0, float v1, float v2, float v3, boolean accumulate, float[] c, int o) {
        if (accumulate) {
            c[o] += v0;
            c[o + 1] += v1;
            c[o + 2] += v2;
            c[o + 3] += v3;
        } else {
            c[o] = v0;
            c[o + 1] = v1;
            c[o + 2] = v2;
            c[o + 3] = v3;
        }
    }
}
