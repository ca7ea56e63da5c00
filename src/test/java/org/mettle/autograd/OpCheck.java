package org.mettle.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.Random;
import java.util.function.Function;
import org.mettle.backend.Backends;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;

/**
 * One helper checks every op, as tinygrad's does: the engine's forward against a naive double-precision
 * reference, and the engine's backward against central finite differences of that reference in double.
 * The loss is sum(out * w) with a fixed random w, so every output element's gradient is exercised.
 */
final class OpCheck {
    /** An op input: its value and whether the check differentiates with respect to it. */
    record Input(Ref value, boolean differentiable) {}

    private final Random random;
    private double forwardTolerance = 1e-4;
    private double gradientTolerance = 1e-3;

    OpCheck(long seed) {
        random = new Random(seed);
    }

    OpCheck tolerances(double forward, double gradient) {
        forwardTolerance = forward;
        gradientTolerance = gradient;
        return this;
    }

    Input randn(int... dims) {
        double[] v = new double[Ref.size(dims)];
        for (int i = 0; i < v.length; i++) {
            v[i] = random.nextGaussian();
        }
        return new Input(new Ref(dims, v), true);
    }

    /** Values in [lo, hi], for ops defined on a range (log, sqrt, division). */
    Input uniform(double lo, double hi, int... dims) {
        double[] v = new double[Ref.size(dims)];
        for (int i = 0; i < v.length; i++) {
            v[i] = lo + (hi - lo) * random.nextDouble();
        }
        return new Input(new Ref(dims, v), true);
    }

    static Input constant(Input in) {
        return new Input(in.value(), false);
    }

    /** Runs the forward and gradient checks. */
    void check(String name, Function<Tensor[], Tensor> engine, Function<Ref[], Ref> reference, Input... inputs) {
        Ref[] refIn = new Ref[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            refIn[i] = inputs[i].value().copy();
        }
        Ref expected = reference.apply(refIn);
        double[] w = new double[expected.v.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = random.nextGaussian();
        }
        try (Scope scope = Scope.open()) {
            Tensor[] tin = new Tensor[inputs.length];
            for (int i = 0; i < inputs.length; i++) {
                tin[i] = Tensor.of(toFloat(inputs[i].value().v), inputs[i].value().dims).requiresGrad(inputs[i].differentiable());
            }
            Tensor out = engine.apply(tin);
            assertEquals(Shape.of(expected.dims), out.shape(), name + ": output shape");
            assertClose(name + " forward", out.toFloatArray(), expected.v, forwardTolerance);

            boolean anyGrad = Arrays.stream(inputs).anyMatch(Input::differentiable);
            if (!anyGrad) {
                return;
            }
            Tensor weights = Tensor.of(toFloat(w), expected.dims);
            Tensor loss = out.mul(weights).sum();
            loss.backward();
            for (int i = 0; i < inputs.length; i++) {
                if (!inputs[i].differentiable()) {
                    continue;
                }
                assertNotNull(tin[i].grad(), name + ": input " + i + " got no gradient");
                double[] fd = finiteDifference(reference, refIn, i, w);
                assertClose(name + " gradient of input " + i, tin[i].grad().toFloatArray(), fd, gradientTolerance);
            }
        }
    }

    private static double[] finiteDifference(Function<Ref[], Ref> reference, Ref[] in, int which, double[] w) {
        double[] x = in[which].v;
        double[] g = new double[x.length];
        for (int j = 0; j < x.length; j++) {
            double saved = x[j];
            double h = 1e-6 * Math.max(1, Math.abs(saved));
            x[j] = saved + h;
            double plus = dot(reference.apply(in).v, w);
            x[j] = saved - h;
            double minus = dot(reference.apply(in).v, w);
            x[j] = saved;
            g[j] = (plus - minus) / (2 * h);
        }
        return g;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    static float[] toFloat(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }

    /** max |actual - expected| <= tol * max(1, max |expected|), naming the worst element. */
    static void assertClose(String what, float[] actual, double[] expected, double tol) {
        assertEquals(expected.length, actual.length, what + ": element count");
        double scale = 1;
        for (double e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        double worst = 0;
        int at = -1;
        for (int i = 0; i < actual.length; i++) {
            double err = Math.abs(actual[i] - expected[i]);
            if (!(err <= worst) || Double.isNaN(actual[i])) {
                worst = Double.isNaN(actual[i]) ? Double.POSITIVE_INFINITY : err;
                at = i;
            }
        }
        if (worst > tol * scale) {
            fail(String.format("%s: element %d is %.8g, expected %.8g (error %.3g > %.3g)", what, at, actual[at], expected[at], worst, tol * scale));
        }
    }

    static Tensor cpu(float[] v, int... dims) {
        return Tensor.of(Backends.cpu(), v, dims);
    }
}
