package org.mettle.backend.cpu;

/**
 * Single-precision matrix multiply on row-major arrays, in the BLAS sense. Implementations are thread-safe and
 * use all cores of {@link CpuParallel}.
 */
public interface GemmKernel {
    /**
     * C = alpha * op(A) * op(B) + beta * C, row-major; op(A) is m x k (A stored m x k with row stride lda, or
     * k x m when transA), op(B) is k x n (stored k x n with ldb, or n x k when transB); C is m x n with ldc.
     * beta == 0 means C is not read (NaN in C must not propagate).
     */
    void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
               float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
               float beta, float[] c, int cOff, int ldc);

    /** Batched: matrix i uses offsets aOff + i*strideA, etc. A stride of 0 broadcasts that operand. */
    void sgemmBatched(int batch, boolean transA, boolean transB, int m, int n, int k, float alpha,
                      float[] a, int aOff, int lda, int strideA, float[] b, int bOff, int ldb, int strideB,
                      float beta, float[] c, int cOff, int ldc, int strideC);

    /** Floats {@link #packWeights} needs for an op(B) of k x n (n rounded up to this kernel's panel width). */
    long packedSize(int n, int k);

    /**
     * Packs op(B) (k x n: stored k x n with ldb, or n x k when transB) once into {@code packed}, in this kernel's own
     * layout, for {@link #sgemmPacked}: a weight used by many products then skips the packing each product would do.
     */
    void packWeights(boolean transB, int n, int k, float[] b, int bOff, int ldb, float[] packed);

    /**
     * C = alpha * A * B + beta * C with B from {@link #packWeights} of this same kernel (A stored m x k with lda,
     * not transposed); same semantics and threads as {@link #sgemm}.
     */
    void sgemmPacked(int m, int n, int k, float alpha, float[] a, int aOff, int lda, float[] packed,
                     float beta, float[] c, int cOff, int ldc);

    /** Which implementation this is ("vector", "scalar", ...), for logs and benchmarks. */
    default String path() {
        return getClass().getSimpleName();
    }
}
