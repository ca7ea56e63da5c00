package org.mettle.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Correctness of every {@link GemmKernel} against a double-accumulated triple loop: all transpose combinations,
 * odd and degenerate sizes, alpha/beta, offsets and padded leading dimensions, and batched calls with broadcast
 * operands. Each kernel also runs with tiny cache blocks so that every blocking loop takes several trips.
 */
class GemmKernelTest {
    private static final float GUARD = 12345.5f;

    static Stream<Arguments> kernels() {
        return Stream.of(
                Arguments.of("scalar", new ScalarGemm()),
                Arguments.of("vector", new VectorGemm()),
                Arguments.of("scalar-tiny-blocks", new ScalarGemm(9, 8, 8)),
                Arguments.of("vector-tiny-blocks", new VectorGemm(9, 16, 64)));
    }

    /** Sizes with ragged edges around every tile width, GEMV-like shapes and k = 1. */
    private static final int[][] SIZES = {
        {1, 1, 1}, {7, 13, 5}, {13, 7, 63}, {63, 65, 127}, {65, 129, 7}, {127, 63, 129}, {129, 127, 65},
        {1, 129, 65}, {65, 1, 129}, {1, 1, 300}, {33, 47, 1}, {64, 64, 32},
    };

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void everyTransposeAndOddSize(String name, GemmKernel kernel) {
        int variant = 0;
        for (int[] s : SIZES) {
            for (int t = 0; t < 4; t++) {
                boolean transA = (t & 1) != 0;
                boolean transB = (t & 2) != 0;
                float alpha = variant % 2 == 0 ? 1f : 1.5f;
                float beta = variant % 3 == 0 ? 0f : -0.5f;
                check(name, kernel, transA, transB, s[0], s[1], s[2], alpha, beta, 0, 0, 0, 0, 0, 0, variant++);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void alphaAndBetaAcrossSeveralDepthSlices(String name, GemmKernel kernel) {
        float[] alphas = {1f, -2f, 0.5f};
        float[] betas = {0f, 1f, -1f, 0.25f};
        int seed = 100;
        for (float alpha : alphas) {
            for (float beta : betas) {
                check(name, kernel, seed % 2 == 0, seed % 3 == 0, 37, 45, 300, alpha, beta, 0, 0, 0, 0, 0, 0, seed++);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void offsetsAndLeadingDimensionsWiderThanTheMatrix(String name, GemmKernel kernel) {
        int seed = 200;
        for (int t = 0; t < 4; t++) {
            boolean transA = (t & 1) != 0;
            boolean transB = (t & 2) != 0;
            check(name, kernel, transA, transB, 29, 35, 41, 1.25f, 0.5f, 3, 5, 7, 2, 11, 9, seed++);
            check(name, kernel, transA, transB, 70, 66, 300, 1f, 0f, 1, 17, 4, 33, 2, 40, seed++);
            // lda = 1024 and ldb = 1024 (4 KiB rows): small products then pack instead of reading in place.
            check(name, kernel, transA, transB, 3, 33, transA ? 5 : 1024, 0.5f, 1f, 0, transA ? 1024 - 3 : 0,
                    0, 0, 0, 0, seed++);
            check(name, kernel, transA, transB, 9, transB ? 7 : 1024, 5, 1f, 0f, 0, 0, 0,
                    transB ? 1024 - 5 : 0, 0, 0, seed++);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void largeEnoughForThreadsAndEveryBlockingLoop(String name, GemmKernel kernel) {
        check(name, kernel, false, false, 300, 280, 600, 1f, 0f, 0, 0, 0, 0, 0, 0, 300);
        check(name, kernel, true, true, 211, 300, 517, -0.75f, 2f, 2, 3, 1, 5, 4, 6, 301);
    }

    /**
     * Few rows of C (a ViT's 197 tokens) take FewRowsGemm: op(A) packed whole per thread, op(B) one micro-panel
     * at a time. k = 1100 spans two depth chunks by default (three 256-deep slices each at 200 rows); the tiny
     * blocks make every slice its own chunk. Ragged columns and rows, padded leading dimensions, beta != 0.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void fewRowsProductsAtTransformerShapes(String name, GemmKernel kernel) {
        check(name, kernel, false, true, 197, 330, 768, 1f, 0f, 0, 0, 0, 0, 0, 0, 400);
        check(name, kernel, false, true, 197, 97, 1100, 1.5f, 0.5f, 3, 2, 5, 1, 7, 3, 401);
        check(name, kernel, true, false, 61, 140, 520, -1f, 1f, 0, 0, 0, 0, 0, 0, 402);
        check(name, kernel, true, true, 256, 200, 300, 1f, 0f, 1, 4, 0, 0, 2, 5, 403);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void betaZeroNeverReadsC(String name, GemmKernel kernel) {
        int[][] sizes = {{1, 1, 1}, {9, 33, 17}, {65, 63, 300}, {130, 70, 20}};
        for (int[] s : sizes) {
            int m = s[0], n = s[1], k = s[2];
            float[] a = random(m * k, 1);
            float[] b = random(k * n, 2);
            float[] c = new float[m * n];
            Arrays.fill(c, Float.NaN);
            kernel.sgemm(false, true, m, n, k, 1f, a, 0, k, transpose(b, k, n), 0, k, 0f, c, 0, n);
            double[] bound = new double[m * n];
            double[] want = NaiveGemm.expected(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n, bound);
            assertClose(name + " beta=0 NaN-filled C " + m + "x" + n + "x" + k, want, bound, c, 0, n, m, n);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void emptyDepthOrZeroAlphaOnlyScalesC(String name, GemmKernel kernel) {
        int m = 5, n = 7;
        float[] c = random(m * n, 3);
        float[] original = c.clone();
        kernel.sgemm(false, false, m, n, 0, 2f, new float[0], 0, 1, new float[0], 0, n, 0.5f, c, 0, n);
        for (int i = 0; i < c.length; i++) {
            assertEquals(0.5f * original[i], c[i], 0f, name + ": k=0 must give C = beta*C at " + i);
        }
        Arrays.fill(c, Float.NaN);
        kernel.sgemm(false, false, m, n, 0, 1f, new float[0], 0, 1, new float[0], 0, n, 0f, c, 0, n);
        for (float v : c) {
            assertEquals(0f, v, 0f, name + ": k=0 with beta=0 must zero C without reading it");
        }
        float[] nanA = new float[m * 4];
        Arrays.fill(nanA, Float.NaN);
        float[] c2 = original.clone();
        kernel.sgemm(false, false, m, n, 4, 0f, nanA, 0, 4, random(4 * n, 4), 0, n, -1f, c2, 0, n);
        for (int i = 0; i < c2.length; i++) {
            assertEquals(-original[i], c2[i], 0f, name + ": alpha=0 must give C = beta*C without reading A");
        }
        kernel.sgemm(false, false, 0, n, 3, 1f, new float[0], 0, 3, random(3 * n, 5), 0, n, 0f, c2, 0, n);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void batchedWithBroadcastOperands(String name, GemmKernel kernel) {
        // {batch, m, n, k}: small items split over the batch; three big ones (m*n*k > 2^21) run one by one,
        // each on all threads.
        int[][] shapes = {{7, 13, 9, 21}, {40, 16, 16, 8}, {3, 70, 80, 90}, {3, 130, 131, 129}};
        int seed = 400;
        for (int[] s : shapes) {
            int batch = s[0], m = s[1], n = s[2], k = s[3];
            for (int mode = 0; mode < 4; mode++) {
                boolean shareA = mode == 1 || mode == 3;
                boolean shareB = mode == 2 || mode == 3;
                boolean transA = mode == 2;
                boolean transB = mode == 1;
                checkBatched(name, kernel, batch, transA, transB, m, n, k, shareA, shareB, 1.5f,
                        mode == 0 ? 0f : 0.5f, seed++);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void rejectsInconsistentArgumentsWithUsefulMessages(String name, GemmKernel kernel) {
        float[] a = new float[6], b = new float[6], c = new float[4];
        expectMessage(() -> kernel.sgemm(false, false, 2, 2, 3, 1f, a, 0, 2, b, 0, 2, 0f, c, 0, 2), "lda=2");
        expectMessage(() -> kernel.sgemm(false, false, 2, 2, 3, 1f, a, 1, 3, b, 0, 2, 0f, c, 0, 2), "holds 6");
        expectMessage(() -> kernel.sgemm(false, false, -1, 2, 3, 1f, a, 0, 3, b, 0, 2, 0f, c, 0, 2), "m=-1");
        expectMessage(() -> kernel.sgemm(false, true, 2, 2, 3, 1f, a, 0, 3, b, 0, 2, 0f, c, 0, 2), "transB");
        expectMessage(() -> kernel.sgemmBatched(2, false, false, 2, 2, 3, 1f, a, 0, 3, 0, b, 0, 2, 0,
                0f, new float[8], 0, 2, 0), "strideC=0");
        expectMessage(() -> kernel.sgemmBatched(2, false, false, 2, 2, 3, 1f, a, 0, 3, 6, b, 0, 2, 0,
                0f, new float[8], 0, 2, 4), "batch 2");
    }

    @Test
    void defaultKernelIsTheVectorOneWhenTheVectorApiIsPresent() {
        assertTrue(VectorSupport.available(), "tests run with --add-modules jdk.incubator.vector (see pom)");
        assertEquals("vector", Gemm.kernel().path());
        assertEquals("scalar", new ScalarGemm().path());
    }

    // ---------------------------------------------------------------------------------------------------------

    /**
     * Runs one sgemm with A, B and C embedded at an offset in padded arrays (leading dimension = stored width +
     * pad) and checks every element of C plus that the guard cells around it are untouched.
     */
    private static void check(String name, GemmKernel kernel, boolean transA, boolean transB, int m, int n, int k,
                              float alpha, float beta, int offA, int padA, int offB, int padB, int offC, int padC,
                              int seed) {
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        int lda = aCols + padA, ldb = bCols + padB, ldc = n + padC;
        float[] a = embed(random(aRows * aCols, seed), aRows, aCols, offA, lda);
        float[] b = embed(random(bRows * bCols, seed + 7919), bRows, bCols, offB, ldb);
        float[] c = embed(random(m * n, seed + 104729), m, n, offC, ldc);
        double[] bound = new double[m * n];
        double[] want = NaiveGemm.expected(transA, transB, m, n, k, alpha, a, offA, lda, b, offB, ldb,
                beta, c, offC, ldc, bound);
        kernel.sgemm(transA, transB, m, n, k, alpha, a, offA, lda, b, offB, ldb, beta, c, offC, ldc);
        String what = String.format("%s transA=%b transB=%b m=%d n=%d k=%d alpha=%s beta=%s lda=%d ldb=%d ldc=%d",
                name, transA, transB, m, n, k, alpha, beta, lda, ldb, ldc);
        assertClose(what, want, bound, c, offC, ldc, m, n);
        assertGuardsIntact(what, c, offC, ldc, m, n);
    }

    private static void checkBatched(String name, GemmKernel kernel, int batch, boolean transA, boolean transB,
                                     int m, int n, int k, boolean shareA, boolean shareB, float alpha, float beta,
                                     int seed) {
        int aSize = m * k, bSize = k * n;
        int strideA = shareA ? 0 : aSize + 3;
        int strideB = shareB ? 0 : bSize + 5;
        int ldc = n + 2;
        int strideC = m * ldc + 1;
        int lda = transA ? m : k, ldb = transB ? k : n;
        float[] a = random(shareA ? aSize + 1 : batch * strideA + 1, seed);
        float[] b = random(shareB ? bSize + 2 : batch * strideB + 2, seed + 1);
        float[] c = random(batch * strideC + 3, seed + 2);
        float[] before = c.clone();
        kernel.sgemmBatched(batch, transA, transB, m, n, k, alpha, a, 1, lda, strideA, b, 2, ldb, strideB,
                beta, c, 3, ldc, strideC);
        for (int i = 0; i < batch; i++) {
            double[] bound = new double[m * n];
            double[] want = NaiveGemm.expected(transA, transB, m, n, k, alpha, a, 1 + i * strideA, lda,
                    b, 2 + i * strideB, ldb, beta, before, 3 + i * strideC, ldc, bound);
            String what = String.format("%s batched item %d of %d (shareA=%b shareB=%b transA=%b transB=%b) %dx%dx%d",
                    name, i, batch, shareA, shareB, transA, transB, m, n, k);
            assertClose(what, want, bound, c, 3 + i * strideC, ldc, m, n);
        }
        for (int i = 0; i < c.length; i++) {
            int local = i - 3;
            boolean inside = local >= 0 && local % strideC < m * ldc && local % strideC % ldc < n
                    && local / strideC < batch;
            if (!inside) {
                assertEquals(before[i], c[i], 0f, name + " batched: element " + i + " outside every C changed");
            }
        }
    }

    private static void assertClose(String what, double[] want, double[] bound, float[] c, int offC, int ldc,
                                    int m, int n) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float got = c[offC + i * ldc + j];
                double w = want[i * n + j];
                assertFalse(Float.isNaN(got), what + ": NaN at (" + i + "," + j + ")");
                if (Math.abs(got - w) > bound[i * n + j]) {
                    fail(String.format("%s: C(%d,%d) = %s, expected %s (tolerance %.3g)", what, i, j, got, w,
                            bound[i * n + j]));
                }
            }
        }
    }

    private static void assertGuardsIntact(String what, float[] c, int offC, int ldc, int m, int n) {
        for (int i = 0; i < c.length; i++) {
            int local = i - offC;
            boolean inside = local >= 0 && local / ldc < m && local % ldc < n;
            if (!inside && c[i] != GUARD) {
                fail(what + ": element " + i + " outside C was overwritten with " + c[i]);
            }
        }
    }

    /** rows x cols dense values placed at offset with row stride ld; every other cell holds GUARD. */
    private static float[] embed(float[] dense, int rows, int cols, int offset, int ld) {
        float[] out = new float[offset + Math.max(0, rows - 1) * ld + cols + 3];
        Arrays.fill(out, GUARD);
        for (int r = 0; r < rows; r++) {
            System.arraycopy(dense, r * cols, out, offset + r * ld, cols);
        }
        return out;
    }

    private static float[] transpose(float[] x, int rows, int cols) {
        float[] t = new float[x.length];
        for (int r = 0; r < rows; r++) {
            for (int col = 0; col < cols; col++) {
                t[col * rows + r] = x[r * cols + col];
            }
        }
        return t;
    }

    private static float[] random(int size, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[size];
        for (int i = 0; i < size; i++) {
            x[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return x;
    }

    private static void expectMessage(Runnable call, String fragment) {
        try {
            call.run();
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().contains(fragment),
                    "message should mention '" + fragment + "': " + e.getMessage());
            return;
        }
        fail("expected IllegalArgumentException mentioning '" + fragment + "'");
    }
}
