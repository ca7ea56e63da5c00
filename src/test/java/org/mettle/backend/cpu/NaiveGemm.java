package org.mettle.backend.cpu;

/** Triple-loop reference GEMM accumulating in double, plus the error bound a float GEMM must meet against it. */
final class NaiveGemm {
    private NaiveGemm() {}

    static double opA(boolean transA, float[] a, int aOff, int lda, int i, int p) {
        return transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
    }

    static double opB(boolean transB, float[] b, int bOff, int ldb, int p, int j) {
        return transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
    }

    /**
     * Returns the expected C (row-major m x n, dense) computed in double and fills {@code bound} with a per-element
     * tolerance: a few float roundings per term of the k-long sum, scaled by the magnitudes involved.
     */
    static double[] expected(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc, double[] bound) {
        double[] out = new double[m * n];
        double eps = Math.ulp(1f);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                double abs = 0;
                for (int p = 0; p < k; p++) {
                    double t = opA(transA, a, aOff, lda, i, p) * opB(transB, b, bOff, ldb, p, j);
                    sum += t;
                    abs += Math.abs(t);
                }
                double old = beta == 0f ? 0 : c[cOff + i * ldc + j];
                out[i * n + j] = alpha * sum + beta * old;
                bound[i * n + j] = 4 * eps * (k + 3) * (Math.abs(alpha) * abs + Math.abs(beta * old)) + 1e-30;
            }
        }
        return out;
    }
}
