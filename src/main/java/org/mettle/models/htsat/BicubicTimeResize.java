package org.mettle.models.htsat;

import java.util.HashMap;
import java.util.Map;
import org.mettle.autograd.ShapeOps;
import org.mettle.backend.Backend;
import org.mettle.models.swin.SwinParams;
import org.mettle.tensor.Tensor;

/**
 * F.interpolate(mode="bicubic", align_corners=True) of [B, T, F] along T only (HTS-AT's resize to 1024 frames; the
 * mel axis keeps its size, which bicubic with align_corners leaves exactly unchanged). Source coordinates and the
 * cubic weights (A = -0.75, border-clamped taps) are computed in double, as PyTorch's CPU kernel does through its
 * double accumulation type: a float coordinate near frame 1000 is off by up to 3e-5 frames, which moves the output by
 * ~1e-5 relative. out[b, o, f] = sum_j w[o, j] x[b, clamp(floor(o * (T-1)/(outT-1)) - 1 + j), f] as one gather, one
 * product and one sum (differentiable).
 */
final class BicubicTimeResize implements AutoCloseable {
    private static final double A = -0.75;

    private final Backend backend;
    private final int in;
    private final int out;
    private final int[] taps;
    private final Tensor weights;
    private final Map<Integer, Tensor> indices = new HashMap<>();

    BicubicTimeResize(Backend backend, int in, int out) {
        this.backend = backend;
        this.in = in;
        this.out = out;
        taps = new int[out * 4];
        float[] w = new float[out * 4];
        double step = out > 1 ? (double) (in - 1) / (out - 1) : 0.0;
        for (int o = 0; o < out; o++) {
            double real = step * o;
            int base = Math.min((int) Math.floor(real), in - 1);
            double t = Math.min(Math.max(real - base, 0.0), 1.0);
            w[4 * o] = (float) far(t + 1.0);
            w[4 * o + 1] = (float) near(t);
            w[4 * o + 2] = (float) near(1.0 - t);
            w[4 * o + 3] = (float) far(2.0 - t);
            for (int j = 0; j < 4; j++) {
                taps[4 * o + j] = Math.max(0, Math.min(base - 1 + j, in - 1));
            }
        }
        weights = SwinParams.constant(backend, w, out, 4, 1);
    }

    private static double near(double x) {
        return ((A + 2) * x - (A + 3)) * x * x + 1;
    }

    private static double far(double x) {
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
    }

    /** x [B, in, F] to [B, out, F]. */
    Tensor forward(Tensor x) {
        int b = x.dim(0);
        int f = x.dim(2);
        Tensor rows = x.reshape(b * in, f);
        Tensor gathered = ShapeOps.indexSelect(rows, indices(b));
        rows.close();
        Tensor grouped = gathered.reshape(b, out, 4, f);
        gathered.close();
        Tensor weighted = grouped.mul(weights);
        grouped.close();
        Tensor summed = weighted.sum(false, 2);
        weighted.close();
        return summed;
    }

    private synchronized Tensor indices(int batch) {
        Tensor t = indices.get(batch);
        if (t == null) {
            int[] idx = new int[batch * out * 4];
            for (int b = 0; b < batch; b++) {
                for (int i = 0; i < out * 4; i++) {
                    idx[b * out * 4 + i] = b * in + taps[i];
                }
            }
            t = SwinParams.constantInts(backend, idx, idx.length);
            indices.put(batch, t);
        }
        return t;
    }

    @Override
    public synchronized void close() {
        weights.close();
        for (Tensor t : indices.values()) {
            t.close();
        }
        indices.clear();
    }
}
