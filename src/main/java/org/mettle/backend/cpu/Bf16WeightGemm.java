package org.mettle.backend.cpu;

/**
 * GEMM whose B operand (a frozen weight) is stored as BF16 bits, with F32 A, C and accumulation. op(B) is widened
 * to F32 one column block at a time into a bounded per-thread buffer (at most {@link #DEFAULT_BLOCK_FLOATS}), and
 * each block runs through the ordinary F32 kernel, which packs it as usual: the F32 paths stay untouched, and
 * the widening is one sequential pass over B per call (B is read once either way). Blocks split the output
 * columns, so every element of C sees the same depth order as the F32 GEMM on the widened values.
 */
final class Bf16WeightGemm {
    /** Widened op(B) per block: 4 MiB, small enough to stay in a shared L3 while the kernel packs it. */
    static final int DEFAULT_BLOCK_FLOATS = 1 << 20;
    /** Block widths are multiples of this (every kernel's NR divides it), so only the last block is ragged. */
    private static final int COLUMN_ALIGN = 16;

    private static final ThreadLocal<Buffer> BUFFER = ThreadLocal.withInitial(Buffer::new);

    private Bf16WeightGemm() {}

    /**
     * C = alpha * op(A) * op(B) + beta * C for matrices i < batch at offsets aOff + i*strideA (and so on), as in
     * {@link GemmKernel#sgemmBatched}; B holds BF16 bits, stored n x k (transB, PyTorch's [out, in] weight) or
     * k x n, with ldb = k or n. A stride of 0 broadcasts that operand.
     */
    static void run(GemmKernel kernel, boolean transA, boolean transB, int batch, int m, int n, int k, float alpha,
                    float[] a, int aOff, int strideA, short[] b, int bOff, int strideB,
                    float beta, float[] c, int cOff, int strideC, int blockFloats) {
        GemmChecks.checkSizes(m, n, k);
        checkB(transB, batch, n, k, b, bOff, strideB);
        int lda = transA ? m : k;
        int width = blockWidth(n, k, blockFloats);
        Buffer holder = BUFFER.get();
        float[] block = holder.acquire(Math.max(1, width * k));
        try {
            for (int i = 0; i < batch; i++) {
                int bBase = bOff + i * strideB;
                for (int j0 = 0; j0 < n; j0 += width) {
                    int cols = Math.min(width, n - j0);
                    widen(transB, b, bBase, n, k, j0, cols, block);
                    // The widened block is contiguous: cols x k (transB) or k x cols.
                    kernel.sgemm(transA, transB, m, cols, k, alpha, a, aOff + i * strideA, lda,
                            block, 0, transB ? k : cols, beta, c, cOff + i * strideC + j0, n);
                }
            }
        } finally {
            holder.release(block);
        }
    }

    /** Columns per block: as many as fit blockFloats at depth k, a multiple of COLUMN_ALIGN, at least one align. */
    static int blockWidth(int n, int k, int blockFloats) {
        if (n == 0) {
            return 1;
        }
        int fit = Math.max(COLUMN_ALIGN, blockFloats / Math.max(1, k) / COLUMN_ALIGN * COLUMN_ALIGN);
        return Math.min(n, fit);
    }

    /** Writes columns [j0, j0 + cols) of op(B) as F32 into block (cols x k for transB, else k x cols). */
    private static void widen(boolean transB, short[] b, int bBase, int n, int k, int j0, int cols, float[] block) {
        if (transB) {
            // Columns of op(B) are rows of the stored n x k matrix: one contiguous run.
            CpuPointwise.fromBf16(b, bBase + j0 * k, block, 0, cols * k);
            return;
        }
        int grain = Math.max(1, (1 << 15) / Math.max(1, cols));
        CpuParallel.parallelFor(k, grain, (from, to) -> {
            for (int p = from; p < to; p++) {
                int src = bBase + p * n + j0;
                int dst = p * cols;
                for (int j = 0; j < cols; j++) {
                    block[dst + j] = CpuPointwise.fromBf16(b[src + j]);
                }
            }
        });
    }

    private static void checkB(boolean transB, int batch, int n, int k, short[] b, int bOff, int strideB) {
        if (batch < 0 || strideB < 0) {
            throw new IllegalArgumentException("gemm with a BF16 B: batch and strideB must be non-negative, got batch="
                    + batch + " strideB=" + strideB);
        }
        if (batch == 0 || n == 0 || k == 0) {
            return;
        }
        if (b == null) {
            throw new NullPointerException("gemm: BF16 array for B is null");
        }
        long end = bOff + (long) (batch - 1) * strideB + (long) n * k;
        if (bOff < 0 || end > b.length) {
            throw new IllegalArgumentException(String.format(
                    "gemm: BF16 B%s is %d x %d at offset %d (batch %d, stride %d) and needs %d elements, but holds %d",
                    transB ? " (transB: stored n x k)" : " (stored k x n)", transB ? n : k, transB ? k : n, bOff,
                    batch, strideB, end, b.length));
        }
    }

    /** One reusable widening buffer per thread; taken while in use, so a nested call on the thread gets its own. */
    private static final class Buffer {
        private float[] free = new float[0];

        float[] acquire(int size) {
            float[] b = free;
            free = null;
            return b != null && b.length >= size ? b : new float[size];
        }

        void release(float[] b) {
            if (free == null || free.length < b.length) {
                free = b;
            }
        }
    }
}
