package org.mettle.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * GEMM with a Vector API micro-kernel ({@code FloatVector.SPECIES_PREFERRED}) on the shared blocked loop nest.
 * The register tile is MR rows x two vectors: 8 x 32 with 512-bit vectors (16 accumulators of the 32 vector
 * registers), 6 x 2V with narrower ones (12 accumulators fit AVX2's 16). Each step of k loads one row of the
 * B panel (two vectors), broadcasts MR values of A and issues 2*MR independent fused multiply-adds. A and B are
 * addressed through strides, so the same kernel reads packed panels or, for small products, the caller's arrays.
 * The kernels are generated straight-line code: every Vector API value must stay inside one compiled method
 * (a value passed to a call that C2 does not inline is boxed on the heap).
 *
 * <p>JDK 17's C2 resolves many Vector API calls through type profiles shared by the whole JVM. If other code
 * uses a different FloatVector shape (say SPECIES_256), those profiles see two classes and the kernel can drop
 * to boxed, non-intrinsic code (measured: 1024^3 fell from ~90 to ~6 GFLOPS). The epilogue therefore calls
 * methods only on vectors made in the same expression, which keeps it intact; the loads in the loop still
 * depend on the profiles (~55 GFLOPS in that situation). Keep all float vector code in the engine on
 * SPECIES_PREFERRED. Loaded only through {@link VectorSupport#load}.
 */
public final class VectorGemm extends BlockedGemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    private static final int NR = 2 * V;
    private static final int MR = V >= 16 ? 8 : 6;

    public VectorGemm() {
        // KC x NR of B (32 KiB at 256 x 32) is reused from L1/L2 by every A micro-panel of the block;
        // MC x KC of A (192 KiB) stays in the 1 MiB L2; KC x NC of B (up to 4 MiB) lives in L3.
        this(Integer.getInteger("mettle.gemm.kc", 256), Integer.getInteger("mettle.gemm.mc", 192),
                Integer.getInteger("mettle.gemm.nc", 4096));
    }

    /** Explicit cache blocking (tests use tiny blocks to exercise every loop edge). */
    VectorGemm(int kc, int mc, int nc) {
        super(MR, NR, kc, mc, nc);
        // Take both epilogue branches once, so that C2 does not compile the unseen one as an uncommon trap:
        // the first product of a run would otherwise deoptimise the kernel into the interpreter, where the
        // Vector API is about a hundred times slower, until it is compiled again.
        float[] a = new float[MR];
        float[] b = new float[NR];
        float[] c = new float[MR * NR];
        for (boolean accumulate : new boolean[] {false, true}) {
            microKernel(1, a, 0, 1, MR, b, 0, NR, 1f, c, 0, NR, accumulate);
            narrowKernel(1, a, 0, 1, MR, b, 0, NR, 1f, c, 0, NR, accumulate);
        }
    }

    @Override
    public String path() {
        return "vector";
    }

    @Override
    protected void microKernel(int kc, float[] a, int aIdx, int aRowStride, int aDepthStride,
                               float[] b, int bIdx, int bDepthStride, float alpha,
                               float[] c, int cIdx, int ldc, boolean accumulate) {
        if (MR == 8) {
            kernel8(kc, a, aIdx, aRowStride, aDepthStride, b, bIdx, bDepthStride, alpha, c, cIdx, ldc, accumulate);
        } else {
            kernel6(kc, a, aIdx, aRowStride, aDepthStride, b, bIdx, bDepthStride, alpha, c, cIdx, ldc, accumulate);
        }
    }

    @Override
    protected int narrowWidth() {
        return V;
    }

    @Override
    protected void narrowKernel(int kc, float[] a, int aIdx, int aRowStride, int aDepthStride,
                                float[] b, int bIdx, int bDepthStride, float alpha,
                                float[] c, int cIdx, int ldc, boolean accumulate) {
        if (MR == 8) {
            narrow8(kc, a, aIdx, aRowStride, aDepthStride, b, bIdx, bDepthStride, alpha, c, cIdx, ldc, accumulate);
        } else {
            narrow6(kc, a, aIdx, aRowStride, aDepthStride, b, bIdx, bDepthStride, alpha, c, cIdx, ldc, accumulate);
        }
    }

    /**
     * Full micro-panels of op(A). Without transA, the eight rows of a panel are read side by side (eight open
     * streams stay within L1 associativity even when lda is a multiple of 4 KiB); this beat Vector API gathers.
     * With transA, each depth is a contiguous run of A as stored: read row by row, MR floats per micro-panel.
     */
    @Override
    protected void packA(boolean transA, float[] a, int aOff, int lda, float alpha, int ic, int rows, int pc,
                         int kc, float[] pa, int paOff, GemmWorkspace ws) {
        if (MR != 8) {
            super.packA(transA, a, aOff, lda, alpha, ic, rows, pc, kc, pa, paOff, ws);
            return;
        }
        int fullRows = rows - rows % MR;
        if (fullRows < rows) {
            packAPanel(transA, a, aOff, lda, alpha, ic + fullRows, rows - fullRows, pc, kc, pa, paOff + fullRows * kc);
        }
        if (!transA) {
            for (int ir = 0; ir < fullRows; ir += MR) {
                int base = paOff + ir * kc;
                int s0 = aOff + (ic + ir) * lda + pc;
                int s1 = s0 + lda, s2 = s1 + lda, s3 = s2 + lda, s4 = s3 + lda, s5 = s4 + lda, s6 = s5 + lda;
                int s7 = s6 + lda;
                for (int p = 0; p < kc; p++) {
                    int d = base + p * MR;
                    pa[d] = alpha * a[s0 + p];
                    pa[d + 1] = alpha * a[s1 + p];
                    pa[d + 2] = alpha * a[s2 + p];
                    pa[d + 3] = alpha * a[s3 + p];
                    pa[d + 4] = alpha * a[s4 + p];
                    pa[d + 5] = alpha * a[s5 + p];
                    pa[d + 6] = alpha * a[s6 + p];
                    pa[d + 7] = alpha * a[s7 + p];
                }
            }
        } else {
            for (int p = 0; p < kc; p++) {
                int src = aOff + (pc + p) * lda + ic;
                for (int ir = 0; ir < fullRows; ir += MR) {
                    int d = paOff + ir * kc + p * MR;
                    for (int r = 0; r < MR; r++) {
                        pa[d + r] = alpha * a[src + ir + r];
                    }
                }
            }
        }
    }

    /**
     * Full micro-panels of B: without transB, each depth is copied across all panels so that reads stream
     * along rows of B (System.arraycopy rather than vectors: it is as fast and immune to the type-profile
     * pollution described in the class comment); with transB, eight rows of B as stored are read side by side.
     */
    @Override
    protected void packB(boolean transB, float[] b, int bOff, int ldb, int n, int jc, int pc, int kc,
                         int p0, int p1, float[] pb, int pbOff, GemmWorkspace ws) {
        int fullEnd = Math.min(p1, Math.max(p0, (n - jc) / NR));
        if (!transB) {
            for (int p = 0; p < kc; p++) {
                int src = bOff + (pc + p) * ldb + jc;
                for (int panel = p0; panel < fullEnd; panel++) {
                    int from = src + panel * NR;
                    int to = pbOff + panel * NR * kc + p * NR;
                    System.arraycopy(b, from, pb, to, NR);
                }
            }
        } else {
            // Eight rows of B as stored at a time: more open streams would thrash L1 when ldb is 4 KiB-aligned.
            for (int panel = p0; panel < fullEnd; panel++) {
                int base = pbOff + panel * NR * kc;
                for (int jg = 0; jg < NR; jg += 8) {
                    int s0 = bOff + (jc + panel * NR + jg) * ldb + pc;
                    int s1 = s0 + ldb, s2 = s1 + ldb, s3 = s2 + ldb, s4 = s3 + ldb, s5 = s4 + ldb, s6 = s5 + ldb;
                    int s7 = s6 + ldb;
                    for (int p = 0; p < kc; p++) {
                        int d = base + p * NR + jg;
                        pb[d] = b[s0 + p];
                        pb[d + 1] = b[s1 + p];
                        pb[d + 2] = b[s2 + p];
                        pb[d + 3] = b[s3 + p];
                        pb[d + 4] = b[s4 + p];
                        pb[d + 5] = b[s5 + p];
                        pb[d + 6] = b[s6 + p];
                        pb[d + 7] = b[s7 + p];
                    }
                }
            }
        }
        for (int panel = fullEnd; panel < p1; panel++) {
            int j0 = jc + panel * NR;
            packBPanel(transB, b, bOff, ldb, j0, Math.min(NR, n - j0), pc, kc, pb, pbOff + panel * NR * kc);
        }
    }

    private static void kernel8(int kc, float[] a, int aIdx, int ars, int ads, float[] b, int bIdx, int bds,
                                float alpha, float[] c, int cIdx, int ldc, boolean accumulate) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S), c61 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S), c71 = FloatVector.zero(S);
        int a0 = aIdx, a1 = aIdx + ars, a2 = a1 + ars, a3 = a2 + ars, a4 = a3 + ars, a5 = a4 + ars, a6 = a5 + ars, a7 = a6 + ars;
        for (int p = 0; p < kc; p++) {
            int ap = p * ads;
            int bp = bIdx + p * bds;
            FloatVector b0 = FloatVector.fromArray(S, b, bp);
            FloatVector b1 = FloatVector.fromArray(S, b, bp + V);
            FloatVector x0 = FloatVector.broadcast(S, a[a0 + ap]);
            c00 = x0.fma(b0, c00);
            c01 = x0.fma(b1, c01);
            FloatVector x1 = FloatVector.broadcast(S, a[a1 + ap]);
            c10 = x1.fma(b0, c10);
            c11 = x1.fma(b1, c11);
            FloatVector x2 = FloatVector.broadcast(S, a[a2 + ap]);
            c20 = x2.fma(b0, c20);
            c21 = x2.fma(b1, c21);
            FloatVector x3 = FloatVector.broadcast(S, a[a3 + ap]);
            c30 = x3.fma(b0, c30);
            c31 = x3.fma(b1, c31);
            FloatVector x4 = FloatVector.broadcast(S, a[a4 + ap]);
            c40 = x4.fma(b0, c40);
            c41 = x4.fma(b1, c41);
            FloatVector x5 = FloatVector.broadcast(S, a[a5 + ap]);
            c50 = x5.fma(b0, c50);
            c51 = x5.fma(b1, c51);
            FloatVector x6 = FloatVector.broadcast(S, a[a6 + ap]);
            c60 = x6.fma(b0, c60);
            c61 = x6.fma(b1, c61);
            FloatVector x7 = FloatVector.broadcast(S, a[a7 + ap]);
            c70 = x7.fma(b0, c70);
            c71 = x7.fma(b1, c71);
        }
        FloatVector av = FloatVector.broadcast(S, alpha);
        if (accumulate) {
            av.fma(c00, FloatVector.fromArray(S, c, cIdx)).intoArray(c, cIdx);
            av.fma(c01, FloatVector.fromArray(S, c, cIdx + V)).intoArray(c, cIdx + V);
            av.fma(c10, FloatVector.fromArray(S, c, cIdx + ldc)).intoArray(c, cIdx + ldc);
            av.fma(c11, FloatVector.fromArray(S, c, cIdx + ldc + V)).intoArray(c, cIdx + ldc + V);
            av.fma(c20, FloatVector.fromArray(S, c, cIdx + 2 * ldc)).intoArray(c, cIdx + 2 * ldc);
            av.fma(c21, FloatVector.fromArray(S, c, cIdx + 2 * ldc + V)).intoArray(c, cIdx + 2 * ldc + V);
            av.fma(c30, FloatVector.fromArray(S, c, cIdx + 3 * ldc)).intoArray(c, cIdx + 3 * ldc);
            av.fma(c31, FloatVector.fromArray(S, c, cIdx + 3 * ldc + V)).intoArray(c, cIdx + 3 * ldc + V);
            av.fma(c40, FloatVector.fromArray(S, c, cIdx + 4 * ldc)).intoArray(c, cIdx + 4 * ldc);
            av.fma(c41, FloatVector.fromArray(S, c, cIdx + 4 * ldc + V)).intoArray(c, cIdx + 4 * ldc + V);
            av.fma(c50, FloatVector.fromArray(S, c, cIdx + 5 * ldc)).intoArray(c, cIdx + 5 * ldc);
            av.fma(c51, FloatVector.fromArray(S, c, cIdx + 5 * ldc + V)).intoArray(c, cIdx + 5 * ldc + V);
            av.fma(c60, FloatVector.fromArray(S, c, cIdx + 6 * ldc)).intoArray(c, cIdx + 6 * ldc);
            av.fma(c61, FloatVector.fromArray(S, c, cIdx + 6 * ldc + V)).intoArray(c, cIdx + 6 * ldc + V);
            av.fma(c70, FloatVector.fromArray(S, c, cIdx + 7 * ldc)).intoArray(c, cIdx + 7 * ldc);
            av.fma(c71, FloatVector.fromArray(S, c, cIdx + 7 * ldc + V)).intoArray(c, cIdx + 7 * ldc + V);
        } else {
            av.mul(c00).intoArray(c, cIdx);
            av.mul(c01).intoArray(c, cIdx + V);
            av.mul(c10).intoArray(c, cIdx + ldc);
            av.mul(c11).intoArray(c, cIdx + ldc + V);
            av.mul(c20).intoArray(c, cIdx + 2 * ldc);
            av.mul(c21).intoArray(c, cIdx + 2 * ldc + V);
            av.mul(c30).intoArray(c, cIdx + 3 * ldc);
            av.mul(c31).intoArray(c, cIdx + 3 * ldc + V);
            av.mul(c40).intoArray(c, cIdx + 4 * ldc);
            av.mul(c41).intoArray(c, cIdx + 4 * ldc + V);
            av.mul(c50).intoArray(c, cIdx + 5 * ldc);
            av.mul(c51).intoArray(c, cIdx + 5 * ldc + V);
            av.mul(c60).intoArray(c, cIdx + 6 * ldc);
            av.mul(c61).intoArray(c, cIdx + 6 * ldc + V);
            av.mul(c70).intoArray(c, cIdx + 7 * ldc);
            av.mul(c71).intoArray(c, cIdx + 7 * ldc + V);
        }
    }

    private static void kernel6(int kc, float[] a, int aIdx, int ars, int ads, float[] b, int bIdx, int bds,
                                float alpha, float[] c, int cIdx, int ldc, boolean accumulate) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        int a0 = aIdx, a1 = aIdx + ars, a2 = a1 + ars, a3 = a2 + ars, a4 = a3 + ars, a5 = a4 + ars;
        for (int p = 0; p < kc; p++) {
            int ap = p * ads;
            int bp = bIdx + p * bds;
            FloatVector b0 = FloatVector.fromArray(S, b, bp);
            FloatVector b1 = FloatVector.fromArray(S, b, bp + V);
            FloatVector x0 = FloatVector.broadcast(S, a[a0 + ap]);
            c00 = x0.fma(b0, c00);
            c01 = x0.fma(b1, c01);
            FloatVector x1 = FloatVector.broadcast(S, a[a1 + ap]);
            c10 = x1.fma(b0, c10);
            c11 = x1.fma(b1, c11);
            FloatVector x2 = FloatVector.broadcast(S, a[a2 + ap]);
            c20 = x2.fma(b0, c20);
            c21 = x2.fma(b1, c21);
            FloatVector x3 = FloatVector.broadcast(S, a[a3 + ap]);
            c30 = x3.fma(b0, c30);
            c31 = x3.fma(b1, c31);
            FloatVector x4 = FloatVector.broadcast(S, a[a4 + ap]);
            c40 = x4.fma(b0, c40);
            c41 = x4.fma(b1, c41);
            FloatVector x5 = FloatVector.broadcast(S, a[a5 + ap]);
            c50 = x5.fma(b0, c50);
            c51 = x5.fma(b1, c51);
        }
        FloatVector av = FloatVector.broadcast(S, alpha);
        if (accumulate) {
            av.fma(c00, FloatVector.fromArray(S, c, cIdx)).intoArray(c, cIdx);
            av.fma(c01, FloatVector.fromArray(S, c, cIdx + V)).intoArray(c, cIdx + V);
            av.fma(c10, FloatVector.fromArray(S, c, cIdx + ldc)).intoArray(c, cIdx + ldc);
            av.fma(c11, FloatVector.fromArray(S, c, cIdx + ldc + V)).intoArray(c, cIdx + ldc + V);
            av.fma(c20, FloatVector.fromArray(S, c, cIdx + 2 * ldc)).intoArray(c, cIdx + 2 * ldc);
            av.fma(c21, FloatVector.fromArray(S, c, cIdx + 2 * ldc + V)).intoArray(c, cIdx + 2 * ldc + V);
            av.fma(c30, FloatVector.fromArray(S, c, cIdx + 3 * ldc)).intoArray(c, cIdx + 3 * ldc);
            av.fma(c31, FloatVector.fromArray(S, c, cIdx + 3 * ldc + V)).intoArray(c, cIdx + 3 * ldc + V);
            av.fma(c40, FloatVector.fromArray(S, c, cIdx + 4 * ldc)).intoArray(c, cIdx + 4 * ldc);
            av.fma(c41, FloatVector.fromArray(S, c, cIdx + 4 * ldc + V)).intoArray(c, cIdx + 4 * ldc + V);
            av.fma(c50, FloatVector.fromArray(S, c, cIdx + 5 * ldc)).intoArray(c, cIdx + 5 * ldc);
            av.fma(c51, FloatVector.fromArray(S, c, cIdx + 5 * ldc + V)).intoArray(c, cIdx + 5 * ldc + V);
        } else {
            av.mul(c00).intoArray(c, cIdx);
            av.mul(c01).intoArray(c, cIdx + V);
            av.mul(c10).intoArray(c, cIdx + ldc);
            av.mul(c11).intoArray(c, cIdx + ldc + V);
            av.mul(c20).intoArray(c, cIdx + 2 * ldc);
            av.mul(c21).intoArray(c, cIdx + 2 * ldc + V);
            av.mul(c30).intoArray(c, cIdx + 3 * ldc);
            av.mul(c31).intoArray(c, cIdx + 3 * ldc + V);
            av.mul(c40).intoArray(c, cIdx + 4 * ldc);
            av.mul(c41).intoArray(c, cIdx + 4 * ldc + V);
            av.mul(c50).intoArray(c, cIdx + 5 * ldc);
            av.mul(c51).intoArray(c, cIdx + 5 * ldc + V);
        }
    }

    private static void narrow8(int kc, float[] a, int aIdx, int ars, int ads, float[] b, int bIdx, int bds,
                                float alpha, float[] c, int cIdx, int ldc, boolean accumulate) {
        FloatVector c0 = FloatVector.zero(S);
        FloatVector c1 = FloatVector.zero(S);
        FloatVector c2 = FloatVector.zero(S);
        FloatVector c3 = FloatVector.zero(S);
        FloatVector c4 = FloatVector.zero(S);
        FloatVector c5 = FloatVector.zero(S);
        FloatVector c6 = FloatVector.zero(S);
        FloatVector c7 = FloatVector.zero(S);
        int a0 = aIdx, a1 = aIdx + ars, a2 = a1 + ars, a3 = a2 + ars, a4 = a3 + ars, a5 = a4 + ars, a6 = a5 + ars, a7 = a6 + ars;
        for (int p = 0; p < kc; p++) {
            int ap = p * ads;
            FloatVector b0 = FloatVector.fromArray(S, b, bIdx + p * bds);
            c0 = FloatVector.broadcast(S, a[a0 + ap]).fma(b0, c0);
            c1 = FloatVector.broadcast(S, a[a1 + ap]).fma(b0, c1);
            c2 = FloatVector.broadcast(S, a[a2 + ap]).fma(b0, c2);
            c3 = FloatVector.broadcast(S, a[a3 + ap]).fma(b0, c3);
            c4 = FloatVector.broadcast(S, a[a4 + ap]).fma(b0, c4);
            c5 = FloatVector.broadcast(S, a[a5 + ap]).fma(b0, c5);
            c6 = FloatVector.broadcast(S, a[a6 + ap]).fma(b0, c6);
            c7 = FloatVector.broadcast(S, a[a7 + ap]).fma(b0, c7);
        }
        FloatVector av = FloatVector.broadcast(S, alpha);
        if (accumulate) {
            av.fma(c0, FloatVector.fromArray(S, c, cIdx)).intoArray(c, cIdx);
            av.fma(c1, FloatVector.fromArray(S, c, cIdx + ldc)).intoArray(c, cIdx + ldc);
            av.fma(c2, FloatVector.fromArray(S, c, cIdx + 2 * ldc)).intoArray(c, cIdx + 2 * ldc);
            av.fma(c3, FloatVector.fromArray(S, c, cIdx + 3 * ldc)).intoArray(c, cIdx + 3 * ldc);
            av.fma(c4, FloatVector.fromArray(S, c, cIdx + 4 * ldc)).intoArray(c, cIdx + 4 * ldc);
            av.fma(c5, FloatVector.fromArray(S, c, cIdx + 5 * ldc)).intoArray(c, cIdx + 5 * ldc);
            av.fma(c6, FloatVector.fromArray(S, c, cIdx + 6 * ldc)).intoArray(c, cIdx + 6 * ldc);
            av.fma(c7, FloatVector.fromArray(S, c, cIdx + 7 * ldc)).intoArray(c, cIdx + 7 * ldc);
        } else {
            av.mul(c0).intoArray(c, cIdx);
            av.mul(c1).intoArray(c, cIdx + ldc);
            av.mul(c2).intoArray(c, cIdx + 2 * ldc);
            av.mul(c3).intoArray(c, cIdx + 3 * ldc);
            av.mul(c4).intoArray(c, cIdx + 4 * ldc);
            av.mul(c5).intoArray(c, cIdx + 5 * ldc);
            av.mul(c6).intoArray(c, cIdx + 6 * ldc);
            av.mul(c7).intoArray(c, cIdx + 7 * ldc);
        }
    }

    private static void narrow6(int kc, float[] a, int aIdx, int ars, int ads, float[] b, int bIdx, int bds,
                                float alpha, float[] c, int cIdx, int ldc, boolean accumulate) {
        FloatVector c0 = FloatVector.zero(S);
        FloatVector c1 = FloatVector.zero(S);
        FloatVector c2 = FloatVector.zero(S);
        FloatVector c3 = FloatVector.zero(S);
        FloatVector c4 = FloatVector.zero(S);
        FloatVector c5 = FloatVector.zero(S);
        int a0 = aIdx, a1 = aIdx + ars, a2 = a1 + ars, a3 = a2 + ars, a4 = a3 + ars, a5 = a4 + ars;
        for (int p = 0; p < kc; p++) {
            int ap = p * ads;
            FloatVector b0 = FloatVector.fromArray(S, b, bIdx + p * bds);
            c0 = FloatVector.broadcast(S, a[a0 + ap]).fma(b0, c0);
            c1 = FloatVector.broadcast(S, a[a1 + ap]).fma(b0, c1);
            c2 = FloatVector.broadcast(S, a[a2 + ap]).fma(b0, c2);
            c3 = FloatVector.broadcast(S, a[a3 + ap]).fma(b0, c3);
            c4 = FloatVector.broadcast(S, a[a4 + ap]).fma(b0, c4);
            c5 = FloatVector.broadcast(S, a[a5 + ap]).fma(b0, c5);
        }
        FloatVector av = FloatVector.broadcast(S, alpha);
        if (accumulate) {
            av.fma(c0, FloatVector.fromArray(S, c, cIdx)).intoArray(c, cIdx);
            av.fma(c1, FloatVector.fromArray(S, c, cIdx + ldc)).intoArray(c, cIdx + ldc);
            av.fma(c2, FloatVector.fromArray(S, c, cIdx + 2 * ldc)).intoArray(c, cIdx + 2 * ldc);
            av.fma(c3, FloatVector.fromArray(S, c, cIdx + 3 * ldc)).intoArray(c, cIdx + 3 * ldc);
            av.fma(c4, FloatVector.fromArray(S, c, cIdx + 4 * ldc)).intoArray(c, cIdx + 4 * ldc);
            av.fma(c5, FloatVector.fromArray(S, c, cIdx + 5 * ldc)).intoArray(c, cIdx + 5 * ldc);
        } else {
            av.mul(c0).intoArray(c, cIdx);
            av.mul(c1).intoArray(c, cIdx + ldc);
            av.mul(c2).intoArray(c, cIdx + 2 * ldc);
            av.mul(c3).intoArray(c, cIdx + 3 * ldc);
            av.mul(c4).intoArray(c, cIdx + 4 * ldc);
            av.mul(c5).intoArray(c, cIdx + 5 * ldc);
        }
    }
}
