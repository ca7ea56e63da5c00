package org.mettle.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.mettle.backend.cpu.RowsTestSupport.assertClose;
import static org.mettle.backend.cpu.RowsTestSupport.gaussian;
import static org.mettle.backend.cpu.RowsTestSupport.golden;
import static org.mettle.backend.cpu.RowsTestSupport.toDouble;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Row kernels against double references (forward), central finite differences of those references (backward, small
 * rows) or the analytic backward in double (long rows), and torch golden outputs; both kernel sets.
 */
class CpuRowsTest {
    /** {rows, cols}: odd sizes, long rows and many short rows (parallel split). */
    static final int[][] SHAPES = {{1, 1}, {3, 17}, {5, 1000}, {70, 1001}, {2, 70001}, {4096, 3}};
    /** Shapes small enough for finite differences over every input. */
    static final int[][] FD_SHAPES = {{1, 1}, {3, 17}, {2, 300}, {4, 3}};
    static final double H = 1e-5;

    static CpuRows.Kernels kernels(String which) {
        if (which.equals("vector")) {
            RowsTestSupport.assumeVector();
            return new VectorRows();
        }
        return new ScalarRows();
    }

    // ---- double references ----

    static double[] softmaxRef(double[] x, int rows, int cols, boolean log) {
        double[] y = new double[x.length];
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < cols; c++) {
                max = Math.max(max, x[r * cols + c]);
            }
            if (max == Double.NEGATIVE_INFINITY) {
                Arrays.fill(y, r * cols, (r + 1) * cols, log ? Double.NEGATIVE_INFINITY : 0.0);
                continue;
            }
            double sum = 0;
            for (int c = 0; c < cols; c++) {
                sum += Math.exp(x[r * cols + c] - max);
            }
            for (int c = 0; c < cols; c++) {
                double z = x[r * cols + c] - max;
                y[r * cols + c] = log ? z - Math.log(sum) : Math.exp(z) / sum;
            }
        }
        return y;
    }

    static double[] layerNormRef(double[] x, double[] gamma, double[] beta, double eps, int rows, int cols) {
        double[] y = new double[x.length];
        for (int r = 0; r < rows; r++) {
            double mean = 0;
            for (int c = 0; c < cols; c++) {
                mean += x[r * cols + c];
            }
            mean /= cols;
            double var = 0;
            for (int c = 0; c < cols; c++) {
                double d = x[r * cols + c] - mean;
                var += d * d;
            }
            double rstd = 1 / Math.sqrt(var / cols + eps);
            for (int c = 0; c < cols; c++) {
                double v = (x[r * cols + c] - mean) * rstd;
                y[r * cols + c] = v * (gamma != null ? gamma[c] : 1) + (beta != null ? beta[c] : 0);
            }
        }
        return y;
    }

    static double[] l2Ref(double[] x, double eps, int rows, int cols) {
        double[] y = new double[x.length];
        for (int r = 0; r < rows; r++) {
            double ss = 0;
            for (int c = 0; c < cols; c++) {
                ss += x[r * cols + c] * x[r * cols + c];
            }
            double d = Math.max(Math.sqrt(ss), eps);
            for (int c = 0; c < cols; c++) {
                y[r * cols + c] = x[r * cols + c] / d;
            }
        }
        return y;
    }

    // ---- softmax / log-softmax ----

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"scalar", "vector"})
    void softmaxForwardMatchesReference(String which) {
        CpuRows.Kernels k = kernels(which);
        Random rnd = new Random(21);
        for (int[] s : SHAPES) {
            int rows = s[0];
            int cols = s[1];
            float[] x = gaussian(rnd, rows * cols + 1, 4);
            float[] y = new float[rows * cols];
            CpuRows.softmaxForward(k, x, 1, y, 0, rows, cols);
            double[] xd = toDouble(Arrays.copyOfRange(x, 1, x.length));
            assertClose("softmax " + rows + "x" + cols + " " + which, softmaxRef(xd, rows, cols, false), y, 1e-9, 2e-6);
            float[] ly = new float[rows * cols];
            CpuRows.logSoftmaxForward(k, x, 1, ly, 0, rows, cols);
            assertClose("logSoftmax " + rows + "x" + cols + " " + which, softmaxRef(xd, rows, cols, true), ly, 1e-6,
                    1e-6);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"scalar", "vector"})
    void softmaxBackwardMatchesFiniteDifferences(String which) {
        CpuRows.Kernels k = kernels(which);
        Random rnd = new Random(22);
        for (boolean log : new boolean[] {false, true}) {
            for (int[] s : FD_SHAPES) {
                int rows = s[0];
                int cols = s[1];
                float[] x = gaussian(rnd, rows * cols, 2);
                float[] dy = gaussian(rnd, rows * cols, 1);
                float[] y = new float[rows * cols];
                float[] dx = new float[rows * cols];
                if (log) {
                    CpuRows.logSoftmaxForward(k, x, 0, y, 0, rows, cols);
                    CpuRows.logSoftmaxBackward(k, y, 0, dy, 0, dx, 0, rows, cols);
                } else {
                    CpuRows.softmaxForward(k, x, 0, y, 0, rows, cols);
                    CpuRows.softmaxBackward(k, y, 0, dy, 0, dx, 0, rows, cols);
                }
                double[] w = toDouble(dy);
                double[] fd = RowsTestSupport.numericGradient(
                        v -> RowsTestSupport.dot(w, softmaxRef(v, rows, cols, log)), toDouble(x), H);
                assertClose((log ? "logSoftmax" : "softmax") + " backward " + rows + "x" + cols + " " + which, fd, dx,
                        2e-6, 2e-5);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"scalar", "vector"})
    void softmaxBackwardOnLongRowsMatchesDoubleFormula(String which) {
        CpuRows.Kernels k = kernels(which);
        Random rnd = new Random(23);
        for (int[] s : SHAPES) {
            int rows = s[0];
            int cols = s[1];
            float[] x = gaussian(rnd, rows * cols, 2);
            float[] dy = gaussian(rnd, rows * cols, 1);
            float[] y = new float[rows * cols];
            float[] dx = new float[rows * cols];
            CpuRows.softmaxForward(k, x, 0, y, 0, rows, cols);
            CpuRows.softmaxBackward(k, y, 0, dy, 0, dx, 0, rows, cols);
            double[] expected = new double[rows * cols];
            for (int r = 0; r < rows; r++) {
                double dot = 0;
                for (int c = 0; c < cols; c++) {
                    dot += (double) y[r * cols + c] * dy[r * cols + c];
                }
                for (int c = 0; c < cols; c++) {
                    expected[r * cols + c] = y[r * cols + c] * (dy[r * cols + c] - dot);
                }
            }
            assertClose("softmax backward " + rows + "x" + cols + " " + which, expected, dx, 1e-7, 1e-5);
            CpuRows.logSoftmaxForward(k, x, 0, y, 0, rows, cols);
            CpuRows.logSoftmaxBackward(k, y, 0, dy, 0, dx, 0, rows, cols);
            for (int r = 0; r < rows; r++) {
                double sum = 0;
                for (int c = 0; c < cols; c++) {
                    sum += dy[r * cols + c];
                }
                for (int c = 0; c < cols; c++) {
                    expected[r * cols + c] = dy[r * cols + c] - Math.exp(y[r * cols + c]) * sum;
                }
            }
            assertClose("logSoftmax backward " + rows + "x" + cols + " " + which, expected, dx, 1e-5, 1e-5);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"scalar", "vector"})
    void maskedEntriesAndFullyMaskedRows(String which) {
        CpuRows.Kernels k = kernels(which);
        int cols = 37;
        float[] x = gaussian(new Random(24), 3 * cols, 1);
        x[3] = Float.NEGATIVE_INFINITY;
        x[30] = Float.NEGATIVE_INFINITY;
        Arrays.fill(x, cols, 2 * cols, Float.NEGATIVE_INFINITY); // row 1 fully masked
        float[] y = new float[3 * cols];
        CpuRows.softmaxForward(k, x, 0, y, 0, 3, cols);
        assertEquals(0f, y[3]);
        assertEquals(0f, y[30]);
        double rowSum = 0;
        for (int c = 0; c < cols; c++) {
            rowSum += y[c];
            assertEquals(0f, y[cols + c], "a fully masked row is defined as zeros");
        }
        assertEquals(1.0, rowSum, 1e-6);
        float[] dy = gaussian(new Random(25), 3 * cols, 1);
        float[] dx = new float[3 * cols];
        CpuRows.softmaxBackward(k, y, 0, dy, 0, dx, 0, 3, cols);
        assertEquals(0f, dx[3], 0f);
        for (int c = 0; c < cols; c++) {
            assertEquals(0f, dx[cols + c], 0f);
        }
        float[] ly = new float[3 * cols];
        CpuRows.logSoftmaxForward(k, x, 0, ly, 0, 3, cols);
        assertEquals(Float.NEGATIVE_INFINITY, ly[3]);
        for (int c = 0; c < cols; c++) {
            assertEquals(Float.NEGATIVE_INFINITY, ly[cols + c]);
        }
        CpuRows.logSoftmaxBackward(k, ly, 0, dy, 0, dx, 0, 3, cols);
        for (int c = 0; c < cols; c++) {
            assertEquals(dy[cols + c], dx[cols + c], "log-softmax of a fully masked row passes dy through");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"scalar", "vector"})
    void softmaxMatchesTorch(String which) {
        CpuRows.Kernels k = kernels(which);
        float[] x = golden("softmax_x");
        float[] dy = golden("softmax_dy");
        int rows = 7;
        int cols = 33;
        float[] y = new float[rows * cols];
        float[] dx = new float[rows * cols];
        CpuRows.softmaxForward(k, x, 0, y, 0, rows, cols);
        assertClose("softmax vs torch " + which, golden("softmax_y"), y, 1e-7, 2e-6);
        CpuRows.softmaxBackward(k, y, 0, dy, 0, dx, 0, rows, cols);
        assertClose("softmax grad vs torch " + which, golden("softmax_dx"), dx, 1e-6, 1e-5);
        CpuRows.logSoftmaxForward(k, x, 0, y, 0, rows, cols);
        assertClose("logSoftmax vs torch " + which, golden("log_softmax_y"), y, 1e-6, 1e-6);
        CpuRows.logSoftmaxBackward(k, y, 0, dy, 0, dx, 0, rows, cols);
        assertClose("logSoftmax grad vs torch " + which, golden("log_softmax_dx"), dx, 1e-6, 1e-5);
    }

    // ---- layer norm ----

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"scalar", "vector"})
    void layerNormForwardMatchesReference(String which) {
        CpuRows.Kernels k = kernels(which);
        Random rnd = new Random(26);
        for (int[] s : SHAPES) {
            int rows = s[0];
            int cols = s[1];
            float[] x = gaussian(rnd, rows * cols + 2, 2);
            for (int i = 0; i < x.length; i++) {
                x[i] += 3f; // an offset mean, which a one-pass variance would lose precision on
            }
            float[] gamma = gaussian(rnd, cols, 1);
            float[] beta = gaussian(rnd, cols, 1);
            for (boolean affine : new boolean[] {true, false}) {
                float[] y = new float[rows * cols + 1];
                float[] mean = new float[rows];
                float[] rstd = new float[rows];
                CpuRows.layerNormForward(k, x, 2, affine ? gamma : null, affine ? beta : null, 1e-5f, rows, cols, y, 1,
                        mean, rstd);
                double[] xd = toDouble(Arrays.copyOfRange(x, 2, x.length));
                double[] expected = layerNormRef(xd, affine ? toDouble(gamma) : null, affine ? toDouble(beta) : null,
                        1e-5, rows, cols);
                String what = "layerNorm " + rows + "x" + cols + (affine ? " affine " : " ") + which;
                assertClose(what, expected, y, 1, rows * cols, 4e-6, 4e-6);
                for (int r = 0; r < rows; r++) {
                    double m = 0;
                    for (int c = 0; c < cols; c++) {
                        m += xd[r * cols + c];
                    }
                    assertClose(what + " mean row " + r, m / cols, mean[r], 1e-6, 1e-6);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"scalar", "vector"})
    void layerNormBackwardMatchesFiniteDifferences(String which) {
        CpuRows.Kernels k = kernels(which);
        Random rnd = new Random(27);
        for (int[] s : new int[][] {{3, 17}, {2, 300}, {4, 3}, {1, 2}}) {
            int rows = s[0];
            int cols = s[1];
            float[] x = gaussian(rnd, rows * cols, 1.5);
            float[] gamma = gaussian(rnd, cols, 1);
            float[] beta = gaussian(rnd, cols, 1);
            float[] dy = gaussian(rnd, rows * cols, 1);
            float eps = 1e-5f;
            float[] y = new float[rows * cols];
            float[] mean = new float[rows];
            float[] rstd = new float[rows];
            CpuRows.layerNormForward(k, x, 0, gamma, beta, eps, rows, cols, y, 0, mean, rstd);
            float[] dx = new float[rows * cols];
            float[] dGamma = new float[cols];
            float[] dBeta = new float[cols];
            Arrays.fill(dGamma, 0.5f); // accumulated into, not overwritten
            CpuRows.layerNormBackward(k, x, 0, gamma, mean, rstd, dy, 0, rows, cols, dx, 0, dGamma, dBeta);
            double[] w = toDouble(dy);
            double[] xd = toDouble(x);
            double[] gd = toDouble(gamma);
            double[] bd = toDouble(beta);
            String what = "layerNorm backward " + rows + "x" + cols + " " + which;
            double[] fdX = RowsTestSupport.numericGradient(
                    v -> RowsTestSupport.dot(w, layerNormRef(v, gd, bd, eps, rows, cols)), xd, H);
            // two columns: y is +-1 up to eps, so dx is a float cancellation of nearly equal terms
            assertClose(what + " dx", fdX, dx, 4e-6, cols <= 2 ? 2e-4 : 4e-5);
            double[] fdGamma = RowsTestSupport.numericGradient(
                    v -> RowsTestSupport.dot(w, layerNormRef(xd, v, bd, eps, rows, cols)), gd, H);
            for (int c = 0; c < cols; c++) {
                fdGamma[c] += 0.5;
            }
            assertClose(what + " dGamma", fdGamma, dGamma, 2e-5, 2e-5);
            double[] fdBeta = RowsTestSupport.numericGradient(
                    v -> RowsTestSupport.dot(w, layerNormRef(xd, gd, v, eps, rows, cols)), bd, H);
            assertClose(what + " dBeta", fdBeta, dBeta, 2e-5, 2e-5);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"scalar", "vector"})
    void layerNormParameterGradientsOverManyRows(String which) {
        CpuRows.Kernels k = kernels(which);
        Random rnd = new Random(28);
        int rows = 5000;
        int cols = 24;
        float[] x = gaussian(rnd, rows * cols, 1);
        float[] dy = gaussian(rnd, rows * cols, 1);
        float[] mean = new float[rows];
        float[] rstd = new float[rows];
        float[] y = new float[rows * cols];
        CpuRows.layerNormForward(k, x, 0, null, null, 1e-5f, rows, cols, y, 0, mean, rstd);
        float[] dx = new float[rows * cols];
        float[] dGamma = new float[cols];
        float[] dBeta = new float[cols];
        CpuRows.layerNormBackward(k, x, 0, null, mean, rstd, dy, 0, rows, cols, dx, 0, dGamma, dBeta);
        double[] eg = new double[cols];
        double[] eb = new double[cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                eg[c] += (double) dy[r * cols + c] * y[r * cols + c]; // y is xhat without affine
                eb[c] += dy[r * cols + c];
            }
        }
        assertClose("dGamma over " + rows + " rows " + which, eg, dGamma, 1e-4, 1e-5);
        assertClose("dBeta over " + rows + " rows " + which, eb, dBeta, 1e-4, 1e-5);
        float[] dGamma2 = new float[cols];
        float[] dBeta2 = new float[cols];
        float[] dx2 = new float[rows * cols];
        CpuRows.layerNormBackward(k, x, 0, null, mean, rstd, dy, 0, rows, cols, dx2, 0, dGamma2, dBeta2);
        assertArrayEquals(dGamma, dGamma2, "deterministic");
        assertArrayEquals(dBeta, dBeta2, "deterministic");
        assertArrayEquals(dx, dx2, "deterministic");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"scalar", "vector"})
    void layerNormWithOneColumn(String which) {
        CpuRows.Kernels k = kernels(which);
        float[] x = {3f, -2f, 7f};
        float[] gamma = {2f};
        float[] beta = {0.25f};
        float[] y = new float[3];
        float[] mean = new float[3];
        float[] rstd = new float[3];
        CpuRows.layerNormForward(k, x, 0, gamma, beta, 1e-5f, 3, 1, y, 0, mean, rstd);
        assertArrayEquals(new float[] {0.25f, 0.25f, 0.25f}, y, "a single column normalises to beta");
        assertArrayEquals(x, mean);
        assertEquals((float) (1 / Math.sqrt(1e-5f)), rstd[0], 1e-2f);
        float[] dy = {1f, 2f, -4f};
        float[] dx = new float[3];
        float[] dGamma = new float[1];
        float[] dBeta = new float[1];
        CpuRows.layerNormBackward(k, x, 0, gamma, mean, rstd, dy, 0, 3, 1, dx, 0, dGamma, dBeta);
        assertArrayEquals(new float[] {0f, 0f, 0f}, dx);
        assertEquals(0f, dGamma[0]);
        assertEquals(-1f, dBeta[0]);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"scalar", "vector"})
    void layerNormMatchesTorch(String which) {
        CpuRows.Kernels k = kernels(which);
        int rows = 6;
        int cols = 40;
        float[] x = golden("ln_x");
        float[] gamma = golden("ln_gamma");
        float[] beta = golden("ln_beta");
        float[] dy = golden("ln_dy");
        float[] y = new float[rows * cols];
        float[] mean = new float[rows];
        float[] rstd = new float[rows];
        CpuRows.layerNormForward(k, x, 0, gamma, beta, 1e-5f, rows, cols, y, 0, mean, rstd);
        assertClose("layer_norm vs torch " + which, golden("ln_y"), y, 2e-6, 2e-6);
        assertClose("mean vs torch " + which, golden("ln_mean"), mean, 1e-6, 1e-6);
        assertClose("rstd vs torch " + which, golden("ln_rstd"), rstd, 1e-6, 2e-6);
        float[] dx = new float[rows * cols];
        float[] dGamma = new float[cols];
        float[] dBeta = new float[cols];
        CpuRows.layerNormBackward(k, x, 0, gamma, mean, rstd, dy, 0, rows, cols, dx, 0, dGamma, dBeta);
        assertClose("layer_norm dx vs torch " + which, golden("ln_dx"), dx, 2e-6, 1e-5);
        assertClose("layer_norm dgamma vs torch " + which, golden("ln_dgamma"), dGamma, 2e-6, 1e-5);
        assertClose("layer_norm dbeta vs torch " + which, golden("ln_dbeta"), dBeta, 2e-6, 1e-5);
    }

    // ---- L2 normalisation ----

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"scalar", "vector"})
    void l2NormalizeMatchesReferenceAndFiniteDifferences(String which) {
        CpuRows.Kernels k = kernels(which);
        Random rnd = new Random(29);
        float eps = 1e-3f;
        for (int[] s : SHAPES) {
            int rows = s[0];
            int cols = s[1];
            float[] x = gaussian(rnd, rows * cols, 1);
            if (rows > 1) {
                for (int c = 0; c < cols; c++) {
                    x[cols + c] *= 1e-6f; // row 1 below eps: the clamped branch
                }
            }
            float[] y = new float[rows * cols];
            float[] norm = new float[rows];
            CpuRows.l2NormalizeForward(k, x, 0, eps, rows, cols, y, 0, norm);
            double[] xd = toDouble(x);
            String what = "l2Normalize " + rows + "x" + cols + " " + which;
            assertClose(what, l2Ref(xd, eps, rows, cols), y, 1e-7, 2e-6);
            if ((long) rows * cols <= 1000) {
                float[] dy = gaussian(rnd, rows * cols, 1);
                for (boolean savedNorm : new boolean[] {true, false}) {
                    float[] dx = new float[rows * cols];
                    CpuRows.l2NormalizeBackward(k, x, 0, savedNorm ? norm : null, eps, dy, 0, rows, cols, dx, 0);
                    double[] w = toDouble(dy);
                    double h = 1e-9; // the clamped row has entries of order 1e-6
                    double[] fd = RowsTestSupport.numericGradient(v -> RowsTestSupport.dot(w, l2Ref(v, eps, rows, cols)),
                            xd, h);
                    assertClose(what + " backward", fd, dx, 1e-5, 1e-5);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"scalar", "vector"})
    void l2NormalizeMatchesTorch(String which) {
        CpuRows.Kernels k = kernels(which);
        int rows = 5;
        int cols = 16;
        float[] x = golden("l2_x");
        float[] y = new float[rows * cols];
        float[] norm = new float[rows];
        CpuRows.l2NormalizeForward(k, x, 0, 1e-12f, rows, cols, y, 0, norm);
        assertClose("normalize vs torch " + which, golden("l2_y"), y, 1e-7, 2e-6);
        float[] dx = new float[rows * cols];
        CpuRows.l2NormalizeBackward(k, x, 0, norm, 1e-12f, golden("l2_dy"), 0, rows, cols, dx, 0);
        assertClose("normalize grad vs torch " + which, golden("l2_dx"), dx, 1e-6, 1e-5);
    }

    @Test
    void loadsTheVectorKernelsWhenTheModuleIsPresent() {
        RowsTestSupport.assumeVector();
        Assumptions.assumeFalse(Boolean.getBoolean("mettle.scalar"), "-Dmettle.scalar=true set");
        assertEquals(VectorRows.class, CpuRows.KERNELS.getClass(), "VectorSupport.load must find VectorRows by name");
    }

    @Test
    void layerNormBackwardWithoutSavedStatisticsSaysWhatIsMissing() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> CpuRows.layerNormBackward(new float[6], 0, null, null, new float[2], new float[6], 0, 2, 3,
                        new float[6], 0, null, null));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("mean and rstd"), e.getMessage());
    }
}
