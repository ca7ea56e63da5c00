package org.mettle.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.tensor.DType;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;

/**
 * GEMM with a BF16 B against the same kernel's F32 GEMM on the BF16-rounded values: both transposes of B (and
 * of A), ragged sizes, alpha/beta, batches with padded and broadcast strides, column blocks narrower than n
 * (several blocks, a ragged last one), products big enough for the few-rows and the general blocked loop nests,
 * the scalar kernel (the path without the Vector API) and the default one (vector where the JVM has it), and the
 * backend entry point.
 */
class Bf16WeightGemmTest {
    static Stream<Arguments> kernels() {
        return Stream.of(
                Arguments.of("scalar", new ScalarGemm()),
                Arguments.of("default (" + Gemm.kernel().path() + ")", Gemm.kernel()),
                Arguments.of("scalar-tiny-blocks", new ScalarGemm(9, 8, 8)));
    }

    /** m, n, k: ragged small ones, then few-rows (m <= 256) and general-nest products above the direct limit. */
    private static final int[][] SIZES = {
        {1, 1, 1}, {7, 13, 5}, {13, 37, 63}, {65, 129, 7}, {3, 300, 41}, {200, 170, 400}, {300, 150, 100},
    };

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void matchesF32GemmOnRoundedWeights(String name, GemmKernel kernel) {
        int seed = 1;
        for (int[] s : SIZES) {
            for (int t = 0; t < 4; t++) {
                boolean transA = (t & 1) != 0;
                boolean transB = (t & 2) != 0;
                float alpha = seed % 2 == 0 ? 1f : 0.75f;
                float beta = seed % 3 == 0 ? 0f : -0.5f;
                // default blocks (usually one), then blocks of 16 and 32 columns (several, the last ragged)
                for (int blockCols : new int[] {0, 16, 40}) {
                    int blockFloats = blockCols == 0 ? Bf16WeightGemm.DEFAULT_BLOCK_FLOATS : blockCols * s[2];
                    check(name, kernel, transA, transB, 1, s[0], s[1], s[2], alpha, beta, blockFloats, false, seed++);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void batchedWithPaddedAndBroadcastStrides(String name, GemmKernel kernel) {
        int seed = 500;
        for (boolean broadcastB : new boolean[] {false, true}) {
            for (int t = 0; t < 4; t++) {
                boolean transA = (t & 1) != 0;
                boolean transB = (t & 2) != 0;
                check(name, kernel, transA, transB, 3, 9, 21, 17, 1f, 0.5f, 16 * 17, broadcastB, seed++);
                check(name, kernel, transA, transB, 2, 40, 70, 33, -1f, 0f, Bf16WeightGemm.DEFAULT_BLOCK_FLOATS,
                        broadcastB, seed++);
            }
        }
    }

    @Test
    void backendTakesABf16WeightViewAtAnOffset() {
        Backend cpu = Backends.cpu();
        int m = 11;
        int n = 23;
        int k = 19;
        SplittableRandom r = new SplittableRandom(7);
        try (Scope scope = Scope.open()) {
            Tensor x = Tensor.of(random(r, m * k), m, k);
            Tensor stored = Tensor.of(random(r, (n + 4) * k), n + 4, k).toType(DType.BF16);
            Tensor w = stored.viewRows(4, n, Shape.of(n, k));
            Tensor wide = w.toType(DType.F32);
            Tensor want = Tensor.empty(cpu, Shape.of(m, n));
            Tensor got = Tensor.empty(cpu, Shape.of(m, n));
            cpu.gemm(false, true, 1, m, n, k, 1f, x, 0, wide, 0, 0f, want, 0);
            cpu.gemm(false, true, 1, m, n, k, 1f, x, 0, w, 0, 0f, got, 0);
            assertClose("backend gemm, BF16 view", want.toFloatArray(), got.toFloatArray(), 1e-5);

            Tensor xBf16 = x.toType(DType.BF16);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> cpu.gemm(false, true, 1, m, n, k, 1f, xBf16, 0, w, 0, 0f, got, 0));
            assertTrue(e.getMessage().contains("only the weight operand may be BF16"), e.getMessage());
            IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
                    () -> cpu.gemm(false, true, 1, m, n + 1, k, 1f, x, 0, w, 0, 0f, Tensor.empty(cpu, Shape.of(m, n + 1)), 0));
            assertTrue(small.getMessage().contains("operand B"), small.getMessage());
        }
    }

    @Test
    void bf16ViewsCopyStrided() {
        try (Scope scope = Scope.open()) {
            float[] v = random(new SplittableRandom(3), 6 * 5);
            Tensor t = Tensor.of(v, 6, 5).toType(DType.BF16);
            Tensor slice = t.slice(1, 1, 4);
            assertEquals(DType.BF16, slice.dtype());
            float[] want = t.toType(DType.F32).slice(1, 1, 4).toFloatArray();
            assertEquals(Arrays.toString(want), Arrays.toString(slice.toFloatArray()));
        }
    }

    private static void check(String name, GemmKernel kernel, boolean transA, boolean transB, int batch, int m, int n,
                              int k, float alpha, float beta, int blockFloats, boolean broadcastB, int seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int padA = 3;
        int padC = 5;
        int strideA = m * k + padA;
        int strideB = broadcastB ? 0 : n * k + 2;
        int strideC = m * n + padC;
        int offA = 2;
        int offB = 1;
        int offC = 4;
        float[] a = random(r, offA + Math.max(1, batch) * strideA);
        short[] bBits = new short[offB + (broadcastB ? 1 : batch) * Math.max(n * k, strideB) + 3];
        float[] bWide = new float[bBits.length];
        for (int i = 0; i < bBits.length; i++) {
            bBits[i] = CpuPointwise.toBf16((float) r.nextGaussian());
            bWide[i] = CpuPointwise.fromBf16(bBits[i]);
        }
        float[] c0 = random(r, offC + batch * strideC);
        float[] want = c0.clone();
        float[] got = c0.clone();
        int lda = transA ? m : k;
        int ldb = transB ? k : n;
        kernel.sgemmBatched(batch, transA, transB, m, n, k, alpha, a, offA, lda, strideA, bWide, offB, ldb, strideB,
                beta, want, offC, n, strideC);
        Bf16WeightGemm.run(kernel, transA, transB, batch, m, n, k, alpha, a, offA, strideA, bBits, offB, strideB,
                beta, got, offC, strideC, blockFloats);
        String what = String.format("%s batch=%d %dx%dx%d transA=%b transB=%b alpha=%s beta=%s block=%d%s", name,
                batch, m, n, k, transA, transB, alpha, beta, blockFloats, broadcastB ? " broadcast B" : "");
        assertClose(what, want, got, 1e-5);
    }

    private static float[] random(SplittableRandom r, int size) {
        float[] v = new float[size];
        for (int i = 0; i < size; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    /** |got - want| <= tol * max(1, max |want|) everywhere (padding included: it must be left untouched). */
    private static void assertClose(String what, float[] want, float[] got, double tol) {
        assertEquals(want.length, got.length, what);
        double scale = 1;
        for (float w : want) {
            scale = Math.max(scale, Math.abs(w));
        }
        for (int i = 0; i < want.length; i++) {
            double err = Math.abs(want[i] - got[i]);
            if (!(err <= tol * scale)) {
                fail(String.format("%s: element %d is %.8g, F32 GEMM gives %.8g", what, i, got[i], want[i]));
            }
        }
    }
}
