package org.mettle.backend.cpu;

import java.util.Arrays;

/**
 * Reductions of the CPU backend. Sums accumulate in double (each output from float inputs, rounded once at the
 * end), so they are accurate for long reductions and independent of the thread count: every output is summed by
 * one task in a fixed order, and whole-array sums add fixed-size blocks in block order. Scalar code only (the
 * double accumulation is the point; these are not on the hot path of the model).
 */
public final class CpuReduce {
    /** Input elements per parallel task. */
    static final int GRAIN = 1 << 15;
    /** Block size of {@link #sum}; fixed, so the result does not depend on the number of threads. */
    static final int SUM_BLOCK = 1 << 16;
    /** Blocked column reductions: at most this many blocks of at least MIN_COMBOS_PER_BLOCK reduced slices. */
    static final int MAX_BLOCKS = 64;
    static final int MIN_COMBOS_PER_BLOCK = 64;
    /** Blocked column reductions keep MAX_BLOCKS partials per output; above this many outputs they are not used. */
    static final int MAX_BLOCKED_OUTPUTS = 1 << 14;

    private CpuReduce() {}

    /**
     * Sums x (dims inDims, contiguous) into out whose rank-aligned dims outDims are either equal or 1 per axis
     * (this is both "sum over axes keepdim" and "un-broadcast a gradient to an input's shape"). out is contiguous
     * and overwritten. Accumulates in double.
     */
    public static void sumTo(int[] inDims, float[] x, int xOff, int[] outDims, float[] out, int outOff) {
        reduceTo("sumTo", false, inDims, x, xOff, outDims, out, outOff);
    }

    /** Like {@link #sumTo} with max instead of sum; NaN propagates, an empty reduction gives -infinity. */
    public static void maxTo(int[] inDims, float[] x, int xOff, int[] outDims, float[] out, int outOff) {
        reduceTo("maxTo", true, inDims, x, xOff, outDims, out, outOff);
    }

    /**
     * Max and argmax over the last axis of a rows x cols block. The first maximal index wins ties; a NaN counts as
     * the maximum (first NaN wins), like torch.max(dim). Either output may be null; cols must be >= 1.
     */
    public static void maxLastAxis(float[] x, int xOff, int rows, int cols, float[] max, int[] argmax) {
        if (cols < 1 && rows > 0) {
            throw new IllegalArgumentException("maxLastAxis: cols = " + cols + ", a max over an empty axis is undefined");
        }
        CpuParallel.parallelFor(rows, Math.max(1, GRAIN / Math.max(1, cols)), (from, to) -> {
            for (int r = from; r < to; r++) {
                int base = xOff + r * cols;
                float best = x[base];
                int bestIdx = 0;
                if (best == best) {
                    for (int c = 1; c < cols; c++) {
                        float v = x[base + c];
                        if (v > best) {
                            best = v;
                            bestIdx = c;
                        } else if (v != v) {
                            best = v;
                            bestIdx = c;
                            break;
                        }
                    }
                }
                if (max != null) {
                    max[r] = best;
                }
                if (argmax != null) {
                    argmax[r] = bestIdx;
                }
            }
        });
    }

    /** Whole-array sum as a double: fixed 64K blocks summed in parallel, then added in block order. */
    public static double sum(float[] x, int off, int n) {
        if (n <= SUM_BLOCK) {
            return sumRun(x, off, n);
        }
        int blocks = (n + SUM_BLOCK - 1) / SUM_BLOCK;
        double[] partial = new double[blocks];
        CpuParallel.parallelFor(blocks, 1, (from, to) -> {
            for (int b = from; b < to; b++) {
                int start = b * SUM_BLOCK;
                partial[b] = sumRun(x, off + start, Math.min(SUM_BLOCK, n - start));
            }
        });
        double total = 0;
        for (double p : partial) {
            total += p;
        }
        return total;
    }

    /** Sum of a contiguous run in double; four accumulators so the adds pipeline. */
    static double sumRun(float[] x, int off, int n) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += x[off + i];
            s1 += x[off + i + 1];
            s2 += x[off + i + 2];
            s3 += x[off + i + 3];
        }
        for (; i < n; i++) {
            s0 += x[off + i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    static double maxRun(float[] x, int off, int n) {
        double m = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            m = Math.max(m, x[off + i]);
        }
        return m;
    }

    private static void reduceTo(String what, boolean isMax, int[] inDims, float[] x, int xOff, int[] outDims,
            float[] out, int outOff) {
        Plan p = Plan.of(what, inDims, outDims);
        if (p.outCount == 0) {
            return;
        }
        double empty = isMax ? Double.NEGATIVE_INFINITY : 0.0;
        if (p.reducedCount == 0) {
            Arrays.fill(out, outOff, outOff + p.outCount, (float) empty);
            return;
        }
        if (p.lastReduced) {
            int run = p.runLength;
            int combos = p.reducedCount / run;
            if (!isMax && combos == 1 && run >= GRAIN && p.outCount < 2 * CpuParallel.threads()) {
                for (int o = 0; o < p.outCount; o++) { // few long rows: parallelise inside each row instead
                    out[outOff + o] = (float) sum(x, xOff + p.keptOffset(o), run);
                }
                return;
            }
            CpuParallel.parallelFor(p.outCount, Math.max(1, GRAIN / p.reducedCount), (from, to) -> {
                Odometer combo = p.reducedOuterOdometer();
                for (int o = from; o < to; o++) {
                    int base = xOff + p.keptOffset(o);
                    double acc = empty;
                    combo.reset();
                    do {
                        acc = isMax ? Math.max(acc, maxRun(x, base + combo.offset, run))
                                : acc + sumRun(x, base + combo.offset, run);
                    } while (combo.next());
                    out[outOff + o] = (float) acc;
                }
            });
        } else if (p.reducedCount >= 2 * MIN_COMBOS_PER_BLOCK && p.outCount <= MAX_BLOCKED_OUTPUTS) {
            reduceInBlocks(isMax, empty, p, x, xOff, out, outOff);
        } else {
            int run = p.runLength; // kept, contiguous in both x and out
            CpuParallel.parallelFor(p.outCount, Math.max(1, GRAIN / p.reducedCount), (from, to) -> {
                double[] acc = new double[Math.min(run, to - from)];
                Odometer combo = p.reducedOuterOdometer();
                int pos = from;
                while (pos < to) {
                    int group = pos / run;
                    int col = pos - group * run;
                    int len = Math.min(run - col, to - pos);
                    int base = xOff + p.keptOffset(group * run) + col;
                    Arrays.fill(acc, 0, len, empty);
                    combo.reset();
                    do {
                        int src = base + combo.offset;
                        if (isMax) {
                            for (int c = 0; c < len; c++) {
                                acc[c] = Math.max(acc[c], x[src + c]);
                            }
                        } else {
                            for (int c = 0; c < len; c++) {
                                acc[c] += x[src + c];
                            }
                        }
                    } while (combo.next());
                    for (int c = 0; c < len; c++) {
                        out[outOff + pos + c] = (float) acc[c];
                    }
                    pos += len;
                }
            });
        }
    }

    /**
     * Innermost axis kept and many reduced slices (a bias gradient [tokens, D] -> [1, D]): the slices are cut into
     * fixed blocks, each task sums whole contiguous rows of its blocks, and the block partials are combined in block
     * order. Splitting the columns instead would make every task stride through the whole input.
     */
    private static void reduceInBlocks(boolean isMax, double empty, Plan p, float[] x, int xOff, float[] out,
            int outOff) {
        int run = p.runLength;
        int outCount = p.outCount;
        int groups = outCount / run;
        int combos = p.reducedCount;
        int blockCombos = Math.max(MIN_COMBOS_PER_BLOCK, (combos + MAX_BLOCKS - 1) / MAX_BLOCKS);
        int blocks = (combos + blockCombos - 1) / blockCombos;
        double[] partial = new double[blocks * outCount];
        Arrays.fill(partial, empty);
        CpuParallel.parallelFor(blocks, 1, (fromBlock, toBlock) -> {
            Odometer combo = p.reducedOuterOdometer();
            for (int b = fromBlock; b < toBlock; b++) {
                int first = b * blockCombos;
                int count = Math.min(blockCombos, combos - first);
                for (int g = 0; g < groups; g++) {
                    int base = xOff + p.keptOffset(g * run);
                    int acc = b * outCount + g * run;
                    combo.seek(first);
                    for (int k = 0; k < count; k++) {
                        int src = base + combo.offset;
                        if (isMax) {
                            for (int c = 0; c < run; c++) {
                                partial[acc + c] = Math.max(partial[acc + c], x[src + c]);
                            }
                        } else {
                            for (int c = 0; c < run; c++) {
                                partial[acc + c] += x[src + c];
                            }
                        }
                        combo.next();
                    }
                }
            }
        });
        for (int o = 0; o < outCount; o++) {
            double acc = empty;
            for (int b = 0; b < blocks; b++) {
                acc = isMax ? Math.max(acc, partial[b * outCount + o]) : acc + partial[b * outCount + o];
            }
            out[outOff + o] = (float) acc;
        }
    }

    /** Walks the offsets of a set of axes in row-major order. */
    private static final class Odometer {
        private final int[] dims;
        private final int[] strides;
        private final int[] idx;
        int offset;

        Odometer(int[] dims, int[] strides) {
            this.dims = dims;
            this.strides = strides;
            this.idx = new int[dims.length];
        }

        void reset() {
            Arrays.fill(idx, 0);
            offset = 0;
        }

        /** Positions the odometer at row-major index flat. */
        void seek(int flat) {
            offset = 0;
            for (int d = dims.length - 1; d >= 0; d--) {
                idx[d] = flat % dims[d];
                flat /= dims[d];
                offset += idx[d] * strides[d];
            }
        }

        /** Advances to the next index; false after the last one (then the odometer is back at zero). */
        boolean next() {
            for (int d = dims.length - 1; d >= 0; d--) {
                idx[d]++;
                offset += strides[d];
                if (idx[d] < dims[d]) {
                    return true;
                }
                offset -= strides[d] * dims[d];
                idx[d] = 0;
            }
            return false;
        }
    }

    /**
     * The reduction after dropping size-1 axes and merging neighbours of the same kind (kept or reduced):
     * kept axes in order with their x strides, reduced axes with theirs, and the innermost axis as a contiguous run.
     */
    private static final class Plan {
        int outCount;
        int reducedCount;
        boolean lastReduced;
        int runLength;
        int[] keptDims;
        int[] keptStrides;
        int[] reducedOuterDims;
        int[] reducedOuterStrides;

        static Plan of(String what, int[] inDims, int[] outDims) {
            if (inDims.length != outDims.length) {
                throw new IllegalArgumentException(what + ": input dims " + Arrays.toString(inDims) + " and output dims "
                        + Arrays.toString(outDims) + " must have the same rank; pad the output with leading 1s");
            }
            int rank = inDims.length;
            int[] dims = new int[Math.max(1, rank)];
            boolean[] reduced = new boolean[dims.length];
            int r = 0;
            long in = 1;
            for (int i = 0; i < rank; i++) {
                int d = inDims[i];
                int o = outDims[i];
                if (d < 0 || (o != d && o != 1)) {
                    throw new IllegalArgumentException(what + ": output dims " + Arrays.toString(outDims)
                            + " do not reduce input dims " + Arrays.toString(inDims) + " (axis " + i
                            + " must be " + d + " or 1)");
                }
                in *= d;
                if (d == 1) {
                    continue;
                }
                boolean red = o == 1;
                if (r > 0 && reduced[r - 1] == red) {
                    dims[r - 1] *= d;
                } else {
                    dims[r] = d;
                    reduced[r] = red;
                    r++;
                }
            }
            CpuPointwise.elementCount(what, inDims);
            Plan p = new Plan();
            p.outCount = 1;
            for (int o : outDims) {
                p.outCount *= o;
            }
            p.reducedCount = in == 0 ? 0 : (int) (in / Math.max(1, p.outCount));
            if (p.outCount == 0 || in == 0) {
                p.reducedCount = 0;
                return p;
            }
            if (r == 0) { // everything has size 1: a copy of one element
                dims[0] = 1;
                reduced[0] = false;
                r = 1;
            }
            int[] strides = new int[r];
            int acc = 1;
            for (int i = r - 1; i >= 0; i--) {
                strides[i] = acc;
                acc *= dims[i];
            }
            p.lastReduced = reduced[r - 1];
            p.runLength = dims[r - 1];
            int kept = 0;
            int redOuter = 0;
            for (int i = 0; i < r; i++) {
                if (reduced[i]) {
                    redOuter += i == r - 1 ? 0 : 1;
                } else {
                    kept++;
                }
            }
            p.keptDims = new int[kept];
            p.keptStrides = new int[kept];
            p.reducedOuterDims = new int[redOuter];
            p.reducedOuterStrides = new int[redOuter];
            int k = 0;
            int q = 0;
            for (int i = 0; i < r; i++) {
                if (!reduced[i]) {
                    p.keptDims[k] = dims[i];
                    p.keptStrides[k++] = strides[i];
                } else if (i != r - 1) {
                    p.reducedOuterDims[q] = dims[i];
                    p.reducedOuterStrides[q++] = strides[i];
                }
            }
            return p;
        }

        /** x offset of output element o (row-major over the kept axes). */
        int keptOffset(int o) {
            int off = 0;
            for (int d = keptDims.length - 1; d >= 0; d--) {
                int q = o % keptDims[d];
                o /= keptDims[d];
                off += q * keptStrides[d];
            }
            return off;
        }

        /** The reduced axes other than a reduced innermost run (which the inner loops walk). */
        Odometer reducedOuterOdometer() {
            return new Odometer(reducedOuterDims, reducedOuterStrides);
        }
    }
}
