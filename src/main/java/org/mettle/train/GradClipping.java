package org.mettle.train;

import java.util.List;
import org.mettle.tensor.Tensor;

/** Global-norm gradient clipping with torch.nn.utils.clip_grad_norm_ semantics (L2 norm, in place). */
public final class GradClipping {
    private GradClipping() {}

    /** The L2 norm over every gradient of params taken together, accumulated in double (params without grad skipped). */
    public static double globalNorm(List<Tensor> params) {
        double sumSquares = 0;
        for (Tensor p : params) {
            Tensor g = p.grad();
            if (g == null) {
                continue;
            }
            for (float v : g.toFloatArray()) {
                sumSquares += (double) v * v;
            }
        }
        return Math.sqrt(sumSquares);
    }

    /**
     * Scales every gradient by maxNorm / (norm + 1e-6) when that is below 1 and returns the norm before clipping. A
     * non-finite norm is returned as is and the gradients are left untouched, so the caller can skip the step.
     */
    public static double clipByGlobalNorm(List<Tensor> params, double maxNorm) {
        if (!(maxNorm > 0)) {
            throw new IllegalArgumentException("max gradient norm must be > 0, got " + maxNorm);
        }
        double norm = globalNorm(params);
        if (!Double.isFinite(norm)) {
            return norm;
        }
        double scale = maxNorm / (norm + 1e-6);
        if (scale < 1) {
            float s = (float) scale;
            for (Tensor p : params) {
                Tensor g = p.grad();
                if (g != null) {
                    g.backend().axpby(0f, g, s, g); // g = s * g in place, on whatever backend holds it
                }
            }
        }
        return norm;
    }
}
