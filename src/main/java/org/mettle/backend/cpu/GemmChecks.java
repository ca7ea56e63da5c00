package org.mettle.backend.cpu;

/** Argument validation for {@link GemmKernel} calls, with messages that name the operand and what to fix. */
final class GemmChecks {
    private GemmChecks() {}

    static void checkSizes(int m, int n, int k) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException(String.format(
                    "sgemm: sizes must be non-negative, got m=%d n=%d k=%d", m, n, k));
        }
    }

    static void checkBatch(int batch, int strideA, int strideB, int strideC, int m, int n) {
        if (batch < 0) {
            throw new IllegalArgumentException("sgemmBatched: batch must be non-negative, got " + batch);
        }
        if (strideA < 0 || strideB < 0 || strideC < 0) {
            throw new IllegalArgumentException(String.format(
                    "sgemmBatched: strides must be non-negative, got strideA=%d strideB=%d strideC=%d",
                    strideA, strideB, strideC));
        }
        if (strideC == 0 && batch > 1 && m > 0 && n > 0) {
            throw new IllegalArgumentException(
                    "sgemmBatched: strideC=0 with batch=" + batch + " would make every product overwrite the same C;"
                            + " give each output its own matrix (strideC >= n, e.g. m*ldc)");
        }
    }

    /** Checks A, B and C as stored (op applied) for matrices 0 .. count-1 of a batch. */
    static void checkOperands(boolean transA, boolean transB, int m, int n, int k,
                              float[] a, int aOff, int lda, int strideA,
                              float[] b, int bOff, int ldb, int strideB,
                              float[] c, int cOff, int ldc, int strideC, int count) {
        if (count == 0 || m == 0 || n == 0) {
            checkNotNull("C", c);
            return;
        }
        checkMatrix("C", "ldc", "", c, cOff, ldc, strideC, m, n, count);
        if (k == 0) {
            return;
        }
        checkMatrix("A", "lda", transA ? " (transA: stored k x m)" : " (stored m x k)",
                a, aOff, lda, strideA, transA ? k : m, transA ? m : k, count);
        checkMatrix("B", "ldb", transB ? " (transB: stored n x k)" : " (stored k x n)",
                b, bOff, ldb, strideB, transB ? n : k, transB ? k : n, count);
    }

    /** A (stored m x k) and C of a product with a packed op(B) (BlockedGemm#sgemmPacked). */
    static void checkPacked(int m, int n, int k, float[] a, int aOff, int lda, float[] c, int cOff, int ldc) {
        if (m == 0 || n == 0) {
            checkNotNull("C", c);
            return;
        }
        checkMatrix("C", "ldc", "", c, cOff, ldc, 0, m, n, 1);
        if (k > 0) {
            checkMatrix("A", "lda", " (stored m x k)", a, aOff, lda, 0, m, k, 1);
        }
    }

    /** The op(B) that BlockedGemm#packWeights reads. */
    static void checkWeights(boolean transB, int n, int k, float[] b, int bOff, int ldb) {
        if (n == 0 || k == 0) {
            checkNotNull("B", b);
            return;
        }
        checkMatrix("B", "ldb", transB ? " (transB: stored n x k)" : " (stored k x n)", b, bOff, ldb, 0, transB ? n : k,
                transB ? k : n, 1);
    }

    private static void checkMatrix(String name, String ldName, String layout, float[] arr, int off, int ld,
                                    int stride, int rows, int cols, int count) {
        checkNotNull(name, arr);
        if (off < 0) {
            throw new IllegalArgumentException("sgemm: offset of " + name + " must be non-negative, got " + off);
        }
        if (rows > 1 && ld < cols) {
            throw new IllegalArgumentException(String.format(
                    "sgemm: %s=%d is smaller than the row width %d of %s, a %d x %d matrix%s; pass %s >= %d",
                    ldName, ld, cols, name, rows, cols, layout, ldName, cols));
        }
        long end = (long) off + (long) (count - 1) * stride + (long) (rows - 1) * ld + cols;
        if (end > arr.length) {
            throw new IllegalArgumentException(String.format(
                    "sgemm: %s%s is %d x %d with %s=%d at offset %d%s and needs %d floats, but its array holds %d",
                    name, layout, rows, cols, ldName, ld, off,
                    count > 1 ? String.format(" (batch %d, stride %d)", count, stride) : "", end, arr.length));
        }
    }

    private static void checkNotNull(String name, float[] arr) {
        if (arr == null) {
            throw new NullPointerException("sgemm: array for " + name + " is null");
        }
    }
}
