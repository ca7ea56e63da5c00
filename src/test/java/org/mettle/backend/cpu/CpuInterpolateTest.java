package org.mettle.backend.cpu;

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

class CpuInterpolateTest {
    private static final SpatialGolden GOLDEN = SpatialGolden.load("interpolate.safetensors");
    private static final int OFF = 5;

    private enum Mode { BILINEAR, BICUBIC, NEAREST }

    private static void forward(Mode m, float[] x, int xOff, int planes, int H, int W, float[] y, int yOff,
                                int OH, int OW, boolean align, double scale) {
        switch (m) {
            case BILINEAR -> CpuInterpolate.bilinearForward(x, xOff, planes, H, W, y, yOff, OH, OW, align, scale, scale);
            case BICUBIC -> CpuInterpolate.bicubicForward(x, xOff, planes, H, W, y, yOff, OH, OW, align, scale, scale);
            case NEAREST -> CpuInterpolate.nearestForward(x, xOff, planes, H, W, y, yOff, OH, OW, scale, scale);
        }
    }

    private static void backward(Mode m, float[] gy, int gyOff, int planes, int OH, int OW, float[] gx, int gxOff,
                                 int H, int W, boolean align, double scale) {
        switch (m) {
            case BILINEAR -> CpuInterpolate.bilinearBackward(gy, gyOff, planes, OH, OW, gx, gxOff, H, W, align, scale, scale);
            case BICUBIC -> CpuInterpolate.bicubicBackward(gy, gyOff, planes, OH, OW, gx, gxOff, H, W, align, scale, scale);
            case NEAREST -> CpuInterpolate.nearestBackward(gy, gyOff, planes, OH, OW, gx, gxOff, H, W, scale, scale);
        }
    }

    @Test
    void forwardAndInputGradientMatchTorchInterpolate() {
        int checked = 0;
        for (String c : GOLDEN.cases.keySet()) {
            Mode mode = Mode.valueOf(GOLDEN.param(c, "mode").toUpperCase());
            boolean align = GOLDEN.boolParam(c, "align");
            int H = GOLDEN.intParam(c, "H"), W = GOLDEN.intParam(c, "W");
            int OH = GOLDEN.intParam(c, "OH"), OW = GOLDEN.intParam(c, "OW");
            double scale = GOLDEN.doubleParam(c, "scale");
            int[] shape = GOLDEN.shape(c, "x");
            int planes = shape[0] * shape[1];
            String what = c + " (" + mode + ", align " + align + ", " + H + "x" + W + " -> " + OH + "x" + OW
                    + (scale > 0 ? ", scale " + scale : "") + ")";

            float[] x = withOffset(GOLDEN.floats(c, "x"));
            float[] y = new float[OFF + planes * OH * OW];
            Arrays.fill(y, Float.NaN);
            forward(mode, x, OFF, planes, H, W, y, OFF, OH, OW, align, scale);
            // nearest only copies, so it must pick exactly PyTorch's pixels
            double tol = mode == Mode.NEAREST ? 0 : 1e-5;
            assertClose(what + " forward", GOLDEN.floats(c, "y"), y, OFF, tol, tol / 10);

            float[] gy = withOffset(GOLDEN.floats(c, "gy"));
            float[] gx = new float[OFF + planes * H * W];
            Arrays.fill(gx, 2f); // backward accumulates
            backward(mode, gy, OFF, planes, OH, OW, gx, OFF, H, W, align, scale);
            float[] expected = GOLDEN.floats(c, "gx");
            for (int i = 0; i < expected.length; i++) {
                expected[i] += 2f;
            }
            assertClose(what + " backward", expected, gx, OFF, 1e-5, 1e-6);
            checked++;
        }
        assertTrue(checked >= 40, "only " + checked + " golden interpolation cases");
    }

    @Test
    void backwardIsTheAdjointOfForwardOnRandomSizes() {
        Random r = new Random(3);
        for (int trial = 0; trial < 90; trial++) {
            Mode mode = Mode.values()[trial % 3];
            boolean align = r.nextBoolean();
            boolean big = trial < 3; // big enough to be split across threads
            int planes = big ? 7 : 1 + r.nextInt(4);
            int H = 1 + r.nextInt(big ? 60 : 12), W = 1 + r.nextInt(big ? 60 : 12);
            int OH = 1 + r.nextInt(big ? 90 : 20), OW = 1 + r.nextInt(big ? 90 : 20);
            double scale = trial % 5 == 4 ? 0.5 + r.nextDouble() * 2 : 0;
            if (scale > 0) {
                OH = Math.max(1, (int) Math.floor(H * scale));
                OW = Math.max(1, (int) Math.floor(W * scale));
            }
            float[] x = randn(r, OFF + planes * H * W);
            float[] gy = randn(r, OFF + planes * OH * OW);
            float[] y = new float[OFF + planes * OH * OW];
            float[] gx = new float[OFF + planes * H * W];
            forward(mode, x, OFF, planes, H, W, y, OFF, OH, OW, align, scale);
            backward(mode, gy, OFF, planes, OH, OW, gx, OFF, H, W, align, scale);
            String what = mode + " align " + align + " " + planes + "x" + H + "x" + W + " -> " + OH + "x" + OW;
            assertAdjoint(what, dot(y, OFF, gy, OFF, planes * OH * OW), dot(x, OFF, gx, OFF, planes * H * W),
                    Math.sqrt(planes * OH * OW));
        }
    }

    @Test
    void alignedModesKeepTheCornersAndSameSizeIsIdentity() {
        Random r = new Random(9);
        int planes = 2, H = 7, W = 5, OH = 19, OW = 12;
        float[] x = randn(r, planes * H * W);
        for (Mode mode : new Mode[] {Mode.BILINEAR, Mode.BICUBIC}) {
            float[] y = new float[planes * OH * OW];
            forward(mode, x, 0, planes, H, W, y, 0, OH, OW, true, 0);
            for (int p = 0; p < planes; p++) {
                assertEquals(x[p * H * W], y[p * OH * OW], 1e-6, mode + " top-left corner");
                assertEquals(x[p * H * W + H * W - 1], y[p * OH * OW + OH * OW - 1], 1e-5, mode + " bottom-right");
            }
            for (boolean align : new boolean[] {false, true}) {
                float[] same = new float[planes * H * W];
                forward(mode, x, 0, planes, H, W, same, 0, H, W, align, 0);
                assertClose(mode + " same size, align " + align, x, same);
            }
        }
    }

    @Test
    void nearestUsesFloorOfTheScaledIndexLikePyTorch() {
        assertEquals(Arrays.toString(new int[] {0, 0, 1, 1, 2}), Arrays.toString(CpuInterpolate.nearestIndices(3, 5, 0)));
        assertEquals(Arrays.toString(new int[] {0, 2, 5}), Arrays.toString(CpuInterpolate.nearestIndices(8, 3, 0)));
        // with scale_factor 1.7 the step is 1 / 1.7, not 5 / 8
        assertEquals(Arrays.toString(new int[] {0, 0, 1, 1, 2, 2, 3, 4}),
                Arrays.toString(CpuInterpolate.nearestIndices(5, 8, 1.7)));
    }

    @Test
    void wrongSizesAreRejectedWithTheExpectedShape() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CpuInterpolate.bilinearForward(new float[24], 0, 2, 3, 4, new float[10], 0, 6, 8, false));
        assertTrue(e.getMessage().contains("bilinearForward") && e.getMessage().contains("[2, 6, 8]")
                && e.getMessage().contains("96"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> CpuInterpolate.bicubicBackward(new float[96], 0, 2, 6, 8, new float[24], 0, 0, 4, true));
        assertTrue(e.getMessage().contains("input height H must be >= 1, got 0"), e.getMessage());
    }

    private static float[] withOffset(float[] a) {
        float[] b = new float[OFF + a.length];
        System.arraycopy(a, 0, b, OFF, a.length);
        return b;
    }
}
