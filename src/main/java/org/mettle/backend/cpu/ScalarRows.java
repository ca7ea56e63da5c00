package org.mettle.backend.cpu;

import java.util.Arrays;

/** Plain-Java row loops (the path without the Vector API); row sums accumulate in double. */
final class ScalarRows implements CpuRows.Kernels {

    @Override
    public void softmax(float[] x, int xo, float[] y, int yo, int cols) {
        float max = rowMax(x, xo, cols);
        if (max == Float.NEGATIVE_INFINITY) {
            Arrays.fill(y, yo, yo + cols, 0f);
            return;
        }
        double sum = 0;
        for (int c = 0; c < cols; c++) {
            float e = (float) Math.exp(x[xo + c] - max);
            y[yo + c] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int c = 0; c < cols; c++) {
            y[yo + c] *= inv;
        }
    }

    @Override
    public void softmaxBackward(float[] y, int yo, float[] dy, int dyo, float[] dx, int dxo, int cols) {
        double dot = 0;
        for (int c = 0; c < cols; c++) {
            dot += (double) y[yo + c] * dy[dyo + c];
        }
        float d = (float) dot;
        for (int c = 0; c < cols; c++) {
            dx[dxo + c] = y[yo + c] * (dy[dyo + c] - d);
        }
    }

    @Override
    public void logSoftmax(float[] x, int xo, float[] y, int yo, int cols) {
        float max = rowMax(x, xo, cols);
        if (max == Float.NEGATIVE_INFINITY) {
            Arrays.fill(y, yo, yo + cols, Float.NEGATIVE_INFINITY);
            return;
        }
        double sum = 0;
        for (int c = 0; c < cols; c++) {
            sum += Math.exp(x[xo + c] - max);
        }
        float logSum = (float) Math.log(sum);
        for (int c = 0; c < cols; c++) {
            y[yo + c] = (x[xo + c] - max) - logSum;
        }
    }

    @Override
    public void logSoftmaxBackward(float[] y, int yo, float[] dy, int dyo, float[] dx, int dxo, int cols) {
        double sum = 0;
        for (int c = 0; c < cols; c++) {
            sum += dy[dyo + c];
        }
        float s = (float) sum;
        for (int c = 0; c < cols; c++) {
            dx[dxo + c] = dy[dyo + c] - (float) Math.exp(y[yo + c]) * s;
        }
    }

    @Override
    public void layerNorm(float[] x, int xo, float[] gamma, float[] beta, float eps, int cols, float[] y, int yo,
            float[] stats) {
        double sum = 0;
        for (int c = 0; c < cols; c++) {
            sum += x[xo + c];
        }
        double mean = sum / cols;
        double sq = 0;
        for (int c = 0; c < cols; c++) {
            double d = x[xo + c] - mean;
            sq += d * d;
        }
        float m = (float) mean;
        float rstd = (float) (1.0 / Math.sqrt(sq / cols + eps));
        for (int c = 0; c < cols; c++) {
            float v = (x[xo + c] - m) * rstd;
            if (gamma != null) {
                v *= gamma[c];
            }
            if (beta != null) {
                v += beta[c];
            }
            y[yo + c] = v;
        }
        stats[0] = m;
        stats[1] = rstd;
    }

    @Override
    public void layerNormBackward(float[] x, int xo, float[] gamma, float mean, float rstd, float[] dy, int dyo,
            int cols, float[] dx, int dxo, float[] dGammaAcc, float[] dBetaAcc) {
        double sumG = 0;
        double sumGx = 0;
        for (int c = 0; c < cols; c++) {
            float xhat = (x[xo + c] - mean) * rstd;
            float g = gamma != null ? dy[dyo + c] * gamma[c] : dy[dyo + c];
            sumG += g;
            sumGx += (double) g * xhat;
        }
        float meanG = (float) (sumG / cols);
        float meanGx = (float) (sumGx / cols);
        for (int c = 0; c < cols; c++) {
            float xhat = (x[xo + c] - mean) * rstd;
            float d = dy[dyo + c];
            float g = gamma != null ? d * gamma[c] : d;
            dx[dxo + c] = rstd * (g - meanG - xhat * meanGx);
            if (dGammaAcc != null) {
                dGammaAcc[c] += d * xhat;
            }
            if (dBetaAcc != null) {
                dBetaAcc[c] += d;
            }
        }
    }

    @Override
    public float sumSquares(float[] x, int xo, int cols) {
        double s = 0;
        for (int c = 0; c < cols; c++) {
            double v = x[xo + c];
            s += v * v;
        }
        return (float) s;
    }

    @Override
    public void scale(float[] x, int xo, float s, float[] y, int yo, int cols) {
        for (int c = 0; c < cols; c++) {
            y[yo + c] = x[xo + c] * s;
        }
    }

    @Override
    public void l2Backward(float[] x, int xo, float invNorm, float[] dy, int dyo, float[] dx, int dxo, int cols) {
        double dot = 0;
        for (int c = 0; c < cols; c++) {
            dot += (double) x[xo + c] * invNorm * dy[dyo + c];
        }
        float d = (float) dot;
        for (int c = 0; c < cols; c++) {
            float y = x[xo + c] * invNorm;
            dx[dxo + c] = (dy[dyo + c] - y * d) * invNorm;
        }
    }

    /** Row max; NaN propagates. */
    static float rowMax(float[] x, int xo, int cols) {
        float m = Float.NEGATIVE_INFINITY;
        for (int c = 0; c < cols; c++) {
            m = Math.max(m, x[xo + c]);
        }
        return m;
    }
}
