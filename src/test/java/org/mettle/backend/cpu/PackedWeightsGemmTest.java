package org.mettle.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link GemmKernel#packWeights} + {@link GemmKernel#sgemmPacked} against a double reference and the unpacked sgemm. */
class PackedWeightsGemmTest {
    private static final int[][] SIZES = {
        {1, 1, 1}, {7, 13, 5}, {13, 33, 300}, {65, 129, 7}, {197, 96, 520}, {3, 1, 64}, {40, 300, 33},
    };

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.mettle.backend.cpu.GemmKernelTest#kernels")
    void matchesTheReferenceForEveryLayout(String name, GemmKernel kernel) {
        Random r = new Random(3);
        int variant = 0;
        for (int[] s : SIZES) {
            for (boolean transB : new boolean[] {false, true}) {
                int m = s[0], n = s[1], k = s[2];
                int ldb = (transB ? k : n) + variant % 3; // padded rows too
                int bOff = variant % 2 * 5;
                float[] b = random(r, bOff + (transB ? n : k) * ldb);
                float[] a = random(r, m * k + 2);
                float[] c = random(r, m * n);
                float beta = variant % 3 == 0 ? 0f : variant % 3 == 1 ? 1f : 0.5f;
                float alpha = variant % 2 == 0 ? 1f : -1.5f;
                float[] packed = new float[(int) kernel.packedSize(n, k)];
                kernel.packWeights(transB, n, k, b, bOff, ldb, packed);
                float[] got = c.clone();
                kernel.sgemmPacked(m, n, k, alpha, a, 2, k, packed, beta, got, 0, n);
                double[] bound = new double[m * n];
                double[] want = NaiveGemm.expected(false, transB, m, n, k, alpha, a, 2, k, b, bOff, ldb, beta, c, 0, n, bound);
                for (int i = 0; i < want.length; i++) {
                    assertTrue(Math.abs(got[i] - want[i]) <= bound[i], name + " " + m + "x" + n + "x" + k + " transB=" + transB
                            + " element " + i + ": " + got[i] + " vs " + want[i]);
                }
                variant++;
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.mettle.backend.cpu.GemmKernelTest#kernels")
    void aLargeProductGivesTheUnpackedBits(String name, GemmKernel kernel) {
        // big enough for the blocked path in sgemm, which packs op(B) the same way per call
        Random r = new Random(5);
        int m = 197, n = 384, k = 768;
        float[] a = random(r, m * k);
        float[] w = random(r, n * k); // a Linear weight [out, in]: op(B) = W^T
        float[] packed = new float[(int) kernel.packedSize(n, k)];
        kernel.packWeights(true, n, k, w, 0, k, packed);
        float[] viaPacked = new float[m * n];
        float[] direct = new float[m * n];
        kernel.sgemmPacked(m, n, k, 1f, a, 0, k, packed, 0f, viaPacked, 0, n);
        kernel.sgemm(false, true, m, n, k, 1f, a, 0, k, w, 0, k, 0f, direct, 0, n);
        assertArrayEquals(direct, viaPacked, name);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.mettle.backend.cpu.GemmKernelTest#kernels")
    void badArgumentsSayWhat(String name, GemmKernel kernel) {
        float[] small = new float[10];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> kernel.sgemmPacked(4, 64, 16, 1f, new float[64], 0, 16, small, 0f, new float[256], 0, 64));
        assertTrue(e.getMessage().contains("packed floats"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> kernel.packWeights(true, 64, 16, new float[100], 0, 16, new float[(int) kernel.packedSize(64, 16)]));
        assertTrue(e.getMessage().contains("needs 1024 floats"), e.getMessage());
        assertEquals(0, kernel.packedSize(0, 5));
    }

    private static float[] random(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }
}
