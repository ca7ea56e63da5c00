package org.mettle.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mettle.backend.cpu.SpatialGolden.assertAdjoint;
import static org.mettle.backend.cpu.SpatialGolden.assertClose;
import static org.mettle.backend.cpu.SpatialGolden.dot;
import static org.mettle.backend.cpu.SpatialGolden.randn;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CpuConvTest {
    private static final SpatialGolden GOLDEN = SpatialGolden.load("conv.safetensors");
    /** Arrays in these tests start at this offset, so offset handling is exercised everywhere. */
    private static final int OFF = 3;

    /** Geometry of one convolution, read from a golden case or drawn at random. */
    private record Geom(int N, int C, int H, int W, int KH, int KW, int sH, int sW, int pH, int pW, int dH, int dW) {
        static Geom of(SpatialGolden g, String c) {
            return new Geom(g.intParam(c, "N"), g.intParam(c, "C"), g.intParam(c, "H"), g.intParam(c, "W"),
                    g.intParam(c, "KH"), g.intParam(c, "KW"), g.intParam(c, "sH"), g.intParam(c, "sW"),
                    g.intParam(c, "pH"), g.intParam(c, "pW"), g.intParam(c, "dH"), g.intParam(c, "dW"));
        }

        int OH() {
            return CpuConv.outSize(H, KH, sH, pH, dH);
        }

        int OW() {
            return CpuConv.outSize(W, KW, sW, pW, dW);
        }

        int image() {
            return C * H * W;
        }

        int rows() {
            return C * KH * KW;
        }

        int cols() {
            return OH() * OW();
        }

        void im2col(float[] x, int xOff, float[] cols, int colsOff) {
            CpuConv.im2col(x, xOff, C, H, W, KH, KW, sH, sW, pH, pW, dH, dW, cols, colsOff);
        }

        void col2im(float[] cols, int colsOff, float[] gx, int gxOff) {
            CpuConv.col2im(cols, colsOff, C, H, W, KH, KW, sH, sW, pH, pW, dH, dW, gx, gxOff);
        }
    }

    private static float[] shifted(float[] a) {
        float[] b = new float[a.length + OFF + 2];
        System.arraycopy(a, 0, b, OFF, a.length);
        return b;
    }

    @Test
    void im2colAndCol2imMatchTorchUnfoldAndItsGradient() {
        for (String c : GOLDEN.casesStartingWith("unfold")) {
            Geom g = Geom.of(GOLDEN, c);
            float[] x = shifted(GOLDEN.floats(c, "x"));
            float[] gcols = shifted(GOLDEN.floats(c, "gcols"));
            int colsPerImage = g.rows() * g.cols();
            float[] cols = new float[OFF + g.N * colsPerImage];
            Arrays.fill(cols, Float.NaN); // im2col must overwrite every element, padding included
            float[] gx = new float[OFF + g.N * g.image()];
            Arrays.fill(gx, 1f); // col2im accumulates
            for (int n = 0; n < g.N; n++) {
                g.im2col(x, OFF + n * g.image(), cols, OFF + n * colsPerImage);
                g.col2im(gcols, OFF + n * colsPerImage, gx, OFF + n * g.image());
            }
            assertClose(c + " cols", GOLDEN.floats(c, "cols"), cols, OFF, 0, 0);
            float[] expectedGx = GOLDEN.floats(c, "gx");
            for (int i = 0; i < expectedGx.length; i++) {
                expectedGx[i] += 1f;
            }
            assertClose(c + " gx", expectedGx, gx, OFF, 1e-5, 1e-6);
        }
    }

    @Test
    void im2colTimesWeightMatchesTorchConv2dForwardAndInputGradient() {
        for (String c : GOLDEN.casesStartingWith("conv")) {
            Geom g = Geom.of(GOLDEN, c);
            int cout = GOLDEN.intParam(c, "Cout");
            float[] x = GOLDEN.floats(c, "x");
            float[] weight = GOLDEN.floats(c, "weight"); // [Cout, C*KH*KW]
            float[] bias = GOLDEN.floats(c, "bias");
            float[] gy = GOLDEN.floats(c, "gy");
            int K = g.rows();
            int L = g.cols();
            float[] y = new float[g.N * cout * L];
            float[] gx = new float[g.N * g.image()];
            float[] cols = new float[K * L];
            float[] gcols = new float[K * L];
            for (int n = 0; n < g.N; n++) {
                g.im2col(x, n * g.image(), cols, 0);
                for (int o = 0; o < cout; o++) {
                    for (int l = 0; l < L; l++) {
                        double s = bias[o];
                        for (int k = 0; k < K; k++) {
                            s += (double) weight[o * K + k] * cols[k * L + l];
                        }
                        y[(n * cout + o) * L + l] = (float) s;
                    }
                }
                for (int k = 0; k < K; k++) {
                    for (int l = 0; l < L; l++) {
                        double s = 0;
                        for (int o = 0; o < cout; o++) {
                            s += (double) weight[o * K + k] * gy[(n * cout + o) * L + l];
                        }
                        gcols[k * L + l] = (float) s;
                    }
                }
                g.col2im(gcols, 0, gx, n * g.image());
            }
            assertClose(c + " y", GOLDEN.floats(c, "y"), y);
            assertClose(c + " gx", GOLDEN.floats(c, "gx"), gx);
        }
    }

    @Test
    void depthwiseConvMatchesTorchGroupedConvAndAllGradients() {
        for (String c : GOLDEN.casesStartingWith("depthwise")) {
            Geom g = Geom.of(GOLDEN, c);
            float[] x = shifted(GOLDEN.floats(c, "x"));
            float[] weight = shifted(GOLDEN.floats(c, "weight"));
            float[] bias = shifted(GOLDEN.floats(c, "bias"));
            float[] gy = shifted(GOLDEN.floats(c, "gy"));
            int outLen = g.N * g.C * g.cols();
            float[] y = new float[OFF + outLen];
            CpuConv.depthwiseConv2dForward(x, OFF, g.N, g.C, g.H, g.W, weight, OFF, g.KH, g.KW,
                    g.sH, g.sW, g.pH, g.pW, g.dH, g.dW, bias, OFF, y, OFF);
            assertClose(c + " y", GOLDEN.floats(c, "y"), y, OFF, 1e-5, 1e-6);

            float[] gx = new float[OFF + g.N * g.image()];
            float[] gw = new float[OFF + g.C * g.KH * g.KW];
            float[] gb = new float[OFF + g.C];
            CpuConv.depthwiseConv2dBackward(x, OFF, gy, OFF, g.N, g.C, g.H, g.W, weight, OFF, g.KH, g.KW,
                    g.sH, g.sW, g.pH, g.pW, g.dH, g.dW, gx, OFF, gw, OFF, gb, OFF);
            assertClose(c + " gx", GOLDEN.floats(c, "gx"), gx, OFF, 1e-5, 1e-6);
            assertClose(c + " gweight", GOLDEN.floats(c, "gweight"), gw, OFF, 1e-5, 1e-6);
            assertClose(c + " gbias", GOLDEN.floats(c, "gbias"), gb, OFF, 1e-5, 1e-6);
        }
    }

    @Test
    void im2colMatchesItsDefinitionAndCol2imIsItsAdjointOnRandomGeometries() {
        Random r = new Random(11);
        for (int trial = 0; trial < 60; trial++) {
            // the first geometry is big enough to be split across threads
            Geom g = trial == 0 ? new Geom(1, 8, 37, 41, 3, 3, 1, 1, 1, 1, 1, 1) : randomGeometry(r, 13);
            float[] x = randn(r, OFF + g.image());
            float[] cols = new float[OFF + g.rows() * g.cols()];
            g.im2col(x, OFF, cols, OFF);
            assertClose("im2col " + g, naiveIm2col(g, x, OFF), cols, OFF, 0, 0);

            float[] y = randn(r, OFF + g.rows() * g.cols());
            float[] gx = new float[OFF + g.image()];
            g.col2im(y, OFF, gx, OFF);
            double lhs = dot(cols, OFF, y, OFF, g.rows() * g.cols());
            double rhs = dot(x, OFF, gx, OFF, g.image());
            assertAdjoint("col2im " + g, lhs, rhs, Math.sqrt(g.rows() * g.cols()));
        }
    }

    @Test
    void patchifyIsTheTransposeOfNonOverlappingIm2colAndUnpatchifyItsAdjoint() {
        Random r = new Random(5);
        int[][] shapes = {{3, 13, 10, 4, 4}, {1, 32, 48, 16, 16}, {2, 9, 7, 3, 2}, {4, 5, 5, 5, 5}};
        for (int[] s : shapes) {
            int C = s[0], H = s[1], W = s[2], KH = s[3], KW = s[4];
            Geom g = new Geom(1, C, H, W, KH, KW, KH, KW, 0, 0, 1, 1);
            assertTrue(CpuConv.isPatchify(KH, KW, KH, KW, 0, 0, 1, 1));
            int K = g.rows();
            int L = g.cols();
            float[] x = randn(r, OFF + g.image());
            float[] cols = new float[K * L];
            g.im2col(x, OFF, cols, 0);
            float[] patches = new float[OFF + L * K];
            CpuConv.patchify(x, OFF, C, H, W, KH, KW, patches, OFF);
            for (int k = 0; k < K; k++) {
                for (int l = 0; l < L; l++) {
                    assertEquals(cols[k * L + l], patches[OFF + l * K + k], "patch " + l + " feature " + k);
                }
            }
            float[] y = randn(r, OFF + L * K);
            float[] gx = new float[OFF + g.image()];
            CpuConv.unpatchify(y, OFF, C, H, W, KH, KW, gx, OFF);
            float[] gxViaCol2im = new float[OFF + g.image()];
            float[] yCols = new float[K * L];
            for (int k = 0; k < K; k++) {
                for (int l = 0; l < L; l++) {
                    yCols[k * L + l] = y[OFF + l * K + k];
                }
            }
            g.col2im(yCols, 0, gxViaCol2im, OFF);
            assertArrayEquals(gxViaCol2im, gx, "unpatchify vs col2im for " + g);
        }
    }

    @Test
    void depthwiseBackwardIsTheAdjointOfForwardOnRandomGeometries() {
        Random r = new Random(23);
        for (int trial = 0; trial < 30; trial++) {
            Geom g = trial == 0 ? new Geom(2, 6, 45, 47, 3, 3, 1, 1, 1, 1, 1, 1) : randomGeometry(r, 11);
            int outLen = g.N * g.C * g.cols();
            int inLen = g.N * g.image();
            int wLen = g.C * g.KH * g.KW;
            float[] x = randn(r, OFF + inLen);
            float[] w = randn(r, OFF + wLen);
            float[] b = randn(r, OFF + g.C);
            float[] gy = randn(r, OFF + outLen);
            float[] y = new float[OFF + outLen];
            CpuConv.depthwiseConv2dForward(x, OFF, g.N, g.C, g.H, g.W, w, OFF, g.KH, g.KW,
                    g.sH, g.sW, g.pH, g.pW, g.dH, g.dW, null, 0, y, OFF);
            float[] gx = new float[OFF + inLen];
            float[] gw = new float[OFF + wLen];
            float[] gb = new float[OFF + g.C];
            CpuConv.depthwiseConv2dBackward(x, OFF, gy, OFF, g.N, g.C, g.H, g.W, w, OFF, g.KH, g.KW,
                    g.sH, g.sW, g.pH, g.pW, g.dH, g.dW, gx, OFF, gw, OFF, gb, OFF);
            double yDotG = dot(y, OFF, gy, OFF, outLen);
            double mag = Math.sqrt(outLen) * g.KH * g.KW;
            // y is linear in x (for fixed w) and in w (for fixed x): both adjoints give <y, gy>.
            assertAdjoint("depthwise gradIn " + g, yDotG, dot(x, OFF, gx, OFF, inLen), mag);
            assertAdjoint("depthwise gradWeight " + g, yDotG, dot(w, OFF, gw, OFF, wLen), mag);
            for (int c = 0; c < g.C; c++) {
                double sum = 0;
                for (int n = 0; n < g.N; n++) {
                    for (int i = 0; i < g.cols(); i++) {
                        sum += gy[OFF + (n * g.C + c) * g.cols() + i];
                    }
                }
                assertEquals(sum, gb[OFF + c], 1e-4, "gradBias channel " + c);
            }
            float[] yBias = new float[OFF + outLen];
            CpuConv.depthwiseConv2dForward(x, OFF, g.N, g.C, g.H, g.W, w, OFF, g.KH, g.KW,
                    g.sH, g.sW, g.pH, g.pW, g.dH, g.dW, b, OFF, yBias, OFF);
            for (int i = 0; i < outLen; i++) {
                float expected = y[OFF + i] + b[OFF + (i / g.cols()) % g.C];
                assertEquals(expected, yBias[OFF + i], 1e-5f * (1 + Math.abs(expected)), "bias added at " + i);
            }
        }
    }

    @Test
    void outSizeFollowsTheConvolutionFormulaAndRejectsKernelsThatDoNotFit() {
        assertEquals(14, CpuConv.outSize(224, 16, 16, 0, 1));
        assertEquals(101, CpuConv.outSize(1024, 16, 10, 0, 1));
        assertEquals(7, CpuConv.outSize(7, 3, 1, 1, 1));
        assertEquals(4, CpuConv.outSize(11, 3, 3, 2, 2)); // (11 + 4 - 5) / 3 + 1
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CpuConv.outSize(4, 3, 1, 0, 2));
        assertTrue(e.getMessage().contains("spans 5") && e.getMessage().contains("only 4"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CpuConv.outSize(4, 3, 0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> CpuConv.outSize(4, 3, 1, -1, 1));
    }

    @Test
    void shortArraysAreRejectedWithTheExpectedShape() {
        float[] x = new float[3 * 8 * 8];
        float[] cols = new float[10];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CpuConv.im2col(x, 0, 3, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, cols, 0));
        assertTrue(e.getMessage().contains("im2col") && e.getMessage().contains("[3, 3, 3, 8, 8]")
                && e.getMessage().contains("1728"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> CpuConv.col2im(new float[3 * 9 * 64], 0, 3, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, x, 1));
        assertTrue(e.getMessage().contains("gradIn") && e.getMessage().contains("offset 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> CpuConv.im2col(x, 0, 3, 8, 2, 3, 3, 1, 1, 0, 0, 1, 1, cols, 0));
        assertTrue(e.getMessage().startsWith("im2col (width): kernel 3"), e.getMessage());
    }

    private static Geom randomGeometry(Random r, int maxSide) {
        while (true) {
            int KH = 1 + r.nextInt(4), KW = 1 + r.nextInt(4);
            int dH = 1 + r.nextInt(2), dW = 1 + r.nextInt(2);
            Geom g = new Geom(1 + r.nextInt(2), 1 + r.nextInt(4), 1 + r.nextInt(maxSide), 1 + r.nextInt(maxSide),
                    KH, KW, 1 + r.nextInt(3), 1 + r.nextInt(3), r.nextInt(KH + 1), r.nextInt(KW + 1), dH, dW);
            if (g.H + 2 * g.pH >= g.dH * (g.KH - 1) + 1 && g.W + 2 * g.pW >= g.dW * (g.KW - 1) + 1) {
                return g;
            }
        }
    }

    private static float[] naiveIm2col(Geom g, float[] x, int xOff) {
        int OH = g.OH(), OW = g.OW();
        float[] cols = new float[g.rows() * OH * OW];
        for (int c = 0; c < g.C; c++) {
            for (int kh = 0; kh < g.KH; kh++) {
                for (int kw = 0; kw < g.KW; kw++) {
                    for (int oh = 0; oh < OH; oh++) {
                        for (int ow = 0; ow < OW; ow++) {
                            int ih = oh * g.sH - g.pH + kh * g.dH;
                            int iw = ow * g.sW - g.pW + kw * g.dW;
                            boolean inside = ih >= 0 && ih < g.H && iw >= 0 && iw < g.W;
                            cols[((c * g.KH + kh) * g.KW + kw) * OH * OW + oh * OW + ow] =
                                    inside ? x[xOff + (c * g.H + ih) * g.W + iw] : 0f;
                        }
                    }
                }
            }
        }
        return cols;
    }
}
