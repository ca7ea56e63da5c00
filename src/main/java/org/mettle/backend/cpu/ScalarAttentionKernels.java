package org.mettle.backend.cpu;

/** Plain-Java attention tile primitives: the path for JVMs without {@code jdk.incubator.vector}. */
final class ScalarAttentionKernels implements AttentionKernels {

    @Override
    public void dotTile(float[] a, int aOff, int aStride, int rows, float[] b, int bOff, int bStride, int cols, int d,
                        float[] s, int ldS) {
        for (int i = 0; i < rows; i++) {
            int ai = aOff + i * aStride;
            int j = 0;
            // four keys per pass so each element of the query row is loaded once for four products
            for (; j + 4 <= cols; j += 4) {
                int b0 = bOff + j * bStride;
                int b1 = b0 + bStride;
                int b2 = b1 + bStride;
                int b3 = b2 + bStride;
                float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
                for (int t = 0; t < d; t++) {
                    float x = a[ai + t];
                    s0 += x * b[b0 + t];
                    s1 += x * b[b1 + t];
                    s2 += x * b[b2 + t];
                    s3 += x * b[b3 + t];
                }
                int si = i * ldS + j;
                s[si] = s0;
                s[si + 1] = s1;
                s[si + 2] = s2;
                s[si + 3] = s3;
            }
            for (; j < cols; j++) {
                int bj = bOff + j * bStride;
                float acc = 0f;
                for (int t = 0; t < d; t++) {
                    acc += a[ai + t] * b[bj + t];
                }
                s[i * ldS + j] = acc;
            }
        }
    }

    @Override
    public void mulAdd(float[] p, int ldP, int rows, int cols, float[] x, int xOff, int xStride, int d,
                       float[] y, int yOff, int yStride) {
        for (int i = 0; i < rows; i++) {
            int yi = yOff + i * yStride;
            int pi = i * ldP;
            for (int j = 0; j < cols; j++) {
                float w = p[pi + j];
                int xj = xOff + j * xStride;
                for (int t = 0; t < d; t++) {
                    y[yi + t] += w * x[xj + t];
                }
            }
        }
    }

    @Override
    public void mulAddTransposed(float[] p, int ldP, int rows, int cols, float[] x, int xOff, int xStride, int d,
                                 float[] y, int yOff, int yStride) {
        for (int i = 0; i < rows; i++) {
            int xi = xOff + i * xStride;
            int pi = i * ldP;
            for (int j = 0; j < cols; j++) {
                float w = p[pi + j];
                int yj = yOff + j * yStride;
                for (int t = 0; t < d; t++) {
                    y[yj + t] += w * x[xi + t];
                }
            }
        }
    }

    @Override
    public void logits(float[] s, int sOff, int n, float scale, float[] bias, int biasOff, float[] mask, int maskOff) {
        for (int j = 0; j < n; j++) {
            float v = s[sOff + j] * scale;
            if (bias != null) {
                v += bias[biasOff + j];
            }
            if (mask != null) {
                v += mask[maskOff + j];
            }
            s[sOff + j] = v;
        }
    }

    @Override
    public float max(float[] a, int off, int n) {
        float m = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            m = Math.max(m, a[off + j]);
        }
        return m;
    }

    @Override
    public float expShift(float[] a, int off, int n, float shift) {
        float sum = 0f;
        for (int j = 0; j < n; j++) {
            float e = (float) Math.exp(a[off + j] - shift);
            a[off + j] = e;
            sum += e;
        }
        return sum;
    }

    @Override
    public void softmaxGrad(float[] p, float[] dp, int off, int n, float rowDot) {
        for (int j = 0; j < n; j++) {
            dp[off + j] = p[off + j] * (dp[off + j] - rowDot);
        }
    }

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        float acc = 0f;
        for (int t = 0; t < n; t++) {
            acc += a[aOff + t] * b[bOff + t];
        }
        return acc;
    }

    @Override
    public void scale(float[] a, int off, int n, float factor) {
        for (int t = 0; t < n; t++) {
            a[off + t] *= factor;
        }
    }

    @Override
    public void add(float[] src, int srcOff, float[] dst, int dstOff, int n) {
        for (int t = 0; t < n; t++) {
            dst[dstOff + t] += src[srcOff + t];
        }
    }
}
