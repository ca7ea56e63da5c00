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

class CpuPoolTest {
    private static final SpatialGolden GOLDEN = SpatialGolden.load("pool.safetensors");
    private static final int OFF = 4;

    private record Window(int H, int W, int KH, int KW, int sH, int sW, int pH, int pW) {
        static Window of(SpatialGolden g, String c) {
            return new Window(g.intParam(c, "H"), g.intParam(c, "W"), g.intParam(c, "KH"), g.intParam(c, "KW"),
                    g.intParam(c, "sH"), g.intParam(c, "sW"), g.intParam(c, "pH"), g.intParam(c, "pW"));
        }

        int OH() {
            return CpuPool.outSize(H, KH, sH, pH);
        }

        int OW() {
            return CpuPool.outSize(W, KW, sW, pW);
        }
    }

    @Test
    void avgPoolMatchesTorchWithAndWithoutCountingPadding() {
        for (String c : GOLDEN.casesStartingWith("avg")) {
            Window w = Window.of(GOLDEN, c);
            boolean cip = GOLDEN.boolParam(c, "countIncludePad");
            int planes = planes(c);
            float[] x = withOffset(GOLDEN.floats(c, "x"));
            float[] y = filled(OFF + planes * w.OH() * w.OW(), Float.NaN);
            CpuPool.avgPool2dForward(x, OFF, planes, w.H, w.W, w.KH, w.KW, w.sH, w.sW, w.pH, w.pW, cip, y, OFF);
            assertClose(c + " forward " + w, GOLDEN.floats(c, "y"), y, OFF, 1e-5, 1e-6);

            float[] gx = filled(OFF + planes * w.H * w.W, 0.5f);
            CpuPool.avgPool2dBackward(withOffset(GOLDEN.floats(c, "gy")), OFF, planes, w.H, w.W, w.KH, w.KW,
                    w.sH, w.sW, w.pH, w.pW, cip, gx, OFF);
            assertClose(c + " backward " + w, plus(GOLDEN.floats(c, "gx"), 0.5f), gx, OFF, 1e-5, 1e-6);
        }
    }

    @Test
    void maxPoolMatchesTorchValuesIndicesAndGradient() {
        for (String c : GOLDEN.casesStartingWith("max")) {
            Window w = Window.of(GOLDEN, c);
            int planes = planes(c);
            int outLen = planes * w.OH() * w.OW();
            float[] x = withOffset(GOLDEN.floats(c, "x"));
            float[] y = filled(OFF + outLen, Float.NaN);
            int[] argmax = new int[OFF + outLen];
            CpuPool.maxPool2dForward(x, OFF, planes, w.H, w.W, w.KH, w.KW, w.sH, w.sW, w.pH, w.pW, y, OFF, argmax, OFF);
            assertClose(c + " forward " + w, GOLDEN.floats(c, "y"), y, OFF, 0, 0);
            assertArrayEquals(GOLDEN.ints(c, "argmax"), Arrays.copyOfRange(argmax, OFF, OFF + outLen), c + " argmax");

            float[] gx = filled(OFF + planes * w.H * w.W, -1f);
            CpuPool.maxPool2dBackward(withOffset(GOLDEN.floats(c, "gy")), OFF, argmax, OFF, planes, w.OH(), w.OW(),
                    gx, OFF, w.H, w.W);
            assertClose(c + " backward " + w, plus(GOLDEN.floats(c, "gx"), -1f), gx, OFF, 1e-6, 1e-7);
        }
    }

    @Test
    void adaptiveAvgPoolMatchesTorch() {
        for (String c : GOLDEN.casesStartingWith("adaptive")) {
            int H = GOLDEN.intParam(c, "H"), W = GOLDEN.intParam(c, "W");
            int OH = GOLDEN.intParam(c, "OH"), OW = GOLDEN.intParam(c, "OW");
            int planes = planes(c);
            String what = c + " " + H + "x" + W + " -> " + OH + "x" + OW;
            float[] y = filled(OFF + planes * OH * OW, Float.NaN);
            CpuPool.adaptiveAvgPool2dForward(withOffset(GOLDEN.floats(c, "x")), OFF, planes, H, W, y, OFF, OH, OW);
            assertClose(what + " forward", GOLDEN.floats(c, "y"), y, OFF, 1e-5, 1e-6);
            float[] gx = filled(OFF + planes * H * W, 3f);
            CpuPool.adaptiveAvgPool2dBackward(withOffset(GOLDEN.floats(c, "gy")), OFF, planes, OH, OW, gx, OFF, H, W);
            assertClose(what + " backward", plus(GOLDEN.floats(c, "gx"), 3f), gx, OFF, 1e-5, 1e-6);
        }
    }

    @Test
    void backwardsAreAdjointsOfForwardsOnRandomWindows() {
        Random r = new Random(17);
        for (int trial = 0; trial < 60; trial++) {
            boolean big = trial < 2; // big enough to be split across threads
            int KH = 1 + r.nextInt(4), KW = 1 + r.nextInt(4);
            Window w = new Window(KH + r.nextInt(big ? 60 : 10), KW + r.nextInt(big ? 60 : 10), KH, KW,
                    1 + r.nextInt(3), 1 + r.nextInt(3), r.nextInt(KH / 2 + 1), r.nextInt(KW / 2 + 1));
            int planes = big ? 9 : 1 + r.nextInt(3);
            int inLen = planes * w.H * w.W;
            int outLen = planes * w.OH() * w.OW();
            float[] x = randn(r, OFF + inLen);
            float[] gy = randn(r, OFF + outLen);
            for (boolean cip : new boolean[] {true, false}) {
                float[] y = new float[OFF + outLen];
                float[] gx = new float[OFF + inLen];
                CpuPool.avgPool2dForward(x, OFF, planes, w.H, w.W, w.KH, w.KW, w.sH, w.sW, w.pH, w.pW, cip, y, OFF);
                CpuPool.avgPool2dBackward(gy, OFF, planes, w.H, w.W, w.KH, w.KW, w.sH, w.sW, w.pH, w.pW, cip, gx, OFF);
                assertAdjoint("avg " + w + " countIncludePad " + cip, dot(y, OFF, gy, OFF, outLen),
                        dot(x, OFF, gx, OFF, inLen), Math.sqrt(outLen));
            }
            // max pooling is linear in x once the argmax is fixed
            float[] y = new float[OFF + outLen];
            int[] argmax = new int[OFF + outLen];
            CpuPool.maxPool2dForward(x, OFF, planes, w.H, w.W, w.KH, w.KW, w.sH, w.sW, w.pH, w.pW, y, OFF, argmax, OFF);
            float[] gx = new float[OFF + inLen];
            CpuPool.maxPool2dBackward(gy, OFF, argmax, OFF, planes, w.OH(), w.OW(), gx, OFF, w.H, w.W);
            assertAdjoint("max " + w, dot(y, OFF, gy, OFF, outLen), dot(x, OFF, gx, OFF, inLen), Math.sqrt(outLen));
            assertMaxIsTheNaiveWindowMaximum(w, planes, x, y, argmax);

            int OH = 1 + r.nextInt(big ? 40 : 12), OW = 1 + r.nextInt(big ? 40 : 12);
            int aOut = planes * OH * OW;
            float[] ya = new float[OFF + aOut];
            float[] gya = randn(r, OFF + aOut);
            float[] gxa = new float[OFF + inLen];
            CpuPool.adaptiveAvgPool2dForward(x, OFF, planes, w.H, w.W, ya, OFF, OH, OW);
            CpuPool.adaptiveAvgPool2dBackward(gya, OFF, planes, OH, OW, gxa, OFF, w.H, w.W);
            assertAdjoint("adaptive " + w.H + "x" + w.W + " -> " + OH + "x" + OW, dot(ya, OFF, gya, OFF, aOut),
                    dot(x, OFF, gxa, OFF, inLen), Math.sqrt(aOut));
        }
    }

    @Test
    void maxPoolPropagatesNaNAndKeepsTheFirstOfTies() {
        float nan = Float.NaN;
        float[] x = {1, 5, 5, 0, nan, 2, 3, 1, 1};
        float[] y = new float[4];
        int[] argmax = new int[4];
        CpuPool.maxPool2dForward(x, 0, 1, 3, 3, 2, 2, 1, 1, 0, 0, y, 0, argmax, 0);
        assertTrue(Float.isNaN(y[0]) && Float.isNaN(y[1]) && Float.isNaN(y[2]) && Float.isNaN(y[3]));
        assertArrayEquals(new int[] {4, 4, 4, 4}, argmax);
        float[] ties = {5, 5, 1, 5};
        CpuPool.maxPool2dForward(ties, 0, 1, 2, 2, 2, 2, 1, 1, 0, 0, y, 0, argmax, 0);
        assertEquals(5f, y[0]);
        assertEquals(0, argmax[0]);
    }

    @Test
    void adaptiveWindowsFollowPyTorchsStartEndRule() {
        // 10 -> 3: [0, 4), [3, 7), [6, 10)
        assertArrayEquals(new int[] {0, 3, 6}, new int[] {CpuPool.windowStart(0, 3, 10), CpuPool.windowStart(1, 3, 10),
                CpuPool.windowStart(2, 3, 10)});
        assertArrayEquals(new int[] {4, 7, 10}, new int[] {CpuPool.windowEnd(0, 3, 10), CpuPool.windowEnd(1, 3, 10),
                CpuPool.windowEnd(2, 3, 10)});
    }

    @Test
    void badArgumentsAreRejectedWithAReason() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CpuPool.outSize(8, 3, 1, 2));
        assertTrue(e.getMessage().contains("padding 2") && e.getMessage().contains("padding <= 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CpuPool.maxPool2dBackward(new float[4], 0,
                new int[] {0, 1, 9, 2}, 0, 1, 2, 2, new float[9], 0, 3, 2));
        assertTrue(e.getMessage().contains("argmax 9") && e.getMessage().contains("[3, 2]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CpuPool.avgPool2dForward(new float[20], 0, 1, 4, 5,
                2, 2, 2, 2, 0, 0, true, new float[3], 0));
        assertTrue(e.getMessage().contains("out [planes, OH, OW] [1, 2, 2]"), e.getMessage());
    }

    private static void assertMaxIsTheNaiveWindowMaximum(Window w, int planes, float[] x, float[] y, int[] argmax) {
        for (int p = 0; p < planes; p++) {
            for (int oh = 0; oh < w.OH(); oh++) {
                for (int ow = 0; ow < w.OW(); ow++) {
                    float max = Float.NEGATIVE_INFINITY;
                    for (int h = oh * w.sH - w.pH; h < oh * w.sH - w.pH + w.KH; h++) {
                        for (int c = ow * w.sW - w.pW; c < ow * w.sW - w.pW + w.KW; c++) {
                            if (h >= 0 && h < w.H && c >= 0 && c < w.W) {
                                max = Math.max(max, x[OFF + (p * w.H + h) * w.W + c]);
                            }
                        }
                    }
                    int o = OFF + (p * w.OH() + oh) * w.OW() + ow;
                    assertEquals(max, y[o], "max " + w + " at " + p + "," + oh + "," + ow);
                    assertEquals(max, x[OFF + p * w.H * w.W + argmax[o]], "argmax points at the maximum");
                }
            }
        }
    }

    private static int planes(String c) {
        int[] shape = GOLDEN.shape(c, "x");
        return shape[0] * shape[1];
    }

    private static float[] withOffset(float[] a) {
        float[] b = new float[OFF + a.length];
        System.arraycopy(a, 0, b, OFF, a.length);
        return b;
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        Arrays.fill(a, v);
        return a;
    }

    private static float[] plus(float[] a, float v) {
        for (int i = 0; i < a.length; i++) {
            a[i] += v;
        }
        return a;
    }
}
