package org.mettle.backend.cpu;

import org.mettle.backend.UnaryOp;

import org.mettle.backend.BinaryOp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mettle.backend.cpu.RowsTestSupport.assertClose;
import static org.mettle.backend.cpu.RowsTestSupport.golden;
import static org.mettle.backend.cpu.RowsTestSupport.uniform;

import java.util.Arrays;
import java.util.Random;
import org.apache.commons.math3.special.Erf;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Pointwise kernels against naive double references, both kernel sets. Tolerances: + - * / min max and the
 * exactly rounded unary ops must equal the double result rounded to float; transcendental ops (vector math or
 * java.lang.Math) within 2e-6 relative plus 1e-6 absolute.
 */
class CpuPointwiseTest {
    static final int[] SIZES = {1, 3, 17, 1000, 70001};

    static CpuPointwise.Kernels kernels(String which) {
        if (which.equals("vector")) {
            RowsTestSupport.assumeVector();
            return new VectorPointwise();
        }
        return new ScalarPointwise();
    }

    static double refBinary(BinaryOp op, double a, double b) {
        switch (op) {
            case ADD: return a + b;
            case SUB: return a - b;
            case MUL: return a * b;
            case DIV: return a / b;
            case MAX: return Math.max(a, b);
            case MIN: return Math.min(a, b);
            case POW: return Math.pow(a, b);
            default: throw new AssertionError(op);
        }
    }

    static double refUnary(UnaryOp op, double x) {
        switch (op) {
            case NEG: return -x;
            case EXP: return Math.exp(x);
            case LOG: return Math.log(x);
            case SQRT: return Math.sqrt(x);
            case RSQRT: return 1 / Math.sqrt(x);
            case ABS: return Math.abs(x);
            case SQUARE: return x * x;
            case RECIPROCAL: return 1 / x;
            case TANH: return Math.tanh(x);
            case SIGMOID: return 1 / (1 + Math.exp(-x));
            case RELU: return Math.max(x, 0);
            case GELU: return x * 0.5 * Erf.erfc(-x / Math.sqrt(2));
            case GELU_TANH: return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            case SILU: return x / (1 + Math.exp(-x));
            default: throw new AssertionError(op);
        }
    }

    /** Inputs inside the op's domain, away from kinks (finite differences straddling 0 would be meaningless). */
    static float[] unaryInput(UnaryOp op, Random rnd, int n) {
        float[] x;
        switch (op) {
            case LOG: case SQRT: case RSQRT: x = uniform(rnd, n, 0.01, 10); break;
            case RECIPROCAL: x = uniform(rnd, n, 0.1, 5); break;
            case EXP: x = uniform(rnd, n, -20, 20); break;
            default: x = uniform(rnd, n, -8, 8);
        }
        for (int i = 0; i < n; i++) {
            if (Math.abs(x[i]) < 1e-3f) {
                x[i] = 0.5f;
            }
            if (op == UnaryOp.RECIPROCAL && (i & 1) == 1) {
                x[i] = -x[i];
            }
        }
        return x;
    }

    static boolean exactlyRounded(UnaryOp op) {
        switch (op) {
            case NEG: case ABS: case SQUARE: case RECIPROCAL: case SQRT: case RELU: return true;
            default: return false;
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"scalar", "vector"})
    void sameShapeBinaryMatchesReference(String which) {
        CpuPointwise.Kernels k = kernels(which);
        Random rnd = new Random(1);
        for (BinaryOp op : BinaryOp.values()) {
            for (int n : SIZES) {
                boolean pow = op == BinaryOp.POW;
                float[] a = pow ? uniform(rnd, n + 2, 0.05, 4) : uniform(rnd, n + 2, -4, 4);
                float[] b = pow ? uniform(rnd, n + 1, -3, 3) : uniform(rnd, n + 1, -4, 4);
                float[] out = new float[n + 3];
                int[] dims = {n};
                CpuPointwise.binary(k, op, dims, a, 2, new int[] {1}, b, 1, new int[] {1}, out, 3);
                double[] expected = new double[n];
                for (int i = 0; i < n; i++) {
                    expected[i] = refBinary(op, a[2 + i], b[1 + i]);
                }
                checkBinary(op + " n=" + n + " " + which, op, expected, out, 3);
                float[] outS = new float[n];
                CpuPointwise.binaryScalar(k, op, a, 2, b[1], outS, 0, n);
                for (int i = 0; i < n; i++) {
                    expected[i] = refBinary(op, a[2 + i], b[1]);
                }
                checkBinary(op + " scalar n=" + n + " " + which, op, expected, outS, 0);
            }
        }
    }

    static void checkBinary(String what, BinaryOp op, double[] expected, float[] out, int off) {
        if (op == BinaryOp.POW) {
            assertClose(what, expected, out, off, expected.length, 1e-30, 2e-6);
        } else {
            assertClose(what, expected, out, off, expected.length, 0, 0x1p-24); // correctly rounded
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"scalar", "vector"})
    void broadcastBinaryMatchesReference(String which) {
        CpuPointwise.Kernels k = kernels(which);
        int[][][] cases = {
            {{3, 1, 5}, {4, 1}},
            {{2, 3, 4, 5}, {5}},
            {{2, 1, 4, 1}, {1, 3, 1, 5}},
            {{}, {}},
            {{4, 5}, {}},
            {{}, {6}},
            {{1000, 70}, {70}},
            {{64, 1}, {64, 300}},
            {{8, 50, 2000}, {8, 1, 2000}},
            {{6, 1, 1, 2, 3, 1, 2, 2}, {1, 2, 3, 1, 3, 2, 1, 2}},
            {{0, 3}, {3}},
        };
        Random rnd = new Random(2);
        for (int[][] c : cases) {
            for (BinaryOp op : new BinaryOp[] {BinaryOp.ADD, BinaryOp.SUB, BinaryOp.DIV, BinaryOp.MAX, BinaryOp.POW}) {
                for (boolean swap : new boolean[] {false, true}) {
                    int[] aShape = swap ? c[1] : c[0];
                    int[] bShape = swap ? c[0] : c[1];
                    checkBroadcast(k, op, aShape, bShape, rnd, which);
                }
            }
        }
    }

    private static void checkBroadcast(CpuPointwise.Kernels k, BinaryOp op, int[] aShape, int[] bShape, Random rnd,
            String which) {
        int rank = Math.max(aShape.length, bShape.length);
        int[] aDims = align(aShape, rank);
        int[] bDims = align(bShape, rank);
        int[] outDims = new int[rank];
        for (int i = 0; i < rank; i++) {
            outDims[i] = aDims[i] == 1 ? bDims[i] : aDims[i];
        }
        boolean pow = op == BinaryOp.POW;
        float[] a = pow ? uniform(rnd, count(aDims) + 1, 0.1, 3) : uniform(rnd, count(aDims) + 1, -4, 4);
        float[] b = pow ? uniform(rnd, count(bDims), -2, 2) : uniform(rnd, count(bDims), 0.5, 4);
        int total = count(outDims);
        float[] out = new float[total];
        int[] aStr = broadcastStrides(aDims, outDims);
        int[] bStr = broadcastStrides(bDims, outDims);
        CpuPointwise.binary(k, op, outDims, a, 1, aStr, b, 0, bStr, out, 0);
        double[] expected = new double[total];
        int[] idx = new int[rank];
        for (int flat = 0; flat < total; flat++) {
            int rem = flat;
            for (int d = rank - 1; d >= 0; d--) {
                idx[d] = rem % outDims[d];
                rem /= outDims[d];
            }
            expected[flat] = refBinary(op, a[1 + offset(idx, aStr)], b[offset(idx, bStr)]);
        }
        checkBinary(op + " " + Arrays.toString(aShape) + " x " + Arrays.toString(bShape) + " " + which, op, expected,
                out, 0);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"scalar", "vector"})
    void nonContiguousOperandsMatchReference(String which) {
        CpuPointwise.Kernels k = kernels(which);
        Random rnd = new Random(3);
        int m = 37;
        int n = 53;
        float[] a = uniform(rnd, m * n, -2, 2); // stored [n, m], read transposed as [m, n]
        float[] b = uniform(rnd, m * n, -2, 2); // contiguous [m, n]
        float[] out = new float[m * n];
        CpuPointwise.binary(k, BinaryOp.MUL, new int[] {m, n}, a, 0, new int[] {1, m}, b, 0, new int[] {n, 1}, out, 0);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                assertEquals(a[j * m + i] * b[i * n + j], out[i * n + j], 0f, "out[" + i + "," + j + "]");
            }
        }
    }

    @Test
    void binaryRejectsMisalignedStridesWithShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CpuPointwise.binary(
                BinaryOp.ADD, new int[] {2, 3}, new float[6], 0, new int[] {3, 1}, new float[3], 0, new int[] {1},
                new float[6], 0));
        assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("bStrides [1]"), e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"scalar", "vector"})
    void unaryMatchesReference(String which) {
        CpuPointwise.Kernels k = kernels(which);
        Random rnd = new Random(4);
        for (UnaryOp op : UnaryOp.values()) {
            for (int n : SIZES) {
                float[] x = unaryInput(op, rnd, n);
                float[] out = new float[n + 1];
                CpuPointwise.unary(k, op, x, 0, out, 1, n);
                double[] expected = new double[n];
                for (int i = 0; i < n; i++) {
                    expected[i] = refUnary(op, x[i]);
                }
                String what = op + " n=" + n + " " + which;
                if (exactlyRounded(op)) {
                    assertClose(what, expected, out, 1, n, 0, 0x1p-24);
                } else {
                    assertClose(what, expected, out, 1, n, 1e-6, 2e-6);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"scalar", "vector"})
    void unaryInPlaceAndSpecialValues(String which) {
        CpuPointwise.Kernels k = kernels(which);
        float[] x = new float[40];
        Arrays.fill(x, -3f);
        x[0] = Float.NaN;
        x[1] = Float.NEGATIVE_INFINITY;
        x[2] = Float.POSITIVE_INFINITY;
        x[3] = -0f;
        float[] relu = x.clone();
        CpuPointwise.unary(k, UnaryOp.RELU, relu, 0, relu, 0, relu.length);
        assertTrue(Float.isNaN(relu[0]), "relu(NaN) stays NaN like torch");
        assertEquals(0f, relu[1]);
        assertEquals(Float.POSITIVE_INFINITY, relu[2]);
        assertEquals(0f, relu[39]);
        float[] sig = x.clone();
        CpuPointwise.unary(k, UnaryOp.SIGMOID, sig, 0, sig, 0, sig.length);
        assertEquals(0f, sig[1]);
        assertEquals(1f, sig[2]);
        float[] gelu = new float[] {-30f, -12f, 30f, 0f, -30f, -12f, 30f, 0f, -30f, -12f, 30f, 0f, -30f, -12f, 30f, 0f,
            -30f, -12f, 30f, 0f};
        CpuPointwise.unary(k, UnaryOp.GELU, gelu, 0, gelu, 0, gelu.length);
        for (int i = 0; i < gelu.length; i += 4) {
            assertEquals(0f, gelu[i], 1e-30f);
            assertEquals(0f, gelu[i + 1], 1e-30f);
            assertEquals(30f, gelu[i + 2], 0f);
            assertEquals(0f, gelu[i + 3], 0f);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"scalar", "vector"})
    void unaryBackwardMatchesFiniteDifferences(String which) {
        CpuPointwise.Kernels k = kernels(which);
        Random rnd = new Random(5);
        for (UnaryOp op : UnaryOp.values()) {
            for (int n : SIZES) {
                float[] x = unaryInput(op, rnd, n);
                float[] y = new float[n];
                CpuPointwise.unary(k, op, x, 0, y, 0, n);
                float[] g = uniform(rnd, n, -2, 2);
                float[] gi = new float[n + 2];
                CpuPointwise.unaryBackward(k, op, x, 0, op.backwardUsesOutput() ? y : null, 0, g, 0, gi, 2, n);
                double[] expected = new double[n];
                for (int i = 0; i < n; i++) {
                    double xi = x[i];
                    double h = 1e-5 * Math.max(1, Math.abs(xi));
                    expected[i] = g[i] * RowsTestSupport.derivative(v -> refUnary(op, v), xi, h);
                }
                assertClose(op + "' n=" + n + " " + which, expected, gi, 2, n, 4e-6, 2e-5);
            }
        }
    }

    @Test
    void unaryBackwardNeedsOutputWhereItUsesIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CpuPointwise.unaryBackward(UnaryOp.TANH, new float[3], 0, null, 0, new float[3], 0, new float[3],
                        0, 3));
        assertTrue(e.getMessage().contains("TANH"), e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"scalar", "vector"})
    void activationsMatchTorch(String which) {
        CpuPointwise.Kernels k = kernels(which);
        float[] x = golden("act_x");
        float[] dy = golden("act_dy");
        String[] names = {"gelu", "gelu_tanh", "silu", "sigmoid", "tanh"};
        UnaryOp[] ops = {UnaryOp.GELU, UnaryOp.GELU_TANH, UnaryOp.SILU, UnaryOp.SIGMOID, UnaryOp.TANH};
        for (int o = 0; o < ops.length; o++) {
            float[] y = new float[x.length];
            CpuPointwise.unary(k, ops[o], x, 0, y, 0, x.length);
            assertClose(names[o] + " forward vs torch (" + which + ")", golden(names[o] + "_y"), y, 1e-6, 4e-6);
            float[] dx = new float[x.length];
            CpuPointwise.unaryBackward(k, ops[o], x, 0, y, 0, dy, 0, dx, 0, x.length);
            assertClose(names[o] + " backward vs torch (" + which + ")", golden(names[o] + "_dx"), dx, 2e-6, 1e-5);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"scalar", "vector"})
    void axpbyMatchesReference(String which) {
        CpuPointwise.Kernels k = kernels(which);
        Random rnd = new Random(6);
        for (int n : SIZES) {
            float[] x = uniform(rnd, n, -3, 3);
            float[] y = uniform(rnd, n + 1, -3, 3);
            double[] expected = new double[n];
            for (int i = 0; i < n; i++) {
                expected[i] = 0.5 * x[i] + -1.25 * y[1 + i];
            }
            CpuPointwise.axpby(k, 0.5f, x, 0, -1.25f, y, 1, n);
            assertClose("axpby n=" + n + " " + which, expected, y, 1, n, 1e-6, 1e-6);
            float[] garbage = new float[n];
            Arrays.fill(garbage, Float.NaN);
            CpuPointwise.axpby(k, 2f, x, 0, 0f, garbage, 0, n);
            for (int i = 0; i < n; i++) {
                assertEquals(2f * x[i], garbage[i], 0f, "beta = 0 must not read y");
            }
        }
    }

    @Test
    void fillWritesOnlyTheRange() {
        float[] x = new float[70005];
        CpuPointwise.fill(x, 2, 70001, 3.5f);
        assertEquals(0f, x[0]);
        assertEquals(0f, x[1]);
        for (int i = 2; i < 70003; i++) {
            assertEquals(3.5f, x[i]);
        }
        assertEquals(0f, x[70003]);
    }

    @Test
    void copyStridedPermutesSlicesExpandsAndConcatenates() {
        Random rnd = new Random(7);
        // permute [100, 30, 7] -> [7, 100, 30]
        int[] src = {100, 30, 7};
        float[] x = uniform(rnd, 100 * 30 * 7 + 3, -1, 1);
        int[] dims = {7, 100, 30};
        float[] y = new float[100 * 30 * 7];
        CpuPointwise.copyStrided(dims, x, 3, new int[] {1, 30 * 7, 7}, y, 0, null);
        for (int c = 0; c < 7; c++) {
            for (int a = 0; a < 100; a++) {
                for (int b = 0; b < 30; b++) {
                    assertEquals(x[3 + (a * src[1] + b) * src[2] + c], y[(c * 100 + a) * 30 + b]);
                }
            }
        }
        // slice rows 1..3, cols 2..5 of [6, 7]
        float[] m = uniform(rnd, 42, -1, 1);
        float[] s = new float[12];
        CpuPointwise.copyStrided(new int[] {3, 4}, m, 7 + 2, new int[] {7, 1}, s, 0, null);
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 4; c++) {
                assertEquals(m[(1 + r) * 7 + 2 + c], s[r * 4 + c]);
            }
        }
        // expand [3, 1] -> [3, 5]
        float[] e = new float[15];
        CpuPointwise.copyStrided(new int[] {3, 5}, new float[] {1, 2, 3}, 0, new int[] {1, 0}, e, 0, null);
        assertEquals(Arrays.toString(new float[] {1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3}), Arrays.toString(e));
        // concat [2, 3] and [2, 5] along the last dim into [2, 8]
        float[] left = {1, 2, 3, 4, 5, 6};
        float[] right = {10, 11, 12, 13, 14, 15, 16, 17, 18, 19};
        float[] cat = new float[16];
        CpuPointwise.copyStrided(new int[] {2, 3}, left, 0, new int[] {3, 1}, cat, 0, new int[] {8, 1});
        CpuPointwise.copyStrided(new int[] {2, 5}, right, 0, new int[] {5, 1}, cat, 3, new int[] {8, 1});
        assertEquals(Arrays.toString(new float[] {1, 2, 3, 10, 11, 12, 13, 14, 4, 5, 6, 15, 16, 17, 18, 19}),
                Arrays.toString(cat));
    }

    @Test
    void copyStridedIntTransposes() {
        int rows = 300;
        int cols = 250;
        int[] x = new int[rows * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = i * 7 - 5;
        }
        int[] t = new int[x.length];
        CpuPointwise.copyStrided(new int[] {cols, rows}, x, 0, new int[] {1, cols}, t, 0, null);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                assertEquals(x[r * cols + c], t[c * rows + r]);
            }
        }
    }

    @Test
    void f16RoundTripsEveryHalfAndDecodesExactly() {
        for (int bits = 0; bits < 0x10000; bits++) {
            short h = (short) bits;
            float f = CpuPointwise.fromF16(h);
            int exp = (bits >>> 10) & 0x1f;
            int mant = bits & 0x3ff;
            double sign = (bits & 0x8000) != 0 ? -1 : 1;
            if (exp == 31) {
                assertTrue(mant == 0 ? Float.isInfinite(f) : Float.isNaN(f), "half 0x" + Integer.toHexString(bits));
                if (mant != 0) {
                    assertTrue(Float.isNaN(CpuPointwise.fromF16(CpuPointwise.toF16(f))));
                    continue;
                }
            } else {
                double expected = exp == 0 ? sign * mant * 0x1p-24 : sign * (1 + mant / 1024.0) * Math.pow(2, exp - 15);
                assertEquals(expected, f, 0.0, "half 0x" + Integer.toHexString(bits));
            }
            assertEquals(h, CpuPointwise.toF16(f), "round trip of half 0x" + Integer.toHexString(bits));
        }
    }

    @Test
    void f16AndBf16RoundToNearestEven() {
        Random rnd = new Random(8);
        float[] values = new float[400_000];
        for (int i = 0; i < values.length; i++) {
            int bits = rnd.nextInt();
            if (i % 2 == 0) { // concentrate on the binary16 range, subnormals included
                bits = (bits & 0x807fffff) | ((95 + rnd.nextInt(50)) << 23);
            }
            values[i] = Float.intBitsToFloat(bits);
        }
        float[] specials = {0f, -0f, 65504f, 65519.996f, 65520f, -65520f, 0x1p-24f, 0x1p-25f, 0x1.000002p-25f,
            0x1.8p-24f, 1.00048828125f, 1.000732421875f, Float.MAX_VALUE, 0x1.fffffep127f, 3.3961776e38f};
        System.arraycopy(specials, 0, values, 0, specials.length);
        short[] half = new short[values.length];
        short[] brain = new short[values.length];
        float[] backHalf = new float[values.length];
        float[] backBrain = new float[values.length];
        CpuPointwise.toF16(values, 0, half, 0, values.length);
        CpuPointwise.toBf16(values, 0, brain, 0, values.length);
        CpuPointwise.fromF16(half, 0, backHalf, 0, values.length);
        CpuPointwise.fromBf16(brain, 0, backBrain, 0, values.length);
        for (int i = 0; i < values.length; i++) {
            float v = values[i];
            if (Float.isNaN(v)) {
                assertTrue(Float.isNaN(backHalf[i]) && Float.isNaN(backBrain[i]), "NaN must stay NaN");
                continue;
            }
            assertEquals(roundToPrecision(v, 11, -14, 65504.0), backHalf[i], 0f, "f16 of " + v);
            assertEquals(roundToPrecision(v, 8, -126, Float.MAX_VALUE), backBrain[i], 0f, "bf16 of " + v);
        }
    }

    /**
     * Reference rounding: nearest-even to a format with `digits` significand bits, minimum normal exponent minExp
     * (gradual underflow below it) and largest finite value maxFinite.
     */
    static float roundToPrecision(float v, int digits, int minExp, double maxFinite) {
        if (Float.isInfinite(v) || v == 0f) {
            return v;
        }
        double a = Math.abs((double) v);
        int e = Math.max(Math.getExponent(a), minExp);
        double ulp = Math.scalb(1.0, e - (digits - 1));
        double r = Math.rint(a / ulp) * ulp; // a / ulp is exact (power of two), rint is round-half-even
        double limit = maxFinite + Math.scalb(1.0, Math.getExponent(maxFinite) - digits); // halfway past the max
        double result = r > maxFinite || a >= limit ? Double.POSITIVE_INFINITY : r;
        return (float) Math.copySign(result, v);
    }

    static int[] align(int[] shape, int rank) {
        int[] d = new int[rank];
        Arrays.fill(d, 1);
        System.arraycopy(shape, 0, d, rank - shape.length, shape.length);
        return d;
    }

    static int count(int[] dims) {
        int n = 1;
        for (int d : dims) {
            n *= d;
        }
        return n;
    }

    static int[] broadcastStrides(int[] dims, int[] outDims) {
        int[] s = CpuPointwise.contiguousStrides(dims);
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] == 1 && outDims[i] != 1) {
                s[i] = 0;
            }
        }
        return s;
    }

    static int offset(int[] idx, int[] strides) {
        int o = 0;
        for (int i = 0; i < idx.length; i++) {
            o += idx[i] * strides[i];
        }
        return o;
    }

    @Test
    void loadsTheVectorKernelsWhenTheModuleIsPresent() {
        RowsTestSupport.assumeVector();
        Assumptions.assumeFalse(Boolean.getBoolean("mettle.scalar"), "-Dmettle.scalar=true set");
        assertEquals(VectorPointwise.class, CpuPointwise.KERNELS.getClass(), "VectorSupport.load must find VectorPointwise by name");
    }
}
