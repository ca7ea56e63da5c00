package org.mettle.backend.cpu;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API row loops (loaded only through {@link VectorSupport#load}). Row sums accumulate in float lanes over
 * blocks of {@link #BLOCK} elements and in double across blocks, so long rows keep float-level accuracy.
 */
final class VectorRows implements CpuRows.Kernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Elements per float-lane partial sum (a multiple of every lane count). */
    private static final int BLOCK = 1024;

    @Override
    public void softmax(float[] x, int xo, float[] y, int yo, int cols) {
        float max = max(x, xo, cols);
        if (max == Float.NEGATIVE_INFINITY) {
            Arrays.fill(y, yo, yo + cols, 0f);
            return;
        }
        FloatVector vmax = FloatVector.broadcast(S, max);
        double sum = 0;
        int i = 0;
        int upper = S.loopBound(cols);
        while (i < upper) {
            int blockEnd = Math.min(upper, i + BLOCK);
            FloatVector acc = FloatVector.zero(S);
            for (; i < blockEnd; i += L) {
                FloatVector e = VectorMath.exp(FloatVector.fromArray(S, x, xo + i).sub(vmax));
                e.intoArray(y, yo + i);
                acc = acc.add(e);
            }
            sum += VectorMath.sum(acc);
        }
        for (; i < cols; i++) {
            float e = (float) Math.exp(x[xo + i] - max);
            y[yo + i] = e;
            sum += e;
        }
        scaleInPlace(y, yo, (float) (1.0 / sum), cols);
    }

    @Override
    public void softmaxBackward(float[] y, int yo, float[] dy, int dyo, float[] dx, int dxo, int cols) {
        float dot = (float) dot(y, yo, dy, dyo, cols);
        FloatVector vdot = FloatVector.broadcast(S, dot);
        int i = 0;
        int upper = S.loopBound(cols);
        for (; i < upper; i += L) {
            FloatVector.fromArray(S, dy, dyo + i).sub(vdot).mul(FloatVector.fromArray(S, y, yo + i)).intoArray(dx, dxo + i);
        }
        for (; i < cols; i++) {
            dx[dxo + i] = y[yo + i] * (dy[dyo + i] - dot);
        }
    }

    @Override
    public void logSoftmax(float[] x, int xo, float[] y, int yo, int cols) {
        float max = max(x, xo, cols);
        if (max == Float.NEGATIVE_INFINITY) {
            Arrays.fill(y, yo, yo + cols, Float.NEGATIVE_INFINITY);
            return;
        }
        FloatVector vmax = FloatVector.broadcast(S, max);
        double sum = 0;
        int i = 0;
        int upper = S.loopBound(cols);
        while (i < upper) {
            int blockEnd = Math.min(upper, i + BLOCK);
            FloatVector acc = FloatVector.zero(S);
            for (; i < blockEnd; i += L) {
                acc = acc.add(VectorMath.exp(FloatVector.fromArray(S, x, xo + i).sub(vmax)));
            }
            sum += VectorMath.sum(acc);
        }
        for (; i < cols; i++) {
            sum += Math.exp(x[xo + i] - max);
        }
        float logSum = (float) Math.log(sum);
        FloatVector vlog = FloatVector.broadcast(S, logSum);
        for (i = 0; i < upper; i += L) {
            FloatVector.fromArray(S, x, xo + i).sub(vmax).sub(vlog).intoArray(y, yo + i);
        }
        for (; i < cols; i++) {
            y[yo + i] = (x[xo + i] - max) - logSum;
        }
    }

    @Override
    public void logSoftmaxBackward(float[] y, int yo, float[] dy, int dyo, float[] dx, int dxo, int cols) {
        float s = (float) sum(dy, dyo, cols);
        FloatVector vs = FloatVector.broadcast(S, s);
        int i = 0;
        int upper = S.loopBound(cols);
        for (; i < upper; i += L) {
            FloatVector p = VectorMath.exp(FloatVector.fromArray(S, y, yo + i));
            FloatVector.fromArray(S, dy, dyo + i).sub(p.mul(vs)).intoArray(dx, dxo + i);
        }
        for (; i < cols; i++) {
            dx[dxo + i] = dy[dyo + i] - (float) Math.exp(y[yo + i]) * s;
        }
    }

    @Override
    public void layerNorm(float[] x, int xo, float[] gamma, float[] beta, float eps, int cols, float[] y, int yo,
            float[] stats) {
        // two passes for the moments (mean, then squared deviations from it): a one-pass shifted form
        // E[(x-k)^2] - E[x-k]^2 loses over two digits when k (any single element) is an outlier, and ViT rows have
        // outlier channels; the row is in L1, so the extra pass is cheap
        float mean = (float) (sum(x, xo, cols) / cols);
        FloatVector vmean = FloatVector.broadcast(S, mean);
        double sq = 0;
        int i = 0;
        int upper = S.loopBound(cols);
        while (i < upper) {
            int blockEnd = Math.min(upper, i + BLOCK);
            FloatVector acc = FloatVector.zero(S);
            for (; i < blockEnd; i += L) {
                FloatVector d = FloatVector.fromArray(S, x, xo + i).sub(vmean);
                acc = d.fma(d, acc);
            }
            sq += VectorMath.sum(acc);
        }
        for (; i < cols; i++) {
            float d = x[xo + i] - mean;
            sq += d * d;
        }
        float rstd = (float) (1.0 / Math.sqrt(sq / cols + eps));
        FloatVector vrstd = FloatVector.broadcast(S, rstd);
        for (i = 0; i < upper; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i).sub(vmean).mul(vrstd);
            if (gamma != null) {
                v = v.mul(FloatVector.fromArray(S, gamma, i));
            }
            if (beta != null) {
                v = v.add(FloatVector.fromArray(S, beta, i));
            }
            v.intoArray(y, yo + i);
        }
        for (; i < cols; i++) {
            float v = (x[xo + i] - mean) * rstd;
            if (gamma != null) {
                v *= gamma[i];
            }
            if (beta != null) {
                v += beta[i];
            }
            y[yo + i] = v;
        }
        stats[0] = mean;
        stats[1] = rstd;
    }

    @Override
    public void layerNormBackward(float[] x, int xo, float[] gamma, float mean, float rstd, float[] dy, int dyo,
            int cols, float[] dx, int dxo, float[] dGammaAcc, float[] dBetaAcc) {
        FloatVector vmean = FloatVector.broadcast(S, mean);
        FloatVector vrstd = FloatVector.broadcast(S, rstd);
        double sumG = 0;
        double sumGx = 0;
        int i = 0;
        int upper = S.loopBound(cols);
        while (i < upper) {
            int blockEnd = Math.min(upper, i + BLOCK);
            FloatVector accG = FloatVector.zero(S);
            FloatVector accGx = FloatVector.zero(S);
            for (; i < blockEnd; i += L) {
                FloatVector xhat = FloatVector.fromArray(S, x, xo + i).sub(vmean).mul(vrstd);
                FloatVector g = FloatVector.fromArray(S, dy, dyo + i);
                if (gamma != null) {
                    g = g.mul(FloatVector.fromArray(S, gamma, i));
                }
                accG = accG.add(g);
                accGx = g.fma(xhat, accGx);
            }
            sumG += VectorMath.sum(accG);
            sumGx += VectorMath.sum(accGx);
        }
        for (; i < cols; i++) {
            float xhat = (x[xo + i] - mean) * rstd;
            float g = gamma != null ? dy[dyo + i] * gamma[i] : dy[dyo + i];
            sumG += g;
            sumGx += (double) g * xhat;
        }
        float meanG = (float) (sumG / cols);
        float meanGx = (float) (sumGx / cols);
        FloatVector vmeanG = FloatVector.broadcast(S, meanG);
        FloatVector vmeanGx = FloatVector.broadcast(S, meanGx);
        for (i = 0; i < upper; i += L) {
            FloatVector xhat = FloatVector.fromArray(S, x, xo + i).sub(vmean).mul(vrstd);
            FloatVector d = FloatVector.fromArray(S, dy, dyo + i);
            FloatVector g = gamma != null ? d.mul(FloatVector.fromArray(S, gamma, i)) : d;
            g.sub(vmeanG).sub(xhat.mul(vmeanGx)).mul(vrstd).intoArray(dx, dxo + i);
            if (dGammaAcc != null) {
                d.fma(xhat, FloatVector.fromArray(S, dGammaAcc, i)).intoArray(dGammaAcc, i);
            }
            if (dBetaAcc != null) {
                d.add(FloatVector.fromArray(S, dBetaAcc, i)).intoArray(dBetaAcc, i);
            }
        }
        for (; i < cols; i++) {
            float xhat = (x[xo + i] - mean) * rstd;
            float d = dy[dyo + i];
            float g = gamma != null ? d * gamma[i] : d;
            dx[dxo + i] = rstd * (g - meanG - xhat * meanGx);
            if (dGammaAcc != null) {
                dGammaAcc[i] += d * xhat;
            }
            if (dBetaAcc != null) {
                dBetaAcc[i] += d;
            }
        }
    }

    @Override
    public float sumSquares(float[] x, int xo, int cols) {
        return (float) dot(x, xo, x, xo, cols);
    }

    @Override
    public void scale(float[] x, int xo, float s, float[] y, int yo, int cols) {
        int i = 0;
        int upper = S.loopBound(cols);
        for (; i < upper; i += L) {
            FloatVector.fromArray(S, x, xo + i).mul(s).intoArray(y, yo + i);
        }
        for (; i < cols; i++) {
            y[yo + i] = x[xo + i] * s;
        }
    }

    @Override
    public void l2Backward(float[] x, int xo, float invNorm, float[] dy, int dyo, float[] dx, int dxo, int cols) {
        float d = (float) (dot(x, xo, dy, dyo, cols) * invNorm);
        FloatVector vd = FloatVector.broadcast(S, d);
        FloatVector vinv = FloatVector.broadcast(S, invNorm);
        int i = 0;
        int upper = S.loopBound(cols);
        for (; i < upper; i += L) {
            FloatVector y = FloatVector.fromArray(S, x, xo + i).mul(vinv);
            FloatVector.fromArray(S, dy, dyo + i).sub(y.mul(vd)).mul(vinv).intoArray(dx, dxo + i);
        }
        for (; i < cols; i++) {
            float y = x[xo + i] * invNorm;
            dx[dxo + i] = (dy[dyo + i] - y * d) * invNorm;
        }
    }

    private static void scaleInPlace(float[] y, int yo, float s, int cols) {
        int i = 0;
        int upper = S.loopBound(cols);
        for (; i < upper; i += L) {
            FloatVector.fromArray(S, y, yo + i).mul(s).intoArray(y, yo + i);
        }
        for (; i < cols; i++) {
            y[yo + i] *= s;
        }
    }

    private static float max(float[] x, int xo, int cols) {
        FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int i = 0;
        int upper = S.loopBound(cols);
        for (; i < upper; i += L) {
            acc = acc.max(FloatVector.fromArray(S, x, xo + i));
        }
        float m = acc.reduceLanes(VectorOperators.MAX);
        for (; i < cols; i++) {
            m = Math.max(m, x[xo + i]);
        }
        return m;
    }

    private static double sum(float[] x, int xo, int cols) {
        double s = 0;
        int i = 0;
        int upper = S.loopBound(cols);
        while (i < upper) {
            int blockEnd = Math.min(upper, i + BLOCK);
            FloatVector acc = FloatVector.zero(S);
            for (; i < blockEnd; i += L) {
                acc = acc.add(FloatVector.fromArray(S, x, xo + i));
            }
            s += VectorMath.sum(acc);
        }
        for (; i < cols; i++) {
            s += x[xo + i];
        }
        return s;
    }

    private static double dot(float[] a, int ao, float[] b, int bo, int cols) {
        double s = 0;
        int i = 0;
        int upper = S.loopBound(cols);
        while (i < upper) {
            int blockEnd = Math.min(upper, i + BLOCK);
            FloatVector acc = FloatVector.zero(S);
            for (; i < blockEnd; i += L) {
                acc = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc);
            }
            s += VectorMath.sum(acc);
        }
        for (; i < cols; i++) {
            s += (double) a[ao + i] * b[bo + i];
        }
        return s;
    }
}
