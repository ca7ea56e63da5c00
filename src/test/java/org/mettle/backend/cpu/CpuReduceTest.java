package org.mettle.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mettle.backend.cpu.RowsTestSupport.assertClose;
import static org.mettle.backend.cpu.RowsTestSupport.uniform;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Reductions against naive double references. Sums accumulate in double, so each output must be within one float
 * rounding (plus a tiny absolute slack) of the exact double sum; max must be exact.
 */
class CpuReduceTest {
    /** {inDims, outDims} pairs: keepdim reductions and gradient un-broadcasting. */
    static final int[][][] CASES = {
        {{3, 4, 5}, {1, 4, 1}},
        {{3, 4, 5}, {3, 1, 5}},
        {{3, 4, 5}, {1, 1, 1}},
        {{3, 4, 5}, {3, 4, 1}},
        {{3, 4, 5}, {3, 4, 5}},
        {{2, 3, 4, 5}, {1, 1, 1, 5}},
        {{2, 3, 4, 5}, {2, 1, 4, 1}},
        {{2, 3, 4, 5}, {1, 3, 1, 5}},
        {{1}, {1}},
        {{17}, {1}},
        {{70001}, {1}},
        {{1000, 70}, {1, 70}},
        {{1000, 70}, {1000, 1}},
        {{7, 1000, 3}, {7, 1, 3}},
        {{40, 3, 50, 6}, {1, 3, 1, 6}},
        {{129, 2}, {1, 2}},
        {{2, 70001}, {2, 1}},
        {{300000}, {1}},
        {{1, 5, 1, 3}, {1, 1, 1, 3}},
        {{}, {}},
        {{0, 3}, {1, 3}},
        {{4, 0}, {4, 1}},
    };

    @Test
    void sumToMatchesDoubleReference() {
        Random rnd = new Random(11);
        for (int[][] c : CASES) {
            float[] x = uniform(rnd, count(c[0]) + 2, -10, 10);
            float[] out = new float[count(c[1]) + 1];
            CpuReduce.sumTo(c[0], x, 2, c[1], out, 1);
            double[] expected = reference(c[0], x, 2, c[1], false);
            assertClose("sumTo " + Arrays.toString(c[0]) + " -> " + Arrays.toString(c[1]), expected, out, 1,
                    expected.length, 1e-30, 0x1p-24);
        }
    }

    @Test
    void maxToMatchesReferenceExactly() {
        Random rnd = new Random(12);
        for (int[][] c : CASES) {
            float[] x = uniform(rnd, count(c[0]), -10, 10);
            float[] out = new float[count(c[1])];
            CpuReduce.maxTo(c[0], x, 0, c[1], out, 0);
            double[] expected = reference(c[0], x, 0, c[1], true);
            assertClose("maxTo " + Arrays.toString(c[0]) + " -> " + Arrays.toString(c[1]), expected, out, 0, 0);
        }
    }

    @Test
    void maxToPropagatesNaN() {
        float[] x = {1, Float.NaN, 3, 4, 5, 6};
        float[] out = new float[2];
        CpuReduce.maxTo(new int[] {2, 3}, x, 0, new int[] {2, 1}, out, 0);
        assertTrue(Float.isNaN(out[0]));
        assertEquals(6f, out[1]);
    }

    @Test
    void reduceRejectsShapesThatDoNotReduce() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CpuReduce.sumTo(new int[] {3, 4}, new float[12], 0, new int[] {3, 2}, new float[6], 0));
        assertTrue(e.getMessage().contains("[3, 4]") && e.getMessage().contains("[3, 2]")
                && e.getMessage().contains("axis 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> CpuReduce.sumTo(new int[] {3, 4}, new float[12], 0, new int[] {4}, new float[4], 0));
        assertTrue(e.getMessage().contains("same rank"), e.getMessage());
    }

    @Test
    void maxLastAxisTakesFirstMaxAndNaN() {
        float[] x = {
            1, 5, 5, 2,
            -3, -1, -1, -2,
            0, Float.NaN, 9, Float.NaN,
            Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY,
        };
        float[] max = new float[4];
        int[] arg = new int[4];
        CpuReduce.maxLastAxis(x, 0, 4, 4, max, arg);
        assertArrayEquals(new int[] {1, 1, 1, 0}, arg);
        assertEquals(5f, max[0]);
        assertEquals(-1f, max[1]);
        assertTrue(Float.isNaN(max[2]));
        assertEquals(Float.NEGATIVE_INFINITY, max[3]);
        Random rnd = new Random(13);
        for (int cols : new int[] {1, 3, 17, 1000}) {
            int rows = 70001 / cols + 1;
            float[] y = uniform(rnd, rows * cols + 1, -5, 5);
            float[] m = new float[rows];
            int[] a = new int[rows];
            CpuReduce.maxLastAxis(y, 1, rows, cols, m, a);
            for (int r = 0; r < rows; r++) {
                int best = 0;
                for (int c = 1; c < cols; c++) {
                    if (y[1 + r * cols + c] > y[1 + r * cols + best]) {
                        best = c;
                    }
                }
                assertEquals(best, a[r], "argmax of row " + r);
                assertEquals(y[1 + r * cols + best], m[r]);
            }
        }
    }

    @Test
    void wholeArraySumIsAccurate() {
        Random rnd = new Random(14);
        for (int n : new int[] {0, 1, 3, 17, 1000, 70001, 1_000_003}) {
            float[] x = uniform(rnd, n + 3, -1, 1);
            double expected = 0;
            for (int i = 0; i < n; i++) {
                expected += x[3 + i];
            }
            assertClose("sum n=" + n, expected, CpuReduce.sum(x, 3, n), 1e-9, 1e-12);
        }
        // cancellation that a float accumulator would get wrong: 1e8 + many small values - 1e8
        float[] y = new float[200_001];
        Arrays.fill(y, 1f);
        y[0] = 1e8f;
        y[200_000] = -1e8f;
        assertEquals(199_999.0, CpuReduce.sum(y, 0, y.length), 0.0);
    }

    /** Naive reduction: each input index adds into the output index with reduced axes set to 0. */
    static double[] reference(int[] inDims, float[] x, int xOff, int[] outDims, boolean max) {
        int outCount = count(outDims);
        double[] acc = new double[outCount];
        Arrays.fill(acc, max ? Double.NEGATIVE_INFINITY : 0.0);
        int rank = inDims.length;
        int total = count(inDims);
        int[] idx = new int[rank];
        for (int flat = 0; flat < total; flat++) {
            int rem = flat;
            for (int d = rank - 1; d >= 0; d--) {
                idx[d] = rem % inDims[d];
                rem /= inDims[d];
            }
            int o = 0;
            for (int d = 0; d < rank; d++) {
                o = o * outDims[d] + (outDims[d] == 1 ? 0 : idx[d]);
            }
            double v = x[xOff + flat];
            acc[o] = max ? Math.max(acc[o], v) : acc[o] + v;
        }
        return acc;
    }

    static int count(int[] dims) {
        int n = 1;
        for (int d : dims) {
            n *= d;
        }
        return n;
    }
}
