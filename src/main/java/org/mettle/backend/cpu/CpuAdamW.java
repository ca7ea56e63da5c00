package org.mettle.backend.cpu;

/**
 * The AdamW update of the CPU backend (torch.optim.AdamW semantics, single-tensor form). The loop sits behind
 * {@link Kernels}: {@link VectorAdamW} with the Vector API, {@link ScalarKernels} otherwise. Both evaluate the same float
 * operations in the same order (no fused multiply-add), so they give bit-identical results.
 */
public final class CpuAdamW {
    /** Elements per parallel task. */
    static final int GRAIN = 1 << 14;

    /** One step over a contiguous slice; the constants are precomputed in float as torch applies them. */
    interface Kernels {
        void step(float[] p, int po, float[] g, int go, float[] m, int mo, float[] v, int vo, int n, Constants c);
    }

    /** Per-step constants. */
    static final class Constants {
        final float decay;
        final float beta1;
        final float oneMinusBeta1;
        final float beta2;
        final float oneMinusBeta2;
        final float stepSize;
        final float bias2Sqrt;
        final float eps;

        Constants(float lr, float beta1, float beta2, float eps, float weightDecay, int step) {
            double b1 = decimal(beta1);
            double b2 = decimal(beta2);
            this.decay = (float) (1.0 - (double) lr * weightDecay);
            this.beta1 = beta1;
            this.oneMinusBeta1 = (float) (1.0 - b1);
            this.beta2 = beta2;
            this.oneMinusBeta2 = (float) (1.0 - b2);
            this.stepSize = (float) (lr / (1.0 - Math.pow(b1, step)));
            this.bias2Sqrt = (float) Math.sqrt(1.0 - Math.pow(b2, step));
            this.eps = eps;
        }

        /**
         * A beta as the decimal it was written as (0.999f -> 0.999): 1 - beta cancels, and 1 - (double) 0.999f is
         * off by 1.3e-5 relative from torch's 1 - 0.999, which shows up in exp_avg_sq.
         */
        static double decimal(float beta) {
            return Double.parseDouble(Float.toString(beta));
        }
    }

    static final Kernels KERNELS =
            VectorSupport.load(Kernels.class, "org.mettle.backend.cpu.VectorAdamW", new ScalarKernels());

    private CpuAdamW() {}

    /**
     * One decoupled-weight-decay Adam step (torch.optim.AdamW semantics, bias-corrected, step >= 1):
     * p -= lr*wd*p; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2; p -= lr * mhat / (sqrt(vhat) + eps),
     * computed as torch does: p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps). The betas are read
     * as the decimals they print as (0.999f means 0.999, like torch's Python floats) for 1 - beta and beta^t.
     */
    public static void step(float[] p, int pOff, float[] g, int gOff, float[] m, int mOff, float[] v, int vOff, int n,
            float lr, float beta1, float beta2, float eps, float weightDecay, int step) {
        step(KERNELS, p, pOff, g, gOff, m, mOff, v, vOff, n, lr, beta1, beta2, eps, weightDecay, step);
    }

    static void step(Kernels k, float[] p, int pOff, float[] g, int gOff, float[] m, int mOff, float[] v, int vOff,
            int n, float lr, float beta1, float beta2, float eps, float weightDecay, int step) {
        if (step < 1) {
            throw new IllegalArgumentException("AdamW step = " + step + "; steps count from 1 (bias correction "
                    + "divides by 1 - beta^step)");
        }
        if (!(beta1 >= 0f && beta1 < 1f) || !(beta2 >= 0f && beta2 < 1f)) {
            throw new IllegalArgumentException("AdamW betas (" + beta1 + ", " + beta2 + ") must lie in [0, 1)");
        }
        Constants c = new Constants(lr, beta1, beta2, eps, weightDecay, step);
        CpuParallel.parallelFor(n, GRAIN, (f, t) -> k.step(p, pOff + f, g, gOff + f, m, mOff + f, v, vOff + f, t - f, c));
    }

    /** Plain-Java loop in torch's operation order. */
    static final class ScalarKernels implements Kernels {
        @Override
        public void step(float[] p, int po, float[] g, int go, float[] m, int mo, float[] v, int vo, int n,
                Constants c) {
            for (int i = 0; i < n; i++) {
                float grad = g[go + i];
                float mi = c.beta1 * m[mo + i] + c.oneMinusBeta1 * grad;
                float vi = c.beta2 * v[vo + i] + c.oneMinusBeta2 * grad * grad;
                m[mo + i] = mi;
                v[vo + i] = vi;
                float denom = (float) Math.sqrt(vi) / c.bias2Sqrt + c.eps;
                p[po + i] = p[po + i] * c.decay - c.stepSize * (mi / denom);
            }
        }
    }
}
