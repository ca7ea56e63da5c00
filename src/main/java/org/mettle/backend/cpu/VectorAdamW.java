package org.mettle.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Vector API AdamW loop (loaded only through {@link VectorSupport#load}); same operation order as the scalar one. */
final class VectorAdamW implements CpuAdamW.Kernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    @Override
    public void step(float[] p, int po, float[] g, int go, float[] m, int mo, float[] v, int vo, int n,
            CpuAdamW.Constants c) {
        int i = 0;
        int upper = S.loopBound(n);
        for (; i < upper; i += L) {
            FloatVector grad = FloatVector.fromArray(S, g, go + i);
            FloatVector mi = FloatVector.fromArray(S, m, mo + i).mul(c.beta1).add(grad.mul(c.oneMinusBeta1));
            FloatVector vi = FloatVector.fromArray(S, v, vo + i).mul(c.beta2).add(grad.mul(c.oneMinusBeta2).mul(grad));
            mi.intoArray(m, mo + i);
            vi.intoArray(v, vo + i);
            FloatVector denom = vi.sqrt().div(c.bias2Sqrt).add(c.eps);
            FloatVector.fromArray(S, p, po + i).mul(c.decay).sub(mi.div(denom).mul(c.stepSize)).intoArray(p, po + i);
        }
        for (; i < n; i++) {
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
