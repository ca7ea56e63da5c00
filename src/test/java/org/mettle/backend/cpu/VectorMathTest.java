package org.mettle.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mettle.backend.UnaryOp;

/**
 * {@link VectorMath} against java.lang.Math in double, in ulps of the float result, over a sweep of every 97th float
 * bit pattern in each function's useful range (about 10^7 inputs each), plus the special values.
 */
class VectorMathTest {
    @BeforeEach
    void vectorOnly() {
        RowsTestSupport.assumeVector();
    }

    @Test
    void expIsWithinTwoUlpAndHandlesTheEdges() {
        double worst = worstUlp("exp", VectorMath::exp, Math::exp, -104f, 89f);
        assertTrue(worst <= 2, "exp worst error " + worst + " ulp");
        float[] x = {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN, 0f, -0f, 88.72f, 88.73f, 100f, -87.3f,
            -95f, -103.2f, -104f, -200f, 1e-30f, -1e-30f};
        float[] y = apply(VectorMath::exp, x);
        for (int i = 0; i < x.length; i++) {
            float expected = (float) Math.exp(x[i]);
            boolean subnormal = Math.abs(expected) < Float.MIN_NORMAL;
            // subnormal results keep an absolute error of one unit of 2^-149 at most
            assertEquals(expected, y[i], !Float.isFinite(expected) ? 0f : subnormal ? Float.MIN_VALUE : 2 * Math.ulp(expected),
                    "exp(" + x[i] + ")");
        }
    }

    @Test
    void logIsWithinTwoUlpAndHandlesTheEdges() {
        double worst = worstUlp("log", VectorMath::log, Math::log, Float.MIN_VALUE, Float.MAX_VALUE);
        assertTrue(worst <= 2, "log worst error " + worst + " ulp");
        float[] x = {0f, -0f, -1f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN, 1f, Float.MIN_VALUE,
            Float.MIN_NORMAL, 1e-40f, Float.MAX_VALUE};
        float[] y = apply(VectorMath::log, x);
        for (int i = 0; i < x.length; i++) {
            float expected = (float) Math.log(x[i]);
            assertEquals(expected, y[i], Float.isFinite(expected) ? 2 * Math.ulp(expected) : 0f, "log(" + x[i] + ")");
        }
    }

    @Test
    void tanhIsWithinThreeUlp() {
        double worst = worstUlp("tanh", VectorMath::tanh, Math::tanh, -12f, 12f);
        assertTrue(worst <= 3, "tanh worst error " + worst + " ulp");
        float[] x = {0f, -0f, 1e-30f, -1e-30f, 30f, -30f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
        float[] y = apply(VectorMath::tanh, x);
        for (int i = 0; i < x.length; i++) {
            assertEquals(Float.floatToIntBits((float) Math.tanh(x[i])), Float.floatToIntBits(y[i]), "tanh(" + x[i] + ")");
        }
    }

    @Test
    void normalCdfMatchesTheDoubleFitWithinEightUlp() {
        // relative to the fit evaluated in double; near x = 0 its float polynomial (terms up to 1.5 summing to ~0)
        // costs up to ~2e-7 relative, the order of the fit's own error (1.2e-7)
        double worst = worstUlp("normalCdf", CdfPasses::normalCdf, UnaryOp::normalCdf, -13f, 13f);
        assertTrue(worst <= 8, "normalCdf worst error " + worst + " ulp");
        float[] y = apply(CdfPasses::normalCdf, new float[] {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, -40f, 40f});
        assertEquals(0f, y[0]);
        assertEquals(1f, y[1]);
        assertEquals(0f, y[2], 1e-38f);
        assertEquals(1f, y[3]);
        assertTrue(Float.isNaN(apply(CdfPasses::normalCdf, new float[] {Float.NaN})[0]));
    }

    @Test
    void sumAddsTheLanesInAFixedPairwiseOrder() {
        int lanes = VectorMath.S.length();
        float[] v = new float[lanes];
        for (int i = 0; i < lanes; i++) {
            v[i] = (float) Math.scalb(1.0 + i / 3.0, (i * 7) % 24 - 12); // magnitudes 2^-12 .. 2^11: order matters
        }
        // the reference tree: lane l + lane (l ^ s) for s = lanes/2 down to 1; lane 0 holds the sum
        float[] t = v.clone();
        for (int s = lanes / 2; s >= 1; s /= 2) {
            float[] next = new float[lanes];
            for (int l = 0; l < lanes; l++) {
                next[l] = t[l] + t[l ^ s];
            }
            t = next;
        }
        assertEquals(Float.floatToIntBits(t[0]), Float.floatToIntBits(VectorMath.sum(FloatVector.fromArray(VectorMath.S, v, 0))));
    }

    private static float[] apply(UnaryOperator<FloatVector> f, float[] x) {
        int lanes = VectorMath.S.length();
        int n = (x.length + lanes - 1) / lanes * lanes;
        float[] in = java.util.Arrays.copyOf(x, n);
        float[] out = new float[n];
        for (int i = 0; i < n; i += lanes) {
            f.apply(FloatVector.fromArray(VectorMath.S, in, i)).intoArray(out, i);
        }
        return java.util.Arrays.copyOf(out, x.length);
    }

    /** Largest |f(x) - ref(x)| in ulps of the float-rounded reference, over float bit patterns in [lo, hi]. */
    private static double worstUlp(String name, UnaryOperator<FloatVector> f, DoubleUnaryOperator ref, float lo, float hi) {
        int lanes = VectorMath.S.length();
        float[] in = new float[lanes * 4096];
        float[] out = new float[in.length];
        double worst = 0;
        float worstAt = Float.NaN;
        int fill = 0;
        // by bit pattern: magnitudes in [0, -lo] with a minus sign, then [max(lo, 0), hi]
        float[][] ranges = {{0f, Math.max(-lo, 0f), -1f}, {Math.max(lo, 0f), Math.max(hi, 0f), 1f}};
        for (float[] range : ranges) {
            float a = range[0];
            float b = range[1];
            float sign = range[2];
            if (b <= a) {
                continue;
            }
            for (int bits = Float.floatToIntBits(a); bits <= Float.floatToIntBits(b); bits += 97) {
                in[fill++] = sign * Float.intBitsToFloat(bits);
                if (fill == in.length || bits + 97 > Float.floatToIntBits(b)) {
                    for (int i = 0; i < fill; i += lanes) {
                        f.apply(FloatVector.fromArray(VectorMath.S, in, i)).intoArray(out, i);
                    }
                    for (int i = 0; i < fill; i++) {
                        float expected = (float) ref.applyAsDouble(in[i]);
                        if (expected == 0f || !Float.isFinite(expected) || Math.abs(expected) < Float.MIN_NORMAL) {
                            continue; // zeros, overflow and subnormals are checked absolutely by the callers
                        }
                        double err = Math.abs(out[i] - (double) expected) / Math.ulp(expected);
                        if (err > worst) {
                            worst = err;
                            worstAt = in[i];
                        }
                    }
                    java.util.Arrays.fill(in, 0f);
                    fill = 0;
                }
            }
        }
        System.out.println(name + ": worst " + worst + " ulp at " + worstAt);
        return worst;
    }
}
