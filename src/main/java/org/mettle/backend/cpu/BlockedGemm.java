package org.mettle.backend.cpu;

import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * The GotoBLAS/BLIS loop nest shared by the scalar and vector kernels; subclasses supply the register-tiled
 * micro-kernel (and may override packing). For each column block of op(B) (at most NC wide and 8 MiB packed),
 * op(B) is packed once, for every KC-deep slice, into NR-wide micro-panels shared by all threads. The rows of C
 * are then cut into equal work items (or, for short products, the columns); each item packs its own MC x KC
 * blocks of op(A) into MR-tall micro-panels and sweeps the B micro-panels tile by tile. Packing absorbs the
 * transposes and pads edges with zeros, so ragged tiles cost only a scratch-tile merge. Single-threaded small
 * products (batched attention) skip packing where they can: see {@link #gemmDirect}.
 */
abstract class BlockedGemm implements GemmKernel {
    /** Below this m*n*k a call runs on the calling thread: forking would cost more than it saves. */
    private static final long PARALLEL_MIN_MNK = 1L << 18;
    /** Row blocks thinner than this would re-read op(B) too often; such products split columns instead. */
    private static final int MIN_ROWS_PER_ITEM = 32;
    /** Single-threaded products up to this m*n*k skip most packing (see gemmDirect). */
    private static final long DIRECT_MAX_MNK = 1L << 22;
    /** Packed op(B) per column block (k x NC) is kept under this many floats (8 MiB). */
    private static final int PACKED_B_BUDGET_FLOATS = 1 << 21;

    static final ThreadLocal<GemmWorkspace> WORKSPACE = ThreadLocal.withInitial(GemmWorkspace::new);

    /** Register tile: rows of op(A) and columns of op(B) per micro-kernel call. */
    protected final int mr;
    protected final int nr;
    final int kcMax;
    final int mcMax;
    private final int ncMax;

    /**
     * @param kc depth of a packed slice (an NR x KC micro-panel of B should stay in L1)
     * @param mc rows of a packed A block (MC x KC should stay in L2); rounded to a multiple of mr
     * @param nc columns of a packed B block (KC x NC is shared through L3); rounded to a multiple of nr
     */
    protected BlockedGemm(int mr, int nr, int kc, int mc, int nc) {
        this.mr = mr;
        this.nr = nr;
        this.kcMax = Math.max(1, kc);
        this.mcMax = roundUp(Math.max(mc, mr), mr);
        this.ncMax = roundUp(Math.max(nc, nr), nr);
    }

    /**
     * Multiplies one full tile: acc[r][j] = sum over p < kc of a[aIdx + r*aRowStride + p*aDepthStride] *
     * b[bIdx + p*bDepthStride + j], then c[cIdx + r*ldc + j] = alpha * acc[r][j] (+ c[...] when accumulate) for
     * r < mr, j < nr. Packed panels use strides (1, mr) and nr; beta has been applied to C beforehand.
     */
    protected abstract void microKernel(int kc, float[] a, int aIdx, int aRowStride, int aDepthStride,
                                        float[] b, int bIdx, int bDepthStride, float alpha,
                                        float[] c, int cIdx, int ldc, boolean accumulate);

    /**
     * Width of an optional narrower tile (0: none). A ragged last column panel no wider than this runs the
     * narrow kernel instead of a full-width one, so n = 197 wastes less work on zero padding.
     */
    protected int narrowWidth() {
        return 0;
    }

    /** Like {@link #microKernel} for an mr x narrowWidth() tile (only the first narrowWidth() columns of B). */
    protected void narrowKernel(int kc, float[] a, int aIdx, int aRowStride, int aDepthStride,
                                float[] b, int bIdx, int bDepthStride, float alpha,
                                float[] c, int cIdx, int ldc, boolean accumulate) {
        microKernel(kc, a, aIdx, aRowStride, aDepthStride, b, bIdx, bDepthStride, alpha, c, cIdx, ldc, accumulate);
    }

    /** Runs the tile at rows h (<= mr) x cols (<= nr), through a scratch tile when it is not a full one. */
    final void tile(int h, int cols, int kc, float[] a, int aIdx, int ars, int ads, float[] b, int bIdx, int bds,
                      float alpha, float[] c, int cIdx, int ldc, boolean accumulate, GemmWorkspace ws) {
        boolean narrow = cols <= narrowWidth();
        if (h == mr && (cols == nr || cols == narrowWidth())) {
            if (narrow) {
                narrowKernel(kc, a, aIdx, ars, ads, b, bIdx, bds, alpha, c, cIdx, ldc, accumulate);
            } else {
                microKernel(kc, a, aIdx, ars, ads, b, bIdx, bds, alpha, c, cIdx, ldc, accumulate);
            }
            return;
        }
        float[] scratch = ws.tile(mr * nr);
        if (narrow) {
            narrowKernel(kc, a, aIdx, ars, ads, b, bIdx, bds, alpha, scratch, 0, nr, false);
        } else {
            microKernel(kc, a, aIdx, ars, ads, b, bIdx, bds, alpha, scratch, 0, nr, false);
        }
        mergeTile(scratch, h, cols, accumulate, c, cIdx, ldc);
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float beta, float[] c, int cOff, int ldc) {
        GemmChecks.checkSizes(m, n, k);
        GemmChecks.checkOperands(transA, transB, m, n, k, a, aOff, lda, 0, b, bOff, ldb, 0, c, cOff, ldc, 0, 1);
        gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc,
                CpuParallel.threads() > 1);
    }

    /** {@link #sgemm} kept on the calling thread (for callers that are already one task of a parallel loop). */
    final void sgemmSerial(boolean transA, boolean transB, int m, int n, int k, float alpha,
                           float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                           float beta, float[] c, int cOff, int ldc) {
        GemmChecks.checkSizes(m, n, k);
        GemmChecks.checkOperands(transA, transB, m, n, k, a, aOff, lda, 0, b, bOff, ldb, 0, c, cOff, ldc, 0, 1);
        gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, false);
    }

    @Override
    public void sgemmBatched(int batch, boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, int strideA, float[] b, int bOff, int ldb, int strideB,
                             float beta, float[] c, int cOff, int ldc, int strideC) {
        GemmChecks.checkSizes(m, n, k);
        GemmChecks.checkBatch(batch, strideA, strideB, strideC, m, n);
        GemmChecks.checkOperands(transA, transB, m, n, k, a, aOff, lda, strideA, b, bOff, ldb, strideB,
                c, cOff, ldc, strideC, batch);
        if (batch == 0 || m == 0 || n == 0) {
            return;
        }
        int threads = CpuParallel.threads();
        long mnk = (long) m * n * k;
        boolean splitBatch = threads > 1 && batch > 1
                && (batch % threads == 0 || batch >= 8 * threads || mnk < 8 * PARALLEL_MIN_MNK);
        if (!splitBatch) {
            for (int i = 0; i < batch; i++) {
                gemm(transA, transB, m, n, k, alpha, a, aOff + i * strideA, lda, b, bOff + i * strideB, ldb,
                        beta, c, cOff + i * strideC, ldc, threads > 1);
            }
            return;
        }
        int grain = (int) Math.max(1, Math.min(batch, PARALLEL_MIN_MNK / Math.max(1, mnk)));
        CpuParallel.parallelFor(batch, grain, (from, to) -> {
            for (int i = from; i < to; i++) {
                gemm(transA, transB, m, n, k, alpha, a, aOff + i * strideA, lda, b, bOff + i * strideB, ldb,
                        beta, c, cOff + i * strideC, ldc, false);
            }
        });
    }

    /**
     * Applies beta to C where the product needs it first (beta not 0 or 1) or is all there is (k == 0, alpha == 0);
     * true when nothing is left to multiply.
     */
    private static boolean scaledOnly(int m, int n, int k, float alpha, float beta, float[] c, int cOff, int ldc) {
        if (m == 0 || n == 0) {
            return true;
        }
        if (k == 0 || alpha == 0f) {
            scale(m, n, beta, c, cOff, ldc);
            return true;
        }
        if (beta != 0f && beta != 1f) {
            scale(m, n, beta, c, cOff, ldc);
        }
        return false;
    }

    /** Arguments already checked. {@code parallel} false keeps the whole product on the calling thread. */
    private void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float beta, float[] c, int cOff, int ldc, boolean parallel) {
        if (scaledOnly(m, n, k, alpha, beta, c, cOff, ldc)) {
            return;
        }
        int threads = CpuParallel.threads();
        long mnk = (long) m * n * k;
        boolean par = parallel && threads > 1 && mnk >= PARALLEL_MIN_MNK;
        GemmWorkspace ws = WORKSPACE.get();
        if (!par && mnk <= DIRECT_MAX_MNK) {
            gemmDirect(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, ws);
            return;
        }
        if (FewRowsGemm.applies(this, m, n, par)) {
            FewRowsGemm.run(this, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta != 0f, c, cOff, ldc,
                    par);
            return;
        }
        // Each column block of op(B) is packed for its whole depth, so that every work item runs its rows
        // through all depth slices without waiting for the others. Multi-threaded, the B micro-panels are packed
        // on demand by whichever thread needs one first: a single fork-join per column block (waking the pool's
        // workers costs tens of microseconds, more on a busy or idle VM).
        int ncStep = Math.min(ncMax, Math.max(nr, PACKED_B_BUDGET_FLOATS / k / nr * nr));
        int slices = ceilDiv(k, kcMax);
        for (int jc = 0; jc < n; jc += ncStep) {
            int nc = Math.min(ncStep, n - jc);
            int panels = ceilDiv(nc, nr);
            float[] pb = ws.packedB(panels * nr * k);
            if (!par) {
                for (int pc = 0; pc < k; pc += kcMax) {
                    packB(transB, b, bOff, ldb, n, jc, pc, Math.min(kcMax, k - pc), 0, panels, pb, panels * nr * pc,
                            ws);
                }
            }
            PackedBlock block = new PackedBlock(transB, b, bOff, ldb, n, jc, nc, panels, slices, pb, par);
            multiplyColumnBlock(transA, a, aOff, lda, alpha, beta, m, k, block, c, cOff, ldc, par, ws);
        }
    }

    /** All rows of op(A) times one packed column block of op(B), on this thread or split over the pool. */
    private void multiplyColumnBlock(boolean transA, float[] a, int aOff, int lda, float alpha, float beta, int m, int k,
                                     PackedBlock block, float[] c, int cOff, int ldc, boolean par, GemmWorkspace ws) {
        int panels = block.panels;
        if (!par) {
            int mc = Math.min(mcMax, roundUp(m, mr));
            for (int ic = 0; ic < m; ic += mc) {
                multiplyBlock(transA, a, aOff, lda, alpha, beta, ic, Math.min(mc, m - ic), k, block, 0, panels,
                        c, cOff, ldc, ws);
            }
            return;
        }
        // About four equal work items per thread, so work stealing can even out a core shared with other
        // work. Tall products split rows (each item packs its own A rows); short ones split the columns.
        int threads = CpuParallel.threads();
        int target = 4 * threads;
        int mBlocks = ceilDiv(m, mcMax);
        int nParts = 1;
        if (m >= target * MIN_ROWS_PER_ITEM) {
            mBlocks = roundUp(Math.max(mBlocks, target), threads);
        } else {
            nParts = Math.max(1, Math.min(panels, ceilDiv(target, mBlocks)));
        }
        int mc = roundUp(ceilDiv(m, mBlocks), mr);
        mBlocks = ceilDiv(m, mc);
        final int parts = nParts;
        CpuParallel.parallelFor(mBlocks * parts, 1, (from, to) -> {
            GemmWorkspace w = WORKSPACE.get();
            for (int item = from; item < to; item++) {
                int ic = item / parts * mc;
                int part = item % parts;
                int p0 = (int) ((long) panels * part / parts);
                int p1 = (int) ((long) panels * (part + 1) / parts);
                multiplyBlock(transA, a, aOff, lda, alpha, beta, ic, Math.min(mc, m - ic), k, block, p0, p1,
                        c, cOff, ldc, w);
            }
        });
    }

    /** Floats {@link #packWeights} writes for an op(B) of k x n. */
    @Override
    public final long packedSize(int n, int k) {
        return (long) ceilDiv(n, nr) * nr * k;
    }

    /** op(B) packed once, every column and depth slice, in the layout {@link #sgemmPacked} reads. */
    @Override
    public final void packWeights(boolean transB, int n, int k, float[] b, int bOff, int ldb, float[] packed) {
        GemmChecks.checkSizes(1, n, k);
        GemmChecks.checkWeights(transB, n, k, b, bOff, ldb);
        if (packed.length < packedSize(n, k)) {
            throw new IllegalArgumentException("packWeights: " + packed.length + " floats cannot hold " + packedSize(n, k));
        }
        int panels = ceilDiv(n, nr);
        GemmWorkspace ws = WORKSPACE.get();
        for (int pc = 0; pc < k; pc += kcMax) {
            packB(transB, b, bOff, ldb, n, 0, pc, Math.min(kcMax, k - pc), 0, panels, packed, panels * nr * pc, ws);
        }
    }

    @Override
    public final void sgemmPacked(int m, int n, int k, float alpha, float[] a, int aOff, int lda, float[] packed,
                                  float beta, float[] c, int cOff, int ldc) {
        GemmChecks.checkSizes(m, n, k);
        GemmChecks.checkPacked(m, n, k, a, aOff, lda, c, cOff, ldc);
        if (packed.length < packedSize(n, k)) {
            throw new IllegalArgumentException("sgemmPacked: " + packed.length + " packed floats, expected " + packedSize(n, k)
                    + " for k x n = " + k + " x " + n);
        }
        if (scaledOnly(m, n, k, alpha, beta, c, cOff, ldc)) {
            return;
        }
        boolean par = CpuParallel.threads() > 1 && (long) m * n * k >= PARALLEL_MIN_MNK;
        PackedBlock block = new PackedBlock(false, null, 0, 0, n, 0, n, ceilDiv(n, nr), ceilDiv(k, kcMax), packed, false);
        multiplyColumnBlock(false, a, aOff, lda, alpha, beta, m, k, block, c, cOff, ldc, par, WORKSPACE.get());
    }

    /**
     * One column block of op(B), packed for every depth slice: slice pc starts at panels*nr*pc. When shared by
     * several threads, each micro-panel of each slice is packed by the first thread that needs it.
     */
    private final class PackedBlock {
        private static final int TODO = 0;
        private static final int BUSY = 1;
        private static final int READY = 2;
        private static final int FAILED = 3;

        final boolean transB;
        final float[] b;
        final int bOff;
        final int ldb;
        final int n;
        final int jc;
        final int nc;
        final int panels;
        final float[] pb;
        /** Per (slice, micro-panel) state; null when the block was packed in full beforehand. */
        private final AtomicIntegerArray state;

        PackedBlock(boolean transB, float[] b, int bOff, int ldb, int n, int jc, int nc, int panels, int slices,
                    float[] pb, boolean onDemand) {
            this.transB = transB;
            this.b = b;
            this.bOff = bOff;
            this.ldb = ldb;
            this.n = n;
            this.jc = jc;
            this.nc = nc;
            this.panels = panels;
            this.pb = pb;
            this.state = onDemand ? new AtomicIntegerArray(slices * panels) : null;
        }

        /** Makes sure micro-panel {@code panel} of the slice starting at depth pc is packed. */
        void ensure(int pc, int kc, int panel, GemmWorkspace ws) {
            if (state == null) {
                return;
            }
            int i = pc / kcMax * panels + panel;
            int s = state.get(i);
            if (s == READY) {
                return;
            }
            if (s == TODO && state.compareAndSet(i, TODO, BUSY)) {
                try {
                    packB(transB, b, bOff, ldb, n, jc, pc, kc, panel, panel + 1, pb, panels * nr * pc, ws);
                } catch (RuntimeException | Error e) {
                    state.set(i, FAILED);
                    throw e;
                }
                state.set(i, READY);
                return;
            }
            for (int spins = 0; (s = state.get(i)) != READY; spins++) {
                if (s == FAILED) {
                    throw new IllegalStateException("sgemm: packing op(B) failed in another thread");
                }
                if (spins < 1000) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
        }
    }

    /**
     * Small products (attention-sized batches): the micro-kernel reads A and B where they lie, through strides,
     * because packing would cost as much as the multiply. Only ragged edge panels are packed (zero-padded), and
     * an operand whose stride is a multiple of 4 KiB is packed whole, since its rows would all compete for the
     * same few L1 sets. B is also packed when transposed, as the kernel needs rows of op(B).
     */
    private void gemmDirect(boolean transA, boolean transB, int m, int n, int k, float alpha,
                            float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                            float beta, float[] c, int cOff, int ldc, GemmWorkspace ws) {
        boolean packWholeA = aliasesInL1(lda);
        boolean packWholeB = transB || aliasesInL1(ldb);
        int panels = ceilDiv(n, nr);
        int rowPanels = ceilDiv(m, mr);
        int lastCols = n - (panels - 1) * nr;
        int lastRows = m - (rowPanels - 1) * mr;
        for (int pc = 0; pc < k; pc += kcMax) {
            int kc = Math.min(kcMax, k - pc);
            boolean accumulate = pc > 0 || beta != 0f;
            float[] pb = null;
            float[] edgeB = null;
            if (packWholeB) {
                pb = ws.packedB(panels * nr * kc);
                packB(transB, b, bOff, ldb, n, 0, pc, kc, 0, panels, pb, 0, ws);
            } else if (lastCols < nr) {
                edgeB = ws.packedB(nr * kc);
                packBPanel(false, b, bOff, ldb, (panels - 1) * nr, lastCols, pc, kc, edgeB, 0);
            }
            float[] pa = null;
            if (packWholeA) {
                pa = ws.packedA(rowPanels * mr * kc);
                packA(transA, a, aOff, lda, 1f, 0, m, pc, kc, pa, 0, ws);
            } else if (lastRows < mr) {
                pa = ws.packedA(mr * kc);
                packAPanel(transA, a, aOff, lda, 1f, (rowPanels - 1) * mr, lastRows, pc, kc, pa, 0);
            }
            for (int panel = 0; panel < panels; panel++) {
                int j = panel * nr;
                int cols = Math.min(nr, n - j);
                float[] bSrc;
                int bIdx;
                int bds;
                if (packWholeB) {
                    bSrc = pb;
                    bIdx = j * kc;
                    bds = nr;
                } else if (cols < nr) {
                    bSrc = edgeB;
                    bIdx = 0;
                    bds = nr;
                } else {
                    bSrc = b;
                    bIdx = bOff + pc * ldb + j;
                    bds = ldb;
                }
                for (int i = 0; i < m; i += mr) {
                    int h = Math.min(mr, m - i);
                    float[] aSrc;
                    int aIdx;
                    int ars;
                    int ads;
                    if (packWholeA) {
                        aSrc = pa;
                        aIdx = i * kc;
                        ars = 1;
                        ads = mr;
                    } else if (h < mr) {
                        aSrc = pa;
                        aIdx = 0;
                        ars = 1;
                        ads = mr;
                    } else {
                        aSrc = a;
                        aIdx = transA ? aOff + pc * lda + i : aOff + i * lda + pc;
                        ars = transA ? 1 : lda;
                        ads = transA ? lda : 1;
                    }
                    int cIdx = cOff + i * ldc + j;
                    tile(h, cols, kc, aSrc, aIdx, ars, ads, bSrc, bIdx, bds, alpha, c, cIdx, ldc, accumulate, ws);
                }
            }
        }
    }

    /** True when rows ld floats apart fall into the same L1 sets (a multiple of 4 KiB, at least 4 KiB). */
    private static boolean aliasesInL1(int ld) {
        return ld >= 1024 && ld % 1024 == 0;
    }

    /** C rows [ic, ic + rows) x micro-panels [p0, p1) of a packed column block, over the whole depth. */
    private void multiplyBlock(boolean transA, float[] a, int aOff, int lda, float alpha, float beta, int ic,
                               int rows, int k, PackedBlock block, int p0, int p1, float[] c, int cOff, int ldc,
                               GemmWorkspace ws) {
        for (int pc = 0; pc < k; pc += kcMax) {
            int kc = Math.min(kcMax, k - pc);
            float[] pa = ws.packedA(roundUp(rows, mr) * kc);
            packA(transA, a, aOff, lda, alpha, ic, rows, pc, kc, pa, 0, ws);
            macroKernel(pa, ic, rows, block, pc, kc, p0, p1, pc > 0 || beta != 0f, c, cOff, ldc, ws);
        }
    }

    /** Multiplies a packed A block (rows starting at row ic) by micro-panels [p0, p1) of a depth slice. */
    private void macroKernel(float[] pa, int ic, int rows, PackedBlock block, int pc, int kc, int p0, int p1,
                             boolean accumulate, float[] c, int cOff, int ldc, GemmWorkspace ws) {
        float[] pb = block.pb;
        int sliceOff = block.panels * nr * pc;
        for (int panel = p0; panel < p1; panel++) {
            block.ensure(pc, kc, panel, ws);
            int j = panel * nr;
            int cols = Math.min(nr, block.nc - j);
            int bIdx = sliceOff + j * kc;
            for (int ir = 0; ir < rows; ir += mr) {
                int h = Math.min(mr, rows - ir);
                int cIdx = cOff + (ic + ir) * ldc + block.jc + j;
                tile(h, cols, kc, pa, ir * kc, 1, mr, pb, bIdx, nr, 1f, c, cIdx, ldc, accumulate, ws);
            }
        }
    }

    private void mergeTile(float[] tile, int h, int cols, boolean accumulate, float[] c, int cIdx, int ldc) {
        for (int r = 0; r < h; r++) {
            int t = r * nr;
            int o = cIdx + r * ldc;
            if (accumulate) {
                for (int j = 0; j < cols; j++) {
                    c[o + j] += tile[t + j];
                }
            } else {
                System.arraycopy(tile, t, c, o, cols);
            }
        }
    }

    /**
     * Packs rows [ic, ic + rows) x depth [pc, pc + kc) of op(A) as MR-tall micro-panels: panel q starts at
     * paOff + q*mr*kc and holds alpha times element (row q*mr + r, depth p) at p*mr + r. Rows past the block are zero.
     */
    protected void packA(boolean transA, float[] a, int aOff, int lda, float alpha, int ic, int rows, int pc,
                         int kc, float[] pa, int paOff, GemmWorkspace ws) {
        for (int ir = 0; ir < rows; ir += mr) {
            packAPanel(transA, a, aOff, lda, alpha, ic + ir, Math.min(mr, rows - ir), pc, kc, pa, paOff + ir * kc);
        }
    }

    /** One micro-panel of {@link #packA}: h <= mr rows starting at row i, written from pa[base]. */
    protected final void packAPanel(boolean transA, float[] a, int aOff, int lda, float alpha, int i, int h,
                                    int pc, int kc, float[] pa, int base) {
        if (!transA) {
            // A(i, p) = a[aOff + i*lda + p]: walk a few depths at a time so the reads stream along h rows.
            for (int p0 = 0; p0 < kc; p0 += 16) {
                int p1 = Math.min(kc, p0 + 16);
                for (int r = 0; r < h; r++) {
                    int src = aOff + (i + r) * lda + pc;
                    for (int p = p0; p < p1; p++) {
                        pa[base + p * mr + r] = alpha * a[src + p];
                    }
                }
            }
        } else {
            // A(i, p) = a[aOff + p*lda + i]: each depth is h contiguous floats.
            for (int p = 0; p < kc; p++) {
                int src = aOff + (pc + p) * lda + i;
                int dst = base + p * mr;
                for (int r = 0; r < h; r++) {
                    pa[dst + r] = alpha * a[src + r];
                }
            }
        }
        if (h < mr) {
            for (int p = 0; p < kc; p++) {
                for (int r = h; r < mr; r++) {
                    pa[base + p * mr + r] = 0f;
                }
            }
        }
    }

    /**
     * Packs micro-panels [p0, p1) of columns starting at jc, depth [pc, pc + kc) of op(B): panel q starts at
     * pbOff + q*nr*kc and holds element (depth p, column jc + q*nr + j) at p*nr + j. Columns past n are zero.
     */
    protected void packB(boolean transB, float[] b, int bOff, int ldb, int n, int jc, int pc, int kc,
                         int p0, int p1, float[] pb, int pbOff, GemmWorkspace ws) {
        for (int panel = p0; panel < p1; panel++) {
            int j0 = jc + panel * nr;
            packBPanel(transB, b, bOff, ldb, j0, Math.min(nr, n - j0), pc, kc, pb, pbOff + panel * nr * kc);
        }
    }

    /** One micro-panel of {@link #packB}: cols <= nr columns starting at column j0, written from pb[base]. */
    protected final void packBPanel(boolean transB, float[] b, int bOff, int ldb, int j0, int cols, int pc, int kc,
                                    float[] pb, int base) {
        if (!transB) {
            for (int p = 0; p < kc; p++) {
                System.arraycopy(b, bOff + (pc + p) * ldb + j0, pb, base + p * nr, cols);
            }
        } else {
            // B(p, j) = b[bOff + j*ldb + p]: a few depths at a time keeps the strided writes inside L1.
            for (int q0 = 0; q0 < kc; q0 += 16) {
                int q1 = Math.min(kc, q0 + 16);
                for (int j = 0; j < cols; j++) {
                    int src = bOff + (j0 + j) * ldb + pc;
                    for (int p = q0; p < q1; p++) {
                        pb[base + p * nr + j] = b[src + p];
                    }
                }
            }
        }
        if (cols < nr) {
            for (int p = 0; p < kc; p++) {
                for (int j = cols; j < nr; j++) {
                    pb[base + p * nr + j] = 0f;
                }
            }
        }
    }

    /** C = beta * C, with beta == 0 writing zeros without reading C. */
    static void scale(int m, int n, float beta, float[] c, int cOff, int ldc) {
        if (beta == 1f) {
            return;
        }
        for (int i = 0; i < m; i++) {
            int o = cOff + i * ldc;
            if (beta == 0f) {
                java.util.Arrays.fill(c, o, o + n, 0f);
            } else {
                for (int j = 0; j < n; j++) {
                    c[o + j] *= beta;
                }
            }
        }
    }

    static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }

    static int roundUp(int x, int multiple) {
        return ceilDiv(x, multiple) * multiple;
    }
}
