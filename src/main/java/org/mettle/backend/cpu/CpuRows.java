package org.mettle.backend.cpu;

/**
 * Row-wise kernels of the CPU backend (a row is the last dim; data is rows x cols, contiguous from the given
 * offset): softmax, log-softmax, layer norm and L2 normalisation, forward and backward. Rows are split over
 * {@link CpuParallel}; the per-row loops sit behind {@link Kernels} ({@link VectorRows} with the Vector API,
 * {@link ScalarRows} otherwise). The two differ by float rounding only: the scalar path accumulates row sums in
 * double, the vector path in float lanes per 1024-element block and in double across blocks; both stay within
 * about 2e-6 relative (plus 1e-6 absolute) of a double reference in the tests.
 *
 * <p>Masked rows: softmax of a row that is entirely -infinity is defined here as all zeros (torch gives NaN), its
 * backward as zeros; log-softmax of such a row is all -infinity (log of those zeros) with backward dx = dy.
 */
public final class CpuRows {
    /** Elements (rows x cols) per parallel task. */
    static final int GRAIN = 1 << 14;
    /** Layer-norm backward sums dGamma/dBeta over at most this many fixed row blocks (deterministic). */
    static final int MAX_PARAM_BLOCKS = 64;

    /** Per-row loops. x and y may be the same array at the same offset (in place) for the forwards. */
    interface Kernels {
        void softmax(float[] x, int xo, float[] y, int yo, int cols);

        void softmaxBackward(float[] y, int yo, float[] dy, int dyo, float[] dx, int dxo, int cols);

        void logSoftmax(float[] x, int xo, float[] y, int yo, int cols);

        void logSoftmaxBackward(float[] y, int yo, float[] dy, int dyo, float[] dx, int dxo, int cols);

        /** Normalises one row; writes stats[0] = mean, stats[1] = rstd. gamma/beta nullable. */
        void layerNorm(float[] x, int xo, float[] gamma, float[] beta, float eps, int cols, float[] y, int yo,
                float[] stats);

        /** dx of one row; adds dy*xhat into dGammaAcc and dy into dBetaAcc (each nullable) at index 0..cols. */
        void layerNormBackward(float[] x, int xo, float[] gamma, float mean, float rstd, float[] dy, int dyo,
                int cols, float[] dx, int dxo, float[] dGammaAcc, float[] dBetaAcc);

        /** Sum of squares of one row. */
        float sumSquares(float[] x, int xo, int cols);

        /** y = x * s for one row. */
        void scale(float[] x, int xo, float s, float[] y, int yo, int cols);

        /** dx = (dy - y * dot(y, dy)) * s where y = x / norm, one row (the backward of x / ||x||). */
        void l2Backward(float[] x, int xo, float invNorm, float[] dy, int dyo, float[] dx, int dxo, int cols);
    }

    static final Kernels KERNELS =
            VectorSupport.load(Kernels.class, "org.mettle.backend.cpu.VectorRows", new ScalarRows());

    private CpuRows() {}

    /** Numerically stable softmax of each row (subtracts the row max). An all -infinity row gives zeros. */
    public static void softmaxForward(float[] x, int xOff, float[] y, int yOff, int rows, int cols) {
        softmaxForward(KERNELS, x, xOff, y, yOff, rows, cols);
    }

    static void softmaxForward(Kernels k, float[] x, int xOff, float[] y, int yOff, int rows, int cols) {
        checkRows("softmaxForward", rows, cols);
        CpuParallel.parallelFor(rows, rowGrain(cols), (from, to) -> {
            for (int r = from; r < to; r++) {
                k.softmax(x, xOff + r * cols, y, yOff + r * cols, cols);
            }
        });
    }

    /** dx = y * (dy - sum(dy * y)) per row, from the forward output y. */
    public static void softmaxBackward(float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff, int rows,
            int cols) {
        softmaxBackward(KERNELS, y, yOff, dy, dyOff, dx, dxOff, rows, cols);
    }

    static void softmaxBackward(Kernels k, float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff,
            int rows, int cols) {
        checkRows("softmaxBackward", rows, cols);
        CpuParallel.parallelFor(rows, rowGrain(cols), (from, to) -> {
            for (int r = from; r < to; r++) {
                k.softmaxBackward(y, yOff + r * cols, dy, dyOff + r * cols, dx, dxOff + r * cols, cols);
            }
        });
    }

    /** y = x - max - log(sum(exp(x - max))) per row. An all -infinity row gives -infinity. */
    public static void logSoftmaxForward(float[] x, int xOff, float[] y, int yOff, int rows, int cols) {
        logSoftmaxForward(KERNELS, x, xOff, y, yOff, rows, cols);
    }

    static void logSoftmaxForward(Kernels k, float[] x, int xOff, float[] y, int yOff, int rows, int cols) {
        checkRows("logSoftmaxForward", rows, cols);
        CpuParallel.parallelFor(rows, rowGrain(cols), (from, to) -> {
            for (int r = from; r < to; r++) {
                k.logSoftmax(x, xOff + r * cols, y, yOff + r * cols, cols);
            }
        });
    }

    /** dx = dy - exp(y) * sum(dy) per row, from the forward output y. */
    public static void logSoftmaxBackward(float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff, int rows,
            int cols) {
        logSoftmaxBackward(KERNELS, y, yOff, dy, dyOff, dx, dxOff, rows, cols);
    }

    static void logSoftmaxBackward(Kernels k, float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff,
            int rows, int cols) {
        checkRows("logSoftmaxBackward", rows, cols);
        CpuParallel.parallelFor(rows, rowGrain(cols), (from, to) -> {
            for (int r = from; r < to; r++) {
                k.logSoftmaxBackward(y, yOff + r * cols, dy, dyOff + r * cols, dx, dxOff + r * cols, cols);
            }
        });
    }

    /**
     * y = (x - mean) * rstd * gamma + beta with the biased variance and rstd = 1 / sqrt(var + eps); gamma/beta
     * nullable (no affine); mean/rstd (length rows) are written when not null.
     */
    public static void layerNormForward(float[] x, int xOff, float[] gamma, float[] beta, float eps, int rows,
            int cols, float[] y, int yOff, float[] mean, float[] rstd) {
        layerNormForward(KERNELS, x, xOff, gamma, beta, eps, rows, cols, y, yOff, mean, rstd);
    }

    static void layerNormForward(Kernels k, float[] x, int xOff, float[] gamma, float[] beta, float eps, int rows,
            int cols, float[] y, int yOff, float[] mean, float[] rstd) {
        checkRows("layerNormForward", rows, cols);
        checkParam("layerNormForward", "gamma", gamma, cols);
        checkParam("layerNormForward", "beta", beta, cols);
        CpuParallel.parallelFor(rows, rowGrain(cols), (from, to) -> {
            float[] stats = new float[2];
            for (int r = from; r < to; r++) {
                k.layerNorm(x, xOff + r * cols, gamma, beta, eps, cols, y, yOff + r * cols, stats);
                if (mean != null) {
                    mean[r] = stats[0];
                }
                if (rstd != null) {
                    rstd[r] = stats[1];
                }
            }
        });
    }

    /**
     * dx written; dGamma/dBeta ACCUMULATED (nullable). Deterministic: rows are cut into fixed blocks (a function of
     * rows and cols only, never of the thread count) whose partial sums are added in block order.
     */
    public static void layerNormBackward(float[] x, int xOff, float[] gamma, float[] mean, float[] rstd, float[] dy,
            int dyOff, int rows, int cols, float[] dx, int dxOff, float[] dGamma, float[] dBeta) {
        layerNormBackward(KERNELS, x, xOff, gamma, mean, rstd, dy, dyOff, rows, cols, dx, dxOff, dGamma, dBeta);
    }

    static void layerNormBackward(Kernels k, float[] x, int xOff, float[] gamma, float[] mean, float[] rstd,
            float[] dy, int dyOff, int rows, int cols, float[] dx, int dxOff, float[] dGamma, float[] dBeta) {
        checkRows("layerNormBackward", rows, cols);
        checkParam("layerNormBackward", "gamma", gamma, cols);
        checkParam("layerNormBackward", "dGamma", dGamma, cols);
        checkParam("layerNormBackward", "dBeta", dBeta, cols);
        if (rows == 0) {
            return;
        }
        if (mean == null || rstd == null || mean.length < rows || rstd.length < rows) {
            throw new IllegalArgumentException("layerNormBackward: needs the mean and rstd (" + rows + " rows each) that "
                    + "layerNormForward wrote; got " + (mean == null ? "null" : mean.length) + " and "
                    + (rstd == null ? "null" : rstd.length));
        }
        int blockRows = Math.max(Math.max(1, GRAIN / Math.max(1, cols)), (rows + MAX_PARAM_BLOCKS - 1) / MAX_PARAM_BLOCKS);
        int blocks = (rows + blockRows - 1) / blockRows;
        float[] gammaPartial = dGamma != null ? new float[blocks * cols] : null;
        float[] betaPartial = dBeta != null ? new float[blocks * cols] : null;
        CpuParallel.parallelFor(blocks, 1, (fromBlock, toBlock) -> {
            float[] gAcc = dGamma != null ? new float[cols] : null;
            float[] bAcc = dBeta != null ? new float[cols] : null;
            for (int b = fromBlock; b < toBlock; b++) {
                if (gAcc != null) {
                    java.util.Arrays.fill(gAcc, 0f);
                }
                if (bAcc != null) {
                    java.util.Arrays.fill(bAcc, 0f);
                }
                int end = Math.min(rows, (b + 1) * blockRows);
                for (int r = b * blockRows; r < end; r++) {
                    k.layerNormBackward(x, xOff + r * cols, gamma, mean[r], rstd[r], dy, dyOff + r * cols, cols, dx,
                            dxOff + r * cols, gAcc, bAcc);
                }
                if (gAcc != null) {
                    System.arraycopy(gAcc, 0, gammaPartial, b * cols, cols);
                }
                if (bAcc != null) {
                    System.arraycopy(bAcc, 0, betaPartial, b * cols, cols);
                }
            }
        });
        addBlocksInOrder(gammaPartial, blocks, cols, dGamma);
        addBlocksInOrder(betaPartial, blocks, cols, dBeta);
    }

    /**
     * L2-normalise each row: y = x / max(||x||, eps) (F.normalize semantics). norm (length rows, nullable) receives
     * ||x|| for the backward.
     */
    public static void l2NormalizeForward(float[] x, int xOff, float eps, int rows, int cols, float[] y, int yOff,
            float[] norm) {
        l2NormalizeForward(KERNELS, x, xOff, eps, rows, cols, y, yOff, norm);
    }

    static void l2NormalizeForward(Kernels k, float[] x, int xOff, float eps, int rows, int cols, float[] y,
            int yOff, float[] norm) {
        checkRows("l2NormalizeForward", rows, cols);
        CpuParallel.parallelFor(rows, rowGrain(cols), (from, to) -> {
            for (int r = from; r < to; r++) {
                float n = (float) Math.sqrt(k.sumSquares(x, xOff + r * cols, cols));
                if (norm != null) {
                    norm[r] = n;
                }
                k.scale(x, xOff + r * cols, 1f / Math.max(n, eps), y, yOff + r * cols, cols);
            }
        });
    }

    /**
     * Backward of {@link #l2NormalizeForward}: with n = ||x||, dx = (dy - y (y . dy)) / n where n >= eps, and
     * dx = dy / eps where the norm was clamped (torch's clamp_min gradient). norm may be null (recomputed).
     */
    public static void l2NormalizeBackward(float[] x, int xOff, float[] norm, float eps, float[] dy, int dyOff,
            int rows, int cols, float[] dx, int dxOff) {
        l2NormalizeBackward(KERNELS, x, xOff, norm, eps, dy, dyOff, rows, cols, dx, dxOff);
    }

    static void l2NormalizeBackward(Kernels k, float[] x, int xOff, float[] norm, float eps, float[] dy, int dyOff,
            int rows, int cols, float[] dx, int dxOff) {
        checkRows("l2NormalizeBackward", rows, cols);
        CpuParallel.parallelFor(rows, rowGrain(cols), (from, to) -> {
            for (int r = from; r < to; r++) {
                float n = norm != null ? norm[r] : (float) Math.sqrt(k.sumSquares(x, xOff + r * cols, cols));
                if (n >= eps && n > 0f) {
                    k.l2Backward(x, xOff + r * cols, 1f / n, dy, dyOff + r * cols, dx, dxOff + r * cols, cols);
                } else {
                    k.scale(dy, dyOff + r * cols, 1f / eps, dx, dxOff + r * cols, cols);
                }
            }
        });
    }

    private static void addBlocksInOrder(float[] partial, int blocks, int cols, float[] target) {
        if (partial == null) {
            return;
        }
        for (int c = 0; c < cols; c++) {
            double s = 0;
            for (int b = 0; b < blocks; b++) {
                s += partial[b * cols + c];
            }
            target[c] += (float) s;
        }
    }

    static int rowGrain(int cols) {
        return Math.max(1, GRAIN / Math.max(1, cols));
    }

    private static void checkRows(String what, int rows, int cols) {
        if (rows < 0 || cols < 1 && rows > 0) {
            throw new IllegalArgumentException(what + ": need rows >= 0 and cols >= 1, got rows = " + rows
                    + ", cols = " + cols);
        }
        if ((long) rows * cols > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(what + ": rows x cols = " + rows + " x " + cols
                    + " exceeds a Java array (2^31 - 1 elements)");
        }
    }

    private static void checkParam(String what, String name, float[] p, int cols) {
        if (p != null && p.length < cols) {
            throw new IllegalArgumentException(what + ": " + name + " has " + p.length + " elements, expected cols = "
                    + cols);
        }
    }
}
