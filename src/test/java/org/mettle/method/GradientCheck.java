package org.mettle.method;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import org.mettle.autograd.GradMode;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Tensor;

/**
 * Finite-difference gradient check of a scalar loss built by the engine (float32): every element of every listed
 * parameter (or a seeded sample of at most {@code maxPerTensor}) is nudged by +-eps and the central difference is
 * compared with the analytic gradient. Float32 rounding limits the agreement to about 1e-3 relative.
 */
final class GradientCheck {
    private GradientCheck() {}

    static void check(String what, Supplier<Tensor> loss, Map<String, Tensor> params, float eps, double rtol, double atol, int maxPerTensor) {
        for (Tensor p : params.values()) {
            p.zeroGrad();
        }
        try (Scope s = Scope.open()) {
            loss.get().backward();
        }
        Random random = new Random(99);
        StringBuilder failures = new StringBuilder();
        int checked = 0;
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            Tensor p = e.getValue();
            assertNotNull(p.grad(), what + ": " + e.getKey() + " got no gradient");
            float[] analytic = p.grad().toFloatArray();
            float[] values = p.toFloatArray();
            int n = values.length;
            int count = Math.min(n, maxPerTensor);
            for (int c = 0; c < count; c++) {
                int i = count == n ? c : random.nextInt(n);
                float original = values[i];
                values[i] = original + eps;
                p.backend().write(p, values);
                double plus = value(loss);
                values[i] = original - eps;
                p.backend().write(p, values);
                double minus = value(loss);
                values[i] = original;
                p.backend().write(p, values);
                double numeric = (plus - minus) / (2 * eps);
                checked++;
                if (Math.abs(numeric - analytic[i]) > atol + rtol * Math.abs(numeric)) {
                    failures.append(String.format("%n  %s[%d]: analytic %.6g, numeric %.6g", e.getKey(), i, analytic[i], numeric));
                }
            }
        }
        assertTrue(failures.length() == 0, what + ": gradients differ from finite differences (" + checked + " checked):" + failures);
    }

    private static double value(Supplier<Tensor> loss) {
        try (var g = GradMode.noGrad(); Scope s = Scope.open()) {
            return loss.get().item();
        }
    }

    /** sum(out * w): every output element gets its own weight. */
    static Tensor weightedSum(Tensor out, Tensor w) {
        return out.mul(w).sum();
    }
}
