package org.mettle.backend.cpu;

/**
 * Tile primitives of the fused attention kernels. Rows of the token operands (q, k, v, o and their gradients) have a
 * contiguous head dimension of length {@code d} and a row stride; tiles of scores/probabilities are row-major with a
 * leading dimension. {@link ScalarAttentionKernels} is the portable implementation, {@code VectorAttentionKernels}
 * the Vector API one; both must give the same results up to float rounding.
 */
interface AttentionKernels {
    /** s[i*ldS + j] = sum_t a[aOff + i*aStride + t] * b[bOff + j*bStride + t] for i < rows, j < cols, t < d. */
    void dotTile(float[] a, int aOff, int aStride, int rows, float[] b, int bOff, int bStride, int cols, int d,
                 float[] s, int ldS);

    /** y[yOff + i*yStride + t] += sum_j p[i*ldP + j] * x[xOff + j*xStride + t] for i < rows, j < cols, t < d. */
    void mulAdd(float[] p, int ldP, int rows, int cols, float[] x, int xOff, int xStride, int d,
                float[] y, int yOff, int yStride);

    /** y[yOff + j*yStride + t] += sum_i p[i*ldP + j] * x[xOff + i*xStride + t] for i < rows, j < cols, t < d. */
    void mulAddTransposed(float[] p, int ldP, int rows, int cols, float[] x, int xOff, int xStride, int d,
                          float[] y, int yOff, int yStride);

    /** s[sOff + j] = s[sOff + j] * scale + bias[biasOff + j] + mask[maskOff + j]; bias and mask may be null. */
    void logits(float[] s, int sOff, int n, float scale, float[] bias, int biasOff, float[] mask, int maskOff);

    /** Maximum of a[off .. off+n), n >= 1; -inf when every element is -inf. */
    float max(float[] a, int off, int n);

    /** a[off + j] = exp(a[off + j] - shift) for j < n; returns the sum of the new values. shift must be finite. */
    float expShift(float[] a, int off, int n, float shift);

    /** dp[off + j] = p[off + j] * (dp[off + j] - rowDot): the softmax backward of one row. */
    void softmaxGrad(float[] p, float[] dp, int off, int n, float rowDot);

    /** sum_t a[aOff + t] * b[bOff + t] for t < n. */
    float dot(float[] a, int aOff, float[] b, int bOff, int n);

    /** a[off + t] *= factor for t < n. */
    void scale(float[] a, int off, int n, float factor);

    /** dst[dstOff + t] += src[srcOff + t] for t < n. */
    void add(float[] src, int srcOff, float[] dst, int dstOff, int n);
}
