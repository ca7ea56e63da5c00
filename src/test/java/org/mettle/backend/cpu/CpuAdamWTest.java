package org.mettle.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mettle.backend.cpu.RowsTestSupport.assertClose;
import static org.mettle.backend.cpu.RowsTestSupport.gaussian;
import static org.mettle.backend.cpu.RowsTestSupport.golden;

import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** AdamW against a hand-computed sequence, a textbook double reference and torch.optim.AdamW; both kernels. */
class CpuAdamWTest {

    static CpuAdamW.Kernels kernels(String which) {
        if (which.equals("vector")) {
            RowsTestSupport.assumeVector();
            return new VectorAdamW();
        }
        return new CpuAdamW.ScalarKernels();
    }

    /**
     * lr 0.1, betas (0.9, 0.999), eps 1e-8, weight decay 0.01. Element 0: p = 1, g = 0.5, -0.25, 1. Step 1:
     * p = 1 * 0.999 - 0.1 * 0.5 / (sqrt(0.25) + 1e-8) = 0.899000002; m = 0.05, v = 0.00025; steps 2 and 3 likewise
     * (values below from the formula in double). Element 1: p = -2, g = 0 (no Adam update, only decay: -1.998), 3, -0.5.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"scalar", "vector"})
    void handComputedThreeSteps(String which) {
        CpuAdamW.Kernels k = kernels(which);
        float[] p = {1f, -2f};
        float[] m = new float[2];
        float[] v = new float[2];
        float[][] grads = {{0.5f, 0f}, {-0.25f, 3f}, {1f, -0.5f}};
        double[][] expectedP = {{0.899000002, -1.998}, {0.8714672987058463, -2.0704156820059967},
            {0.804784672376384, -2.114576698381145}};
        for (int t = 1; t <= 3; t++) {
            CpuAdamW.step(k, p, 0, grads[t - 1], 0, m, 0, v, 0, 2, 0.1f, 0.9f, 0.999f, 1e-8f, 0.01f, t);
            assertClose("p after step " + t + " " + which, expectedP[t - 1], p, 1e-6, 1e-6);
        }
        assertClose("m after 3 steps", new double[] {0.118, 0.22}, m, 1e-7, 1e-6);
        assertClose("v after 3 steps", new double[] {0.00131193775, 0.009241}, v, 1e-10, 1e-6);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"scalar", "vector"})
    void matchesTextbookReferenceOnOddSizes(String which) {
        CpuAdamW.Kernels k = kernels(which);
        Random rnd = new Random(41);
        float lr = 3e-3f;
        float b1 = 0.8f;
        float b2 = 0.95f;
        float eps = 1e-6f;
        float wd = 0.1f;
        for (int n : new int[] {1, 3, 17, 1000, 70001}) {
            float[] p = gaussian(rnd, n + 1, 1);
            float[] m = new float[n + 2];
            float[] v = new float[n + 3];
            double[] pd = new double[n];
            double[] md = new double[n];
            double[] vd = new double[n];
            for (int i = 0; i < n; i++) {
                pd[i] = p[1 + i];
            }
            for (int t = 1; t <= 4; t++) {
                float[] g = gaussian(rnd, n, 0.5);
                CpuAdamW.step(k, p, 1, g, 0, m, 2, v, 3, n, lr, b1, b2, eps, wd, t);
                for (int i = 0; i < n; i++) {
                    pd[i] -= (double) lr * wd * pd[i];
                    md[i] = b1 * md[i] + (1 - (double) b1) * g[i];
                    vd[i] = b2 * vd[i] + (1 - (double) b2) * g[i] * g[i];
                    double mhat = md[i] / (1 - Math.pow(b1, t));
                    double vhat = vd[i] / (1 - Math.pow(b2, t));
                    pd[i] -= lr * mhat / (Math.sqrt(vhat) + eps);
                }
            }
            assertClose("AdamW p n=" + n + " " + which, pd, p, 1, n, 1e-6, 1e-5);
            assertClose("AdamW m n=" + n + " " + which, md, m, 2, n, 1e-7, 1e-5);
            assertClose("AdamW v n=" + n + " " + which, vd, v, 3, n, 1e-9, 1e-5);
        }
    }

    @Test
    void vectorAndScalarAreBitIdentical() {
        RowsTestSupport.assumeVector();
        Random rnd = new Random(42);
        int n = 70001;
        float[] p1 = gaussian(rnd, n, 1);
        float[] p2 = p1.clone();
        float[] m1 = new float[n];
        float[] m2 = new float[n];
        float[] v1 = new float[n];
        float[] v2 = new float[n];
        for (int t = 1; t <= 3; t++) {
            float[] g = gaussian(rnd, n, 1);
            CpuAdamW.step(new CpuAdamW.ScalarKernels(), p1, 0, g, 0, m1, 0, v1, 0, n, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.05f, t);
            CpuAdamW.step(new VectorAdamW(), p2, 0, g, 0, m2, 0, v2, 0, n, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.05f, t);
        }
        assertArrayEquals(p1, p2);
        assertArrayEquals(m1, m2);
        assertArrayEquals(v1, v2);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"scalar", "vector"})
    void matchesTorchAdamW(String which) {
        CpuAdamW.Kernels k = kernels(which);
        float[] p = golden("adamw_p0");
        int n = p.length;
        float[] m = new float[n];
        float[] v = new float[n];
        for (int t = 1; t <= 3; t++) {
            CpuAdamW.step(k, p, 0, golden("adamw_g" + t), 0, m, 0, v, 0, n, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.05f, t);
            assertClose("p after step " + t + " vs torch " + which, golden("adamw_p" + t), p, 1e-6, 1e-6);
        }
        assertClose("exp_avg vs torch " + which, golden("adamw_m3"), m, 1e-7, 1e-6);
        assertClose("exp_avg_sq vs torch " + which, golden("adamw_v3"), v, 1e-9, 1e-6);
    }

    @Test
    void rejectsStepZeroAndBadBetas() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CpuAdamW.step(new float[1], 0,
                new float[1], 0, new float[1], 0, new float[1], 0, 1, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 0));
        assertTrue(e.getMessage().contains("step = 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CpuAdamW.step(new float[1], 0, new float[1], 0,
                new float[1], 0, new float[1], 0, 1, 1e-3f, 1f, 0.999f, 1e-8f, 0f, 1));
        assertTrue(e.getMessage().contains("betas"), e.getMessage());
    }

    @Test
    void loadsTheVectorKernelsWhenTheModuleIsPresent() {
        RowsTestSupport.assumeVector();
        Assumptions.assumeFalse(Boolean.getBoolean("mettle.scalar"), "-Dmettle.scalar=true set");
        assertEquals(VectorAdamW.class, CpuAdamW.KERNELS.getClass(), "VectorSupport.load must find VectorAdamW by name");
    }
}
