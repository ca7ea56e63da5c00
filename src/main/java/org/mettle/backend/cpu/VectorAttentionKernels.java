package org.mettle.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API attention tile primitives, vectorised over the head dimension (dot products, P.V) or over the keys
 * (softmax rows). Loaded only through {@link VectorSupport#load}; a head dimension shorter than one vector goes to the
 * scalar kernels, and the remainder of a longer one is finished with scalar code.
 */
final class VectorAttentionKernels implements AttentionKernels {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    /*
     * Dot products of one row with LANES keys end as one accumulator per key; a transpose-reduce tree turns them into
     * one vector whose lane k is key k's sum, instead of LANES horizontal reductions (which C2 does lane by lane for
     * floats). Each tree step, for s = 1, 2, 4, 8, is x.blend(y, BITs) + y.blend(x, BITs).rearrange(SWAPs): lane l
     * gets x[l] + x[l ^ s] where bit s of l is clear and y[l] + y[l ^ s] where it is set. The steps are written out
     * in place (not as a helper) so C2 inlines them and never boxes a vector. Only for LANES 8 or 16.
     */
    private static final boolean TREE = LANES == 8 || LANES == 16;
    private static final VectorShuffle<Float> SWAP1 = swap(1);
    private static final VectorShuffle<Float> SWAP2 = swap(2);
    private static final VectorShuffle<Float> SWAP4 = swap(4);
    private static final VectorShuffle<Float> SWAP8 = swap(8);
    private static final VectorMask<Float> BIT1 = bit(1);
    private static final VectorMask<Float> BIT2 = bit(2);
    private static final VectorMask<Float> BIT4 = bit(4);
    private static final VectorMask<Float> BIT8 = bit(8);

    private final ScalarAttentionKernels scalar = new ScalarAttentionKernels();

    VectorAttentionKernels() {}

    /** Floats per vector in this JVM (16 with AVX-512, 8 with AVX2 or -XX:MaxVectorSize=32). */
    static int lanes() {
        return LANES;
    }

    private static VectorShuffle<Float> swap(int s) {
        return VectorShuffle.fromOp(SPECIES, l -> s < LANES ? l ^ s : l);
    }

    private static VectorMask<Float> bit(int s) {
        boolean[] bits = new boolean[LANES];
        for (int l = 0; l < LANES; l++) {
            bits[l] = (l & s) != 0;
        }
        return VectorMask.fromArray(SPECIES, bits, 0);
    }

    @Override
    public void dotTile(float[] a, int aOff, int aStride, int rows, float[] b, int bOff, int bStride, int cols, int d,
                        float[] s, int ldS) {
        int dv = SPECIES.loopBound(d);
        if (dv == 0) {
            scalar.dotTile(a, aOff, aStride, rows, b, bOff, bStride, cols, d, s, ldS);
            return;
        }
        int i = 0;
        if (TREE && cols >= LANES) {
            int jv = cols - cols % LANES;
            for (; i < rows; i++) {
                int ai = aOff + i * aStride;
                for (int j = 0; j < jv; j += LANES) {
                    if (LANES == 16) {
                        dotRow16(a, ai, b, bOff + j * bStride, bStride, d, dv, s, i * ldS + j);
                    } else {
                        dotRow8(a, ai, b, bOff + j * bStride, bStride, d, dv, s, i * ldS + j);
                    }
                }
                for (int j = jv; j < cols; j++) {
                    s[i * ldS + j] = dot(a, ai, b, bOff + j * bStride, d);
                }
            }
            return;
        }
        for (; i + 2 <= rows; i += 2) {
            int a0 = aOff + i * aStride;
            int a1 = a0 + aStride;
            int j = 0;
            for (; j + 4 <= cols; j += 4) {
                dot2x4(a, a0, a1, b, bOff + j * bStride, bStride, d, dv, s, i * ldS + j, ldS);
            }
            for (; j < cols; j++) {
                int bj = bOff + j * bStride;
                s[i * ldS + j] = dot(a, a0, b, bj, d);
                s[(i + 1) * ldS + j] = dot(a, a1, b, bj, d);
            }
        }
        if (i < rows) {
            int a0 = aOff + i * aStride;
            int j = 0;
            for (; j + 4 <= cols; j += 4) {
                dot1x4(a, a0, b, bOff + j * bStride, bStride, d, dv, s, i * ldS + j);
            }
            for (; j < cols; j++) {
                s[i * ldS + j] = dot(a, a0, b, bOff + j * bStride, d);
            }
        }
    }

    /** One row against 16 consecutive key rows; the 16 dot products land in s[si .. si+16). */
    private static void dotRow16(float[] a, int ai, float[] b, int b0, int bStride, int d, int dv, float[] s, int si) {
        FloatVector c0 = FloatVector.zero(SPECIES), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        FloatVector c8 = c0, c9 = c0, c10 = c0, c11 = c0, c12 = c0, c13 = c0, c14 = c0, c15 = c0;
        for (int t = 0; t < dv; t += LANES) {
            FloatVector x = FloatVector.fromArray(SPECIES, a, ai + t);
            int bt = b0 + t;
            c0 = x.fma(FloatVector.fromArray(SPECIES, b, bt), c0);
            c1 = x.fma(FloatVector.fromArray(SPECIES, b, bt + bStride), c1);
            c2 = x.fma(FloatVector.fromArray(SPECIES, b, bt + 2 * bStride), c2);
            c3 = x.fma(FloatVector.fromArray(SPECIES, b, bt + 3 * bStride), c3);
            c4 = x.fma(FloatVector.fromArray(SPECIES, b, bt + 4 * bStride), c4);
            c5 = x.fma(FloatVector.fromArray(SPECIES, b, bt + 5 * bStride), c5);
            c6 = x.fma(FloatVector.fromArray(SPECIES, b, bt + 6 * bStride), c6);
            c7 = x.fma(FloatVector.fromArray(SPECIES, b, bt + 7 * bStride), c7);
            c8 = x.fma(FloatVector.fromArray(SPECIES, b, bt + 8 * bStride), c8);
            c9 = x.fma(FloatVector.fromArray(SPECIES, b, bt + 9 * bStride), c9);
            c10 = x.fma(FloatVector.fromArray(SPECIES, b, bt + 10 * bStride), c10);
            c11 = x.fma(FloatVector.fromArray(SPECIES, b, bt + 11 * bStride), c11);
            c12 = x.fma(FloatVector.fromArray(SPECIES, b, bt + 12 * bStride), c12);
            c13 = x.fma(FloatVector.fromArray(SPECIES, b, bt + 13 * bStride), c13);
            c14 = x.fma(FloatVector.fromArray(SPECIES, b, bt + 14 * bStride), c14);
            c15 = x.fma(FloatVector.fromArray(SPECIES, b, bt + 15 * bStride), c15);
        }
        FloatVector p0 = c0.blend(c1, BIT1).add(c1.blend(c0, BIT1).rearrange(SWAP1));
        FloatVector p1 = c2.blend(c3, BIT1).add(c3.blend(c2, BIT1).rearrange(SWAP1));
        FloatVector p2 = c4.blend(c5, BIT1).add(c5.blend(c4, BIT1).rearrange(SWAP1));
        FloatVector p3 = c6.blend(c7, BIT1).add(c7.blend(c6, BIT1).rearrange(SWAP1));
        FloatVector p4 = c8.blend(c9, BIT1).add(c9.blend(c8, BIT1).rearrange(SWAP1));
        FloatVector p5 = c10.blend(c11, BIT1).add(c11.blend(c10, BIT1).rearrange(SWAP1));
        FloatVector p6 = c12.blend(c13, BIT1).add(c13.blend(c12, BIT1).rearrange(SWAP1));
        FloatVector p7 = c14.blend(c15, BIT1).add(c15.blend(c14, BIT1).rearrange(SWAP1));
        FloatVector q0 = p0.blend(p1, BIT2).add(p1.blend(p0, BIT2).rearrange(SWAP2));
        FloatVector q1 = p2.blend(p3, BIT2).add(p3.blend(p2, BIT2).rearrange(SWAP2));
        FloatVector q2 = p4.blend(p5, BIT2).add(p5.blend(p4, BIT2).rearrange(SWAP2));
        FloatVector q3 = p6.blend(p7, BIT2).add(p7.blend(p6, BIT2).rearrange(SWAP2));
        FloatVector r0 = q0.blend(q1, BIT4).add(q1.blend(q0, BIT4).rearrange(SWAP4));
        FloatVector r1 = q2.blend(q3, BIT4).add(q3.blend(q2, BIT4).rearrange(SWAP4));
        r0.blend(r1, BIT8).add(r1.blend(r0, BIT8).rearrange(SWAP8)).intoArray(s, si);
        if (dv < d) {
            tailDots(a, ai, b, b0, bStride, 16, dv, d, s, si);
        }
    }

    /** One row against 8 consecutive key rows (8-lane vectors). */
    private static void dotRow8(float[] a, int ai, float[] b, int b0, int bStride, int d, int dv, float[] s, int si) {
        FloatVector c0 = FloatVector.zero(SPECIES), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        for (int t = 0; t < dv; t += LANES) {
            FloatVector x = FloatVector.fromArray(SPECIES, a, ai + t);
            int bt = b0 + t;
            c0 = x.fma(FloatVector.fromArray(SPECIES, b, bt), c0);
            c1 = x.fma(FloatVector.fromArray(SPECIES, b, bt + bStride), c1);
            c2 = x.fma(FloatVector.fromArray(SPECIES, b, bt + 2 * bStride), c2);
            c3 = x.fma(FloatVector.fromArray(SPECIES, b, bt + 3 * bStride), c3);
            c4 = x.fma(FloatVector.fromArray(SPECIES, b, bt + 4 * bStride), c4);
            c5 = x.fma(FloatVector.fromArray(SPECIES, b, bt + 5 * bStride), c5);
            c6 = x.fma(FloatVector.fromArray(SPECIES, b, bt + 6 * bStride), c6);
            c7 = x.fma(FloatVector.fromArray(SPECIES, b, bt + 7 * bStride), c7);
        }
        FloatVector p0 = c0.blend(c1, BIT1).add(c1.blend(c0, BIT1).rearrange(SWAP1));
        FloatVector p1 = c2.blend(c3, BIT1).add(c3.blend(c2, BIT1).rearrange(SWAP1));
        FloatVector p2 = c4.blend(c5, BIT1).add(c5.blend(c4, BIT1).rearrange(SWAP1));
        FloatVector p3 = c6.blend(c7, BIT1).add(c7.blend(c6, BIT1).rearrange(SWAP1));
        FloatVector q0 = p0.blend(p1, BIT2).add(p1.blend(p0, BIT2).rearrange(SWAP2));
        FloatVector q1 = p2.blend(p3, BIT2).add(p3.blend(p2, BIT2).rearrange(SWAP2));
        q0.blend(q1, BIT4).add(q1.blend(q0, BIT4).rearrange(SWAP4)).intoArray(s, si);
        if (dv < d) {
            tailDots(a, ai, b, b0, bStride, 8, dv, d, s, si);
        }
    }

    /** Adds the head-dim remainder [from, to) of `keys` dot products to s[si ..]. */
    private static void tailDots(float[] a, int ai, float[] b, int b0, int bStride, int keys, int from, int to,
                                 float[] s, int si) {
        for (int j = 0; j < keys; j++) {
            int bj = b0 + j * bStride;
            float acc = 0f;
            for (int t = from; t < to; t++) {
                acc += a[ai + t] * b[bj + t];
            }
            s[si + j] += acc;
        }
    }

    /** Two query rows against four key rows: each loaded key vector feeds two products. */
    private static void dot2x4(float[] a, int a0, int a1, float[] b, int b0, int bStride, int d, int dv,
                               float[] s, int si, int ldS) {
        int b1 = b0 + bStride;
        int b2 = b1 + bStride;
        int b3 = b2 + bStride;
        FloatVector c00 = FloatVector.zero(SPECIES), c01 = c00, c02 = c00, c03 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        int t = 0;
        for (; t < dv; t += LANES) {
            FloatVector x0 = FloatVector.fromArray(SPECIES, a, a0 + t);
            FloatVector x1 = FloatVector.fromArray(SPECIES, a, a1 + t);
            FloatVector y = FloatVector.fromArray(SPECIES, b, b0 + t);
            c00 = x0.fma(y, c00);
            c10 = x1.fma(y, c10);
            y = FloatVector.fromArray(SPECIES, b, b1 + t);
            c01 = x0.fma(y, c01);
            c11 = x1.fma(y, c11);
            y = FloatVector.fromArray(SPECIES, b, b2 + t);
            c02 = x0.fma(y, c02);
            c12 = x1.fma(y, c12);
            y = FloatVector.fromArray(SPECIES, b, b3 + t);
            c03 = x0.fma(y, c03);
            c13 = x1.fma(y, c13);
        }
        float s00 = VectorMath.sum(c00), s01 = VectorMath.sum(c01);
        float s02 = VectorMath.sum(c02), s03 = VectorMath.sum(c03);
        float s10 = VectorMath.sum(c10), s11 = VectorMath.sum(c11);
        float s12 = VectorMath.sum(c12), s13 = VectorMath.sum(c13);
        for (; t < d; t++) {
            float x0 = a[a0 + t];
            float x1 = a[a1 + t];
            float y0 = b[b0 + t], y1 = b[b1 + t], y2 = b[b2 + t], y3 = b[b3 + t];
            s00 += x0 * y0;
            s01 += x0 * y1;
            s02 += x0 * y2;
            s03 += x0 * y3;
            s10 += x1 * y0;
            s11 += x1 * y1;
            s12 += x1 * y2;
            s13 += x1 * y3;
        }
        s[si] = s00;
        s[si + 1] = s01;
        s[si + 2] = s02;
        s[si + 3] = s03;
        s[si + ldS] = s10;
        s[si + ldS + 1] = s11;
        s[si + ldS + 2] = s12;
        s[si + ldS + 3] = s13;
    }

    private static void dot1x4(float[] a, int a0, float[] b, int b0, int bStride, int d, int dv, float[] s, int si) {
        int b1 = b0 + bStride;
        int b2 = b1 + bStride;
        int b3 = b2 + bStride;
        FloatVector c0 = FloatVector.zero(SPECIES), c1 = c0, c2 = c0, c3 = c0;
        int t = 0;
        for (; t < dv; t += LANES) {
            FloatVector x = FloatVector.fromArray(SPECIES, a, a0 + t);
            c0 = x.fma(FloatVector.fromArray(SPECIES, b, b0 + t), c0);
            c1 = x.fma(FloatVector.fromArray(SPECIES, b, b1 + t), c1);
            c2 = x.fma(FloatVector.fromArray(SPECIES, b, b2 + t), c2);
            c3 = x.fma(FloatVector.fromArray(SPECIES, b, b3 + t), c3);
        }
        float s0 = VectorMath.sum(c0), s1 = VectorMath.sum(c1);
        float s2 = VectorMath.sum(c2), s3 = VectorMath.sum(c3);
        for (; t < d; t++) {
            float x = a[a0 + t];
            s0 += x * b[b0 + t];
            s1 += x * b[b1 + t];
            s2 += x * b[b2 + t];
            s3 += x * b[b3 + t];
        }
        s[si] = s0;
        s[si + 1] = s1;
        s[si + 2] = s2;
        s[si + 3] = s3;
    }

    @Override
    public void mulAdd(float[] p, int ldP, int rows, int cols, float[] x, int xOff, int xStride, int d,
                       float[] y, int yOff, int yStride) {
        int dv = SPECIES.loopBound(d);
        if (dv == 0) {
            scalar.mulAdd(p, ldP, rows, cols, x, xOff, xStride, d, y, yOff, yStride);
            return;
        }
        int i = 0;
        // four output rows per pass so each loaded x vector feeds four multiply-adds
        for (; i + 4 <= rows; i += 4) {
            int p0 = i * ldP;
            int y0 = yOff + i * yStride;
            for (int t = 0; t < dv; t += LANES) {
                FloatVector acc0 = FloatVector.fromArray(SPECIES, y, y0 + t);
                FloatVector acc1 = FloatVector.fromArray(SPECIES, y, y0 + yStride + t);
                FloatVector acc2 = FloatVector.fromArray(SPECIES, y, y0 + 2 * yStride + t);
                FloatVector acc3 = FloatVector.fromArray(SPECIES, y, y0 + 3 * yStride + t);
                for (int j = 0; j < cols; j++) {
                    FloatVector xv = FloatVector.fromArray(SPECIES, x, xOff + j * xStride + t);
                    acc0 = xv.fma(FloatVector.broadcast(SPECIES, p[p0 + j]), acc0);
                    acc1 = xv.fma(FloatVector.broadcast(SPECIES, p[p0 + ldP + j]), acc1);
                    acc2 = xv.fma(FloatVector.broadcast(SPECIES, p[p0 + 2 * ldP + j]), acc2);
                    acc3 = xv.fma(FloatVector.broadcast(SPECIES, p[p0 + 3 * ldP + j]), acc3);
                }
                acc0.intoArray(y, y0 + t);
                acc1.intoArray(y, y0 + yStride + t);
                acc2.intoArray(y, y0 + 2 * yStride + t);
                acc3.intoArray(y, y0 + 3 * yStride + t);
            }
            if (dv < d) {
                scalarTail(p, p0, ldP, 4, cols, x, xOff, xStride, dv, d, y, y0, yStride);
            }
        }
        for (; i < rows; i++) {
            int p0 = i * ldP;
            int y0 = yOff + i * yStride;
            for (int t = 0; t < dv; t += LANES) {
                FloatVector acc = FloatVector.fromArray(SPECIES, y, y0 + t);
                for (int j = 0; j < cols; j++) {
                    FloatVector xv = FloatVector.fromArray(SPECIES, x, xOff + j * xStride + t);
                    acc = xv.fma(FloatVector.broadcast(SPECIES, p[p0 + j]), acc);
                }
                acc.intoArray(y, y0 + t);
            }
            if (dv < d) {
                scalarTail(p, p0, ldP, 1, cols, x, xOff, xStride, dv, d, y, y0, yStride);
            }
        }
    }

    /** Columns [from, to) of y[i] += sum_j p[i][j] x[j] for a block of rows. */
    private static void scalarTail(float[] p, int p0, int ldP, int rows, int cols, float[] x, int xOff, int xStride,
                                   int from, int to, float[] y, int y0, int yStride) {
        for (int r = 0; r < rows; r++) {
            int yr = y0 + r * yStride;
            int pr = p0 + r * ldP;
            for (int t = from; t < to; t++) {
                float acc = y[yr + t];
                for (int j = 0; j < cols; j++) {
                    acc += p[pr + j] * x[xOff + j * xStride + t];
                }
                y[yr + t] = acc;
            }
        }
    }

    @Override
    public void mulAddTransposed(float[] p, int ldP, int rows, int cols, float[] x, int xOff, int xStride, int d,
                                 float[] y, int yOff, int yStride) {
        int dv = SPECIES.loopBound(d);
        if (dv == 0) {
            scalar.mulAddTransposed(p, ldP, rows, cols, x, xOff, xStride, d, y, yOff, yStride);
            return;
        }
        int j = 0;
        for (; j + 4 <= cols; j += 4) {
            int y0 = yOff + j * yStride;
            for (int t = 0; t < dv; t += LANES) {
                FloatVector acc0 = FloatVector.fromArray(SPECIES, y, y0 + t);
                FloatVector acc1 = FloatVector.fromArray(SPECIES, y, y0 + yStride + t);
                FloatVector acc2 = FloatVector.fromArray(SPECIES, y, y0 + 2 * yStride + t);
                FloatVector acc3 = FloatVector.fromArray(SPECIES, y, y0 + 3 * yStride + t);
                for (int i = 0; i < rows; i++) {
                    FloatVector xv = FloatVector.fromArray(SPECIES, x, xOff + i * xStride + t);
                    int pi = i * ldP + j;
                    acc0 = xv.fma(FloatVector.broadcast(SPECIES, p[pi]), acc0);
                    acc1 = xv.fma(FloatVector.broadcast(SPECIES, p[pi + 1]), acc1);
                    acc2 = xv.fma(FloatVector.broadcast(SPECIES, p[pi + 2]), acc2);
                    acc3 = xv.fma(FloatVector.broadcast(SPECIES, p[pi + 3]), acc3);
                }
                acc0.intoArray(y, y0 + t);
                acc1.intoArray(y, y0 + yStride + t);
                acc2.intoArray(y, y0 + 2 * yStride + t);
                acc3.intoArray(y, y0 + 3 * yStride + t);
            }
            if (dv < d) {
                scalarTailTransposed(p, j, ldP, rows, 4, x, xOff, xStride, dv, d, y, y0, yStride);
            }
        }
        for (; j < cols; j++) {
            int y0 = yOff + j * yStride;
            for (int t = 0; t < dv; t += LANES) {
                FloatVector acc = FloatVector.fromArray(SPECIES, y, y0 + t);
                for (int i = 0; i < rows; i++) {
                    FloatVector xv = FloatVector.fromArray(SPECIES, x, xOff + i * xStride + t);
                    acc = xv.fma(FloatVector.broadcast(SPECIES, p[i * ldP + j]), acc);
                }
                acc.intoArray(y, y0 + t);
            }
            if (dv < d) {
                scalarTailTransposed(p, j, ldP, rows, 1, x, xOff, xStride, dv, d, y, y0, yStride);
            }
        }
    }

    /** Columns [from, to) of y[j] += sum_i p[i][j] x[i] for a block of output rows starting at column j0 of p. */
    private static void scalarTailTransposed(float[] p, int j0, int ldP, int rows, int outRows, float[] x, int xOff,
                                             int xStride, int from, int to, float[] y, int y0, int yStride) {
        for (int r = 0; r < outRows; r++) {
            int yr = y0 + r * yStride;
            for (int t = from; t < to; t++) {
                float acc = y[yr + t];
                for (int i = 0; i < rows; i++) {
                    acc += p[i * ldP + j0 + r] * x[xOff + i * xStride + t];
                }
                y[yr + t] = acc;
            }
        }
    }

    @Override
    public void logits(float[] s, int sOff, int n, float scale, float[] bias, int biasOff, float[] mask, int maskOff) {
        int nv = SPECIES.loopBound(n);
        int j = 0;
        if (bias == null && mask == null) {
            for (; j < nv; j += LANES) {
                FloatVector.fromArray(SPECIES, s, sOff + j).mul(scale).intoArray(s, sOff + j);
            }
        } else if (mask == null) {
            for (; j < nv; j += LANES) {
                FloatVector v = FloatVector.fromArray(SPECIES, s, sOff + j);
                v.fma(FloatVector.broadcast(SPECIES, scale), FloatVector.fromArray(SPECIES, bias, biasOff + j))
                        .intoArray(s, sOff + j);
            }
        } else if (bias == null) {
            for (; j < nv; j += LANES) {
                FloatVector v = FloatVector.fromArray(SPECIES, s, sOff + j);
                v.fma(FloatVector.broadcast(SPECIES, scale), FloatVector.fromArray(SPECIES, mask, maskOff + j))
                        .intoArray(s, sOff + j);
            }
        } else {
            for (; j < nv; j += LANES) {
                FloatVector v = FloatVector.fromArray(SPECIES, s, sOff + j);
                v.fma(FloatVector.broadcast(SPECIES, scale), FloatVector.fromArray(SPECIES, bias, biasOff + j))
                        .add(FloatVector.fromArray(SPECIES, mask, maskOff + j))
                        .intoArray(s, sOff + j);
            }
        }
        if (j < n) {
            scalar.logits(s, sOff + j, n - j, scale, bias, biasOff + j, mask, maskOff + j);
        }
    }

    @Override
    public float max(float[] a, int off, int n) {
        int nv = SPECIES.loopBound(n);
        float m = Float.NEGATIVE_INFINITY;
        int j = 0;
        if (nv > 0) {
            FloatVector acc = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
            for (; j < nv; j += LANES) {
                acc = acc.max(FloatVector.fromArray(SPECIES, a, off + j));
            }
            m = acc.reduceLanes(VectorOperators.MAX);
        }
        for (; j < n; j++) {
            m = Math.max(m, a[off + j]);
        }
        return m;
    }

    @Override
    public float expShift(float[] a, int off, int n, float shift) {
        int nv = SPECIES.loopBound(n);
        float sum = 0f;
        int j = 0;
        if (nv > 0) {
            FloatVector acc = FloatVector.zero(SPECIES);
            for (; j < nv; j += LANES) {
                FloatVector e = VectorMath.exp(FloatVector.fromArray(SPECIES, a, off + j).sub(shift));
                e.intoArray(a, off + j);
                acc = acc.add(e);
            }
            sum = VectorMath.sum(acc);
        }
        for (; j < n; j++) {
            float e = (float) Math.exp(a[off + j] - shift);
            a[off + j] = e;
            sum += e;
        }
        return sum;
    }

    @Override
    public void softmaxGrad(float[] p, float[] dp, int off, int n, float rowDot) {
        int nv = SPECIES.loopBound(n);
        int j = 0;
        for (; j < nv; j += LANES) {
            FloatVector pv = FloatVector.fromArray(SPECIES, p, off + j);
            FloatVector g = FloatVector.fromArray(SPECIES, dp, off + j).sub(rowDot);
            pv.mul(g).intoArray(dp, off + j);
        }
        for (; j < n; j++) {
            dp[off + j] = p[off + j] * (dp[off + j] - rowDot);
        }
    }

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        int nv = SPECIES.loopBound(n);
        float sum = 0f;
        int t = 0;
        if (nv > 0) {
            FloatVector acc = FloatVector.zero(SPECIES);
            for (; t < nv; t += LANES) {
                acc = FloatVector.fromArray(SPECIES, a, aOff + t).fma(FloatVector.fromArray(SPECIES, b, bOff + t), acc);
            }
            sum = VectorMath.sum(acc);
        }
        for (; t < n; t++) {
            sum += a[aOff + t] * b[bOff + t];
        }
        return sum;
    }

    @Override
    public void scale(float[] a, int off, int n, float factor) {
        int nv = SPECIES.loopBound(n);
        int t = 0;
        for (; t < nv; t += LANES) {
            FloatVector.fromArray(SPECIES, a, off + t).mul(factor).intoArray(a, off + t);
        }
        for (; t < n; t++) {
            a[off + t] *= factor;
        }
    }

    @Override
    public void add(float[] src, int srcOff, float[] dst, int dstOff, int n) {
        int nv = SPECIES.loopBound(n);
        int t = 0;
        for (; t < nv; t += LANES) {
            FloatVector.fromArray(SPECIES, dst, dstOff + t).add(FloatVector.fromArray(SPECIES, src, srcOff + t))
                    .intoArray(dst, dstOff + t);
        }
        for (; t < n; t++) {
            dst[dstOff + t] += src[srcOff + t];
        }
    }
}
