package org.mettle.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mettle.backend.cuda.CudaTestSupport.BF16_TOL;
import static org.mettle.backend.cuda.CudaTestSupport.F32_TOL;
import static org.mettle.backend.cuda.CudaTestSupport.assertClose;
import static org.mettle.backend.cuda.CudaTestSupport.empty;
import static org.mettle.backend.cuda.CudaTestSupport.pair;
import static org.mettle.backend.cuda.CudaTestSupport.randn;
import static org.mettle.backend.cuda.CudaTestSupport.uniform;
import static org.mettle.backend.cuda.CudaTestSupport.zeros;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.backend.BinaryOp;
import org.mettle.backend.ConvGeometry;
import org.mettle.backend.Interpolation;
import org.mettle.backend.UnaryOp;
import org.mettle.backend.cuda.CudaTestSupport.Pair;
import org.mettle.tensor.DType;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;

/** Every CUDA primitive against the CPU backend on random inputs with odd, non-multiple-of-tile shapes. */
class CudaBackendTest {
    private static CudaBackend gpu;
    private static final Backend CPU = Backends.cpu();
    private final Random r = new Random(20261126L);

    /** Per test, so that each test is reported as skipped with the reason when CUDA is unusable. */
    @BeforeEach
    void requireCuda() {
        gpu = CudaTestSupport.cudaOrSkip();
    }

    @Test
    void gemmAllTransposesAndOddShapes() {
        int[][] mnk = {{1, 1, 1}, {37, 129, 65}, {130, 7, 300}, {128, 128, 128}, {257, 61, 9}, {5, 300, 0}};
        for (int[] s : mnk) {
            for (int ta = 0; ta < 2; ta++) {
                for (int tb = 0; tb < 2; tb++) {
                    int m = s[0], n = s[1], k = s[2], batch = 3;
                    boolean transA = ta == 1, transB = tb == 1;
                    try (Pair a = randn(gpu, r, batch, m * Math.max(k, 1)); Pair b = randn(gpu, r, m * 0 + Math.max(k, 1) * n);
                         Pair c = randn(gpu, r, batch, m * n)) {
                        // a batched, b broadcast (stride 0), beta != 0
                        CPU.gemm(transA, transB, batch, m, n, k, 0.75f, a.cpu(), m * k, b.cpu(), 0, 0.5f, c.cpu(), m * n);
                        gpu.gemm(transA, transB, batch, m, n, k, 0.75f, a.gpu(), m * k, b.gpu(), 0, 0.5f, c.gpu(), m * n);
                        assertClose("gemm " + Arrays.toString(s) + " tA=" + ta + " tB=" + tb, c, F32_TOL * Math.max(1, Math.sqrt(k)));
                    }
                }
            }
        }
    }

    @Test
    void gemmBf16AgainstCpuOnRoundedInputs() {
        int m = 67, n = 131, k = 97;
        try (Pair a = randn(gpu, r, m, k); Pair b = randn(gpu, r, k, n); Pair c = empty(gpu, DType.F32, m, n);
             Tensor a16 = Tensor.empty(gpu, Shape.of(m, k), DType.BF16); Tensor b16 = Tensor.empty(gpu, Shape.of(k, n), DType.BF16);
             Tensor c16 = Tensor.empty(gpu, Shape.of(m, n), DType.BF16); Tensor cf = Tensor.empty(gpu, Shape.of(m, n), DType.F32)) {
            gpu.convert(a.gpu(), a16);
            gpu.convert(b.gpu(), b16);
            try (Tensor ar = Tensor.of(CPU, gpu.readFloats(a16), m, k); Tensor br = Tensor.of(CPU, gpu.readFloats(b16), k, n)) {
                CPU.gemm(false, false, 1, m, n, k, 1f, ar, 0, br, 0, 0f, c.cpu(), 0);
            }
            gpu.gemm(false, false, 1, m, n, k, 1f, a16, 0, b16, 0, 0f, c16, 0);
            gpu.gemm(false, false, 1, m, n, k, 1f, a16, 0, b16, 0, 0f, cf, 0);
            assertClose("gemm bf16 -> f32", c.cpu(), cf, 1e-4 * Math.sqrt(k));
            assertClose("gemm bf16 -> bf16", c.cpu(), c16, BF16_TOL);
        }
    }

    @Test
    void binaryOpsWithBroadcasting() {
        int[][][] shapes = {{{7, 3}, {7, 3}}, {{3, 1, 5}, {4, 1}}, {{2, 3, 4, 5}, {5}}, {{2, 1, 4, 1}, {1, 3, 1, 5}},
            {{}, {3, 2}}, {{2, 1, 3, 1, 5}, {4, 3, 1, 1}}};
        for (BinaryOp op : BinaryOp.values()) {
            for (int[][] s : shapes) {
                int[] out = Shape.broadcast(Shape.of(s[0]), Shape.of(s[1])).dims();
                try (Pair a = uniform(gpu, r, 0.5, 2, s[0]); Pair b = uniform(gpu, r, 0.5, 2, s[1]); Pair o = empty(gpu, DType.F32, out)) {
                    CPU.binary(op, a.cpu(), b.cpu(), o.cpu());
                    gpu.binary(op, a.gpu(), b.gpu(), o.gpu());
                    assertClose("binary " + op + " " + Arrays.deepToString(s), o, F32_TOL);
                }
            }
            try (Pair a = uniform(gpu, r, 0.5, 2, 5, 33); Pair o = empty(gpu, DType.F32, 5, 33)) {
                CPU.binaryScalar(op, a.cpu(), 1.25f, o.cpu());
                gpu.binaryScalar(op, a.gpu(), 1.25f, o.gpu());
                assertClose("binaryScalar " + op, o, F32_TOL);
            }
        }
    }

    @Test
    void unaryOpsAndBackward() {
        for (UnaryOp op : UnaryOp.values()) {
            boolean positive = op == UnaryOp.LOG || op == UnaryOp.SQRT || op == UnaryOp.RSQRT || op == UnaryOp.RECIPROCAL;
            try (Pair x = positive ? uniform(gpu, r, 0.2, 3, 3, 333) : randn(gpu, r, 3, 333); Pair y = empty(gpu, DType.F32, 3, 333);
                 Pair dy = randn(gpu, r, 3, 333); Pair dx = empty(gpu, DType.F32, 3, 333)) {
                CPU.unary(op, x.cpu(), y.cpu());
                gpu.unary(op, x.gpu(), y.gpu());
                assertClose("unary " + op, y, F32_TOL);
                CPU.unaryBackward(op, x.cpu(), y.cpu(), dy.cpu(), dx.cpu());
                gpu.unaryBackward(op, x.gpu(), y.gpu(), dy.gpu(), dx.gpu());
                assertClose("unaryBackward " + op, dx, F32_TOL);
            }
        }
    }

    @Test
    void fillAxpbyConvertCopy() {
        try (Pair x = randn(gpu, r, 1001); Pair y = randn(gpu, r, 1001)) {
            CPU.axpby(0.5f, x.cpu(), -2f, y.cpu());
            gpu.axpby(0.5f, x.gpu(), -2f, y.gpu());
            assertClose("axpby", y, F32_TOL);
            CPU.fill(y.cpu(), 3.5f);
            gpu.fill(y.gpu(), 3.5f);
            assertClose("fill", y, 0);
            try (Tensor h = Tensor.empty(gpu, Shape.of(1001), DType.BF16); Tensor back = Tensor.empty(gpu, Shape.of(1001), DType.F32)) {
                gpu.convert(x.gpu(), h);
                gpu.convert(h, back);
                float[] expected = x.cpu().toFloatArray();
                for (int i = 0; i < expected.length; i++) {
                    expected[i] = CudaBackend.fromBf16(CudaBackend.toBf16(expected[i]));
                }
                assertClose("f32 -> bf16 -> f32", expected, back.toFloatArray(), 0);
            }
        }
        // transpose, packed-qkv read, and a gapped destination (host fallback)
        int b = 2, h = 3, n = 5, d = 7;
        int[][][] cases = {
            {{b, h, n, d}, {n * 3 * h * d, d, 3 * h * d, 1}, {h * n * d, n * d, d, 1}},
            {{b, h, n, d}, {h * n * d, n * d, d, 1}, {n * 3 * h * d, d, 3 * h * d, 1}},
            {{b * h, n * d}, {1, b * h}, {n * d, 1}},
        };
        for (int[][] c : cases) {
            try (Pair src = randn(gpu, r, 3 * b * h * n * d); Pair dst = zeros(gpu, 3 * b * h * n * d)) {
                CPU.copyStrided(c[0], src.cpu(), 3, c[1], dst.cpu(), 1, c[2]);
                gpu.copyStrided(c[0], src.gpu(), 3, c[1], dst.gpu(), 1, c[2]);
                assertClose("copyStrided " + Arrays.deepToString(c), dst, 0);
            }
        }
    }

    @Test
    void reductions() {
        int[][][] cases = {{{7, 33}, {33}}, {{7, 33}, {7, 1}}, {{2, 3, 4, 5, 6}, {3, 1, 5, 1}}, {{1000}, {1}}, {{4, 5}, {4, 5}}};
        for (int[][] c : cases) {
            try (Pair x = randn(gpu, r, c[0]); Pair o = empty(gpu, DType.F32, c[1])) {
                CPU.sumTo(x.cpu(), o.cpu());
                gpu.sumTo(x.gpu(), o.gpu());
                assertClose("sumTo " + Arrays.deepToString(c), o, F32_TOL);
            }
        }
        try (Pair x = randn(gpu, r, 9, 37); Pair m = empty(gpu, DType.F32, 9); Pair a = empty(gpu, DType.I32, 9)) {
            CPU.maxLastAxis(x.cpu(), m.cpu(), a.cpu());
            gpu.maxLastAxis(x.gpu(), m.gpu(), a.gpu());
            assertClose("max", m, 0);
            assertClose("argmax", a, 0);
        }
    }

    @Test
    void rowOps() {
        for (int c : new int[] {1, 33, 1000}) {
            try (Pair x = randn(gpu, r, 13, c); Pair y = empty(gpu, DType.F32, 13, c); Pair dy = randn(gpu, r, 13, c);
                 Pair dx = empty(gpu, DType.F32, 13, c)) {
                CPU.softmax(x.cpu(), y.cpu());
                gpu.softmax(x.gpu(), y.gpu());
                assertClose("softmax C=" + c, y, F32_TOL);
                CPU.softmaxBackward(y.cpu(), dy.cpu(), dx.cpu());
                gpu.softmaxBackward(y.gpu(), dy.gpu(), dx.gpu());
                assertClose("softmaxBackward C=" + c, dx, F32_TOL);
                CPU.logSoftmax(x.cpu(), y.cpu());
                gpu.logSoftmax(x.gpu(), y.gpu());
                assertClose("logSoftmax C=" + c, y, F32_TOL);
                long fallbacks = gpu.fallbackCount();
                CPU.l2Normalize(x.cpu(), 1e-12f, y.cpu());
                gpu.l2Normalize(x.gpu(), 1e-12f, y.gpu());
                assertClose("l2Normalize C=" + c, y, F32_TOL);
                CPU.l2NormalizeBackward(x.cpu(), 1e-12f, dy.cpu(), dx.cpu());
                gpu.l2NormalizeBackward(x.gpu(), 1e-12f, dy.gpu(), dx.gpu());
                assertClose("l2NormalizeBackward C=" + c, dx, F32_TOL);
                assertEquals(fallbacks, gpu.fallbackCount(), "l2Normalize and its backward have kernels");
            }
        }
        // a zero row: the norm is clamped to eps (y = 0, dx = dy / eps)
        try (Pair x = randn(gpu, r, 3, 40); Pair y = empty(gpu, DType.F32, 3, 40); Pair dy = randn(gpu, r, 3, 40);
             Pair dx = empty(gpu, DType.F32, 3, 40)) {
            float[] v = x.cpu().toFloatArray();
            java.util.Arrays.fill(v, 40, 80, 0f);
            CPU.write(x.cpu(), v);
            gpu.write(x.gpu(), v);
            CPU.l2Normalize(x.cpu(), 1e-3f, y.cpu());
            gpu.l2Normalize(x.gpu(), 1e-3f, y.gpu());
            assertClose("l2Normalize with a zero row", y, F32_TOL);
            CPU.l2NormalizeBackward(x.cpu(), 1e-3f, dy.cpu(), dx.cpu());
            gpu.l2NormalizeBackward(x.gpu(), 1e-3f, dy.gpu(), dx.gpu());
            assertClose("l2NormalizeBackward with a zero row", dx, F32_TOL);
        }
        for (boolean affine : new boolean[] {true, false}) {
            int rows = 77, c = 129;
            try (Pair x = randn(gpu, r, rows, c); Pair g = randn(gpu, r, c); Pair be = randn(gpu, r, c); Pair y = empty(gpu, DType.F32, rows, c);
                 Pair mean = empty(gpu, DType.F32, rows); Pair rstd = empty(gpu, DType.F32, rows); Pair dy = randn(gpu, r, rows, c);
                 Pair dx = empty(gpu, DType.F32, rows, c); Pair dg = randn(gpu, r, c); Pair db = randn(gpu, r, c)) {
                CPU.layerNorm(x.cpu(), affine ? g.cpu() : null, affine ? be.cpu() : null, 1e-5f, y.cpu(), mean.cpu(), rstd.cpu());
                gpu.layerNorm(x.gpu(), affine ? g.gpu() : null, affine ? be.gpu() : null, 1e-5f, y.gpu(), mean.gpu(), rstd.gpu());
                assertClose("layerNorm y", y, F32_TOL);
                assertClose("layerNorm rstd", rstd, F32_TOL);
                CPU.layerNormBackward(x.cpu(), affine ? g.cpu() : null, mean.cpu(), rstd.cpu(), dy.cpu(), dx.cpu(), affine ? dg.cpu() : null, affine ? db.cpu() : null);
                gpu.layerNormBackward(x.gpu(), affine ? g.gpu() : null, mean.gpu(), rstd.gpu(), dy.gpu(), dx.gpu(), affine ? dg.gpu() : null, affine ? db.gpu() : null);
                assertClose("layerNorm dx", dx, F32_TOL);
                assertClose("layerNorm dgamma (accumulated)", dg, F32_TOL);
                assertClose("layerNorm dbeta (accumulated)", db, F32_TOL);
            }
        }
    }

    @Test
    void spatialOps() {
        ConvGeometry g = new ConvGeometry(3, 13, 11, 3, 2, 2, 1, 1, 0, 1, 2);
        int cols = g.outHeight() * g.outWidth();
        try (Pair x = randn(gpu, r, 2, 3, 13, 11); Pair col = empty(gpu, DType.F32, g.patchSize(), cols); Pair dx = randn(gpu, r, 2, 3, 13, 11)) {
            CPU.im2col(x.cpu(), 1, g, col.cpu());
            gpu.im2col(x.gpu(), 1, g, col.gpu());
            assertClose("im2col", col, 0);
            CPU.col2im(col.cpu(), g, dx.cpu(), 1);
            gpu.col2im(col.gpu(), g, dx.gpu(), 1);
            assertClose("col2im (accumulated)", dx, F32_TOL);
        }
        for (Interpolation mode : Interpolation.values()) {
            for (boolean align : new boolean[] {false, true}) {
                try (Pair x = randn(gpu, r, 2, 3, 7, 9); Pair y = empty(gpu, DType.F32, 2, 3, 12, 5); Pair dx = randn(gpu, r, 2, 3, 7, 9)) {
                    CPU.interpolate(mode, align, x.cpu(), y.cpu());
                    gpu.interpolate(mode, align, x.gpu(), y.gpu());
                    assertClose("interpolate " + mode + " align=" + align, y, F32_TOL);
                    CPU.interpolateBackward(mode, align, y.cpu(), dx.cpu());
                    gpu.interpolateBackward(mode, align, y.gpu(), dx.gpu());
                    assertClose("interpolateBackward " + mode + " align=" + align, dx, F32_TOL);
                }
            }
        }
        ConvGeometry p = new ConvGeometry(3, 9, 8, 3, 3, 2, 2, 1, 1, 1, 1);
        try (Pair x = randn(gpu, r, 2, 3, 9, 8); Pair y = empty(gpu, DType.F32, 2, 3, p.outHeight(), p.outWidth());
             Pair am = empty(gpu, DType.I32, 2, 3, p.outHeight(), p.outWidth()); Pair dx = zeros(gpu, 2, 3, 9, 8)) {
            CPU.maxPool2d(x.cpu(), p, y.cpu(), am.cpu());
            gpu.maxPool2d(x.gpu(), p, y.gpu(), am.gpu());
            assertClose("maxPool2d", y, 0);
            CPU.maxPool2dBackward(y.cpu(), am.cpu(), dx.cpu());
            gpu.maxPool2dBackward(y.gpu(), am.gpu(), dx.gpu());
            assertClose("maxPool2dBackward", dx, F32_TOL);
            CPU.avgPool2d(x.cpu(), p, false, y.cpu());
            gpu.avgPool2d(x.gpu(), p, false, y.gpu());
            assertClose("avgPool2d", y, F32_TOL);
        }
    }

    @Test
    void lossesAndAdamW() {
        int rows = 37, classes = 1001;
        int[] t = new int[rows];
        for (int i = 0; i < rows; i++) {
            t[i] = i % 5 == 0 ? -100 : r.nextInt(classes);
        }
        for (float smoothing : new float[] {0f, 0.1f}) {
            try (Pair logits = randn(gpu, r, rows, classes); Pair targets = CudaTestSupport.ints(gpu, t, rows);
                 Pair loss = empty(gpu, DType.F32, 1); Pair d = empty(gpu, DType.F32, rows, classes)) {
                CPU.crossEntropy(logits.cpu(), targets.cpu(), -100, smoothing, null, loss.cpu(), d.cpu());
                gpu.crossEntropy(logits.gpu(), targets.gpu(), -100, smoothing, null, loss.gpu(), d.gpu());
                assertClose("crossEntropy loss smoothing=" + smoothing, loss, F32_TOL);
                assertClose("crossEntropy dlogits smoothing=" + smoothing, d, F32_TOL);
            }
        }
        try (Pair x = randn(gpu, r, 9, 527); Pair y = uniform(gpu, r, 0, 1, 9, 527); Pair loss = empty(gpu, DType.F32, 1);
             Pair d = empty(gpu, DType.F32, 9, 527)) {
            CPU.bceWithLogits(x.cpu(), y.cpu(), null, null, loss.cpu(), d.cpu());
            gpu.bceWithLogits(x.gpu(), y.gpu(), null, null, loss.gpu(), d.gpu());
            assertClose("bce loss", loss, F32_TOL);
            assertClose("bce dlogits", d, F32_TOL);
        }
        try (Pair p = randn(gpu, r, 1234); Pair g = randn(gpu, r, 1234); Pair m = randn(gpu, r, 1234); Pair v = uniform(gpu, r, 0, 1, 1234)) {
            for (int step = 1; step <= 3; step++) {
                CPU.adamW(p.cpu(), g.cpu(), m.cpu(), v.cpu(), 1e-3f, 0.9f, 0.999f, 1e-8f, 0.05f, step);
                gpu.adamW(p.gpu(), g.gpu(), m.gpu(), v.gpu(), 1e-3f, 0.9f, 0.999f, 1e-8f, 0.05f, step);
            }
            assertClose("adamW p", p, 1e-5);
            assertClose("adamW m", m, 1e-5);
            assertClose("adamW v", v, 1e-5);
        }
    }

    @Test
    void gatherScatterRows() {
        int[] idx = {4, 0, 4, 2, 6};
        try (Pair src = randn(gpu, r, 7, 9); Pair i = CudaTestSupport.ints(gpu, idx, 5); Pair out = empty(gpu, DType.F32, 5, 9);
             Pair acc = randn(gpu, r, 7, 9)) {
            long fallbacks = gpu.fallbackCount();
            CPU.gatherRows(src.cpu(), i.cpu(), out.cpu());
            gpu.gatherRows(src.gpu(), i.gpu(), out.gpu());
            assertClose("gatherRows", out, 0);
            assertEquals(fallbacks, gpu.fallbackCount(), "gatherRows has a kernel");
            CPU.scatterAddRows(out.cpu(), i.cpu(), acc.cpu());
            gpu.scatterAddRows(out.gpu(), i.gpu(), acc.gpu());
            assertClose("scatterAddRows", acc, F32_TOL);
        }
    }

    @Test
    void fallbacksAreCountedAndKernelsAreNot() {
        long before = gpu.fallbackCount();
        try (Pair x = randn(gpu, r, 4, 4); Pair y = empty(gpu, DType.F32, 4, 4)) {
            gpu.unary(UnaryOp.EXP, x.gpu(), y.gpu());
            assertEquals(before, gpu.fallbackCount(), "EXP has a kernel");
            gpu.logSoftmax(x.gpu(), y.gpu());
            assertEquals(before + 1, gpu.fallbackCount(), "logSoftmax runs on the host");
        }
        assertTrue(gpu.fallbackCounts().containsKey("logSoftmax"));
    }

    @Test
    void allocatorReusesBlocksAndLedgerMatchesDevice() {
        CudaAllocator alloc = gpu.allocator();
        try (Tensor a = Tensor.empty(gpu, Shape.of(1000), DType.F32)) {
            a.toFloatArray();
        }
        long reuses = alloc.stats().reuses();
        try (Tensor b = Tensor.empty(gpu, Shape.of(1000), DType.F32)) {
            assertEquals(reuses + 1, alloc.stats().reuses(), "a freed block of the same rounded size is reused");
            CudaAllocator.MemoryCheck check = alloc.checkAgainstDevice();
            System.out.println(check.describe());
            assertTrue(check.consistent(), check.describe());
            assertTrue(check.ledgerLiveBytes() >= 4000, check.describe());
        }
        // a 64 MiB tensor gets a segment of its own, which trim() hands back once the tensor is closed
        try (Tensor big = Tensor.empty(gpu, Shape.of(16 << 20), DType.F32)) {
            big.toFloatArray();
        }
        assertTrue(alloc.trim() >= 64L << 20, "the freed 64 MiB segment goes back to the driver");
        assertEquals(0, alloc.trim(), "nothing wholly free is left");
        CudaAllocator.MemoryCheck after = alloc.checkAgainstDevice();
        assertTrue(after.consistent(), after.describe());
    }
}
