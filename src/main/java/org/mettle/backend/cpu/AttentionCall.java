package org.mettle.backend.cpu;

import org.mettle.backend.AttentionLayout;

import java.util.Arrays;

/**
 * One validated fused attention call: its operands, tile sizes and the per-block work of the forward and the
 * backward. Scheduling (which blocks run in parallel) is decided by {@link CpuAttention}; every method here touches
 * only memory that its block owns, so blocks may run on any thread.
 */
final class AttentionCall {
    /** Per-thread tiles, reused across calls; sized on demand, never per row. */
    static final class Scratch {
        float[] scores = new float[0];
        float[] grads = new float[0];
        float[] rowAcc = new float[0];
        float[] keyAccK = new float[0];
        float[] keyAccV = new float[0];
        float[] rowMax = new float[0];
        float[] rowSum = new float[0];

        void ensure(int bq, int bk, int d) {
            if (scores.length < bq * bk) {
                scores = new float[bq * bk];
                grads = new float[bq * bk];
            }
            if (rowAcc.length < bq * d) {
                rowAcc = new float[bq * d];
            }
            if (keyAccK.length < bk * d) {
                keyAccK = new float[bk * d];
                keyAccV = new float[bk * d];
            }
            if (rowMax.length < bq) {
                rowMax = new float[bq];
                rowSum = new float[bq];
            }
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    final AttentionKernels kernels;
    final int batch;
    final int heads;
    final int queries;
    final int keys;
    final int headDim;
    final float scale;
    final float[] q;
    final AttentionLayout ql;
    final float[] k;
    final AttentionLayout kl;
    final float[] v;
    final AttentionLayout vl;
    final float[] bias;
    final int biasB;
    final int biasH;
    final float[] mask;
    final int maskB;
    final int maskH;
    /** Query rows per block and keys per tile. */
    final int blockQ;
    final int blockK;

    AttentionCall(AttentionKernels kernels, int batch, int heads, int queries, int keys, int headDim, float scale,
                  float[] q, AttentionLayout ql, float[] k, AttentionLayout kl, float[] v, AttentionLayout vl,
                  float[] bias, int biasB, int biasH, float[] mask, int maskB, int maskH, int blockQ, int blockK) {
        this.kernels = kernels;
        this.batch = batch;
        this.heads = heads;
        this.queries = queries;
        this.keys = keys;
        this.headDim = headDim;
        this.scale = scale;
        this.q = q;
        this.ql = ql;
        this.k = k;
        this.kl = kl;
        this.v = v;
        this.vl = vl;
        this.bias = bias;
        this.biasB = biasB;
        this.biasH = biasH;
        this.mask = mask;
        this.maskB = maskB;
        this.maskH = maskH;
        this.blockQ = blockQ;
        this.blockK = blockK;
    }

    static Scratch scratch(int bq, int bk, int d) {
        Scratch s = SCRATCH.get();
        s.ensure(bq, bk, d);
        return s;
    }

    int queryBlocks() {
        return (queries + blockQ - 1) / blockQ;
    }

    int keyBlocks() {
        return (keys + blockK - 1) / blockK;
    }

    /** Start of row (b, h, i) of a [Bb, Hb, Nq, Nk] bias or mask shared by the rule b % Bb, h if Hb == H else 0. */
    int sharedRow(int sharedB, int sharedH, int b, int h, int i) {
        int hb = sharedH == 1 ? 0 : h;
        return (((b % sharedB) * sharedH + hb) * queries + i) * keys;
    }

    int lseIndex(int b, int h, int i) {
        return (b * heads + h) * queries + i;
    }

    /** scratch.scores[r][c] = logits of query i0 + r against key j0 + c (scaled dot + bias + mask). */
    private void logitsTile(Scratch sc, int b, int h, int i0, int rows, int j0, int cols) {
        int ld = blockK;
        kernels.dotTile(q, ql.index(b, h, i0), ql.sN(), rows, k, kl.index(b, h, j0), kl.sN(), cols, headDim,
                sc.scores, ld);
        for (int r = 0; r < rows; r++) {
            int biasOff = bias == null ? 0 : sharedRow(biasB, biasH, b, h, i0 + r) + j0;
            int maskOff = mask == null ? 0 : sharedRow(maskB, maskH, b, h, i0 + r) + j0;
            kernels.logits(sc.scores, r * ld, cols, scale, bias, biasOff, mask, maskOff);
        }
    }

    // ---- forward -------------------------------------------------------------------------------------------

    /** Output rows [i0, i0 + rows) of head (b, h) with an online softmax over key tiles. */
    void forwardBlock(int b, int h, int i0, int rows, float[] o, AttentionLayout ol, float[] lse) {
        int d = headDim;
        int ld = blockK;
        Scratch sc = scratch(blockQ, blockK, d);
        float[] s = sc.scores;
        float[] acc = sc.rowAcc;
        float[] m = sc.rowMax;
        float[] l = sc.rowSum;
        Arrays.fill(acc, 0, rows * d, 0f);
        Arrays.fill(m, 0, rows, Float.NEGATIVE_INFINITY);
        Arrays.fill(l, 0, rows, 0f);
        for (int j0 = 0; j0 < keys; j0 += blockK) {
            int cols = Math.min(blockK, keys - j0);
            logitsTile(sc, b, h, i0, rows, j0, cols);
            for (int r = 0; r < rows; r++) {
                int off = r * ld;
                float newMax = Math.max(m[r], kernels.max(s, off, cols));
                if (newMax == Float.NEGATIVE_INFINITY) {
                    // everything so far is masked out: this tile contributes nothing (and exp(-inf - -inf) is NaN)
                    Arrays.fill(s, off, off + cols, 0f);
                    continue;
                }
                float rescale = (float) Math.exp(m[r] - newMax);
                float tileSum = kernels.expShift(s, off, cols, newMax);
                if (rescale != 1f) {
                    kernels.scale(acc, r * d, d, rescale);
                }
                l[r] = l[r] * rescale + tileSum;
                m[r] = newMax;
            }
            kernels.mulAdd(s, ld, rows, cols, v, vl.index(b, h, j0), vl.sN(), d, acc, 0, d);
        }
        for (int r = 0; r < rows; r++) {
            int oRow = ol.index(b, h, i0 + r);
            int li = lseIndex(b, h, i0 + r);
            if (l[r] == 0f) {
                Arrays.fill(o, oRow, oRow + d, 0f);
                lse[li] = Float.NEGATIVE_INFINITY;
            } else {
                float inv = 1f / l[r];
                for (int t = 0; t < d; t++) {
                    o[oRow + t] = acc[r * d + t] * inv;
                }
                lse[li] = m[r] + (float) Math.log(l[r]);
            }
        }
    }

    // ---- backward ------------------------------------------------------------------------------------------

    /** Gradient buffers and inputs of one backward call. */
    record Grads(float[] o, AttentionLayout ol, float[] lse, float[] dO, AttentionLayout dOl, float[] rowDot,
                 float[] dq, AttentionLayout dql, float[] dk, AttentionLayout dkl, float[] dv, AttentionLayout dvl, float[] dBias) {}

    /** rowDot[(b*H + h)*Nq + i] = sum_t dO[b,h,i,t] * o[b,h,i,t] (the D_i of the softmax backward) for one head. */
    void rowDots(int b, int h, Grads g) {
        for (int i = 0; i < queries; i++) {
            g.rowDot[lseIndex(b, h, i)] = kernels.dot(g.dO, g.dOl.index(b, h, i), g.o, g.ol.index(b, h, i), headDim);
        }
    }

    /**
     * Recomputes P (into scratch.scores) and dS = P * (dP - D_i) (into scratch.grads) for one tile, where
     * dS is the gradient of the logits (before any scale), so dBias = dS, dq = scale dS k, dk = scale dS^T q.
     */
    private void gradTile(Scratch sc, Grads g, int b, int h, int i0, int rows, int j0, int cols) {
        int ld = blockK;
        logitsTile(sc, b, h, i0, rows, j0, cols);
        kernels.dotTile(g.dO, g.dOl.index(b, h, i0), g.dOl.sN(), rows, v, vl.index(b, h, j0), vl.sN(), cols, headDim,
                sc.grads, ld);
        for (int r = 0; r < rows; r++) {
            int off = r * ld;
            int li = lseIndex(b, h, i0 + r);
            float rowLse = g.lse[li];
            if (rowLse == Float.NEGATIVE_INFINITY) {
                Arrays.fill(sc.scores, off, off + cols, 0f);
                Arrays.fill(sc.grads, off, off + cols, 0f);
                continue;
            }
            kernels.expShift(sc.scores, off, cols, rowLse);
            kernels.softmaxGrad(sc.scores, sc.grads, off, cols, g.rowDot[li]);
        }
    }

    /** Number of heads (b, h) that share bias slot {@code slot}; slots are (b % Bb, h or 0). */
    int slotMembers(boolean bySlot) {
        return bySlot ? (batch / biasB) * (biasH == 1 ? heads : 1) : 1;
    }

    int groups(boolean bySlot) {
        return bySlot ? biasB * biasH : batch * heads;
    }

    /** Head index (b*H + h) of member m of group g (a bias slot when bySlot, else the head itself). */
    int memberHead(boolean bySlot, int g, int m) {
        if (!bySlot) {
            return g;
        }
        int bb = g / biasH;
        int hb = g % biasH;
        if (biasH == 1) {
            return (bb + (m / heads) * biasB) * heads + m % heads;
        }
        return (bb + m * biasB) * heads + hb;
    }

    /**
     * Key block jb of every head in group g: accumulates dk, dv over all query blocks and writes them, accumulates
     * dBias into the group's slot, and when {@code withDq} also accumulates (unscaled) dq straight into g.dq.
     * With bySlot the group is a bias slot, so no other task writes its dBias columns or its heads' dk/dv rows.
     */
    void keyBlockGrads(Grads g, boolean bySlot, int group, int jb, boolean withDq) {
        int d = headDim;
        int ld = blockK;
        int j0 = jb * blockK;
        int cols = Math.min(blockK, keys - j0);
        Scratch sc = scratch(blockQ, blockK, d);
        int members = slotMembers(bySlot);
        for (int m = 0; m < members; m++) {
            int head = memberHead(bySlot, group, m);
            int b = head / heads;
            int h = head % heads;
            if (g.dk != null) {
                Arrays.fill(sc.keyAccK, 0, cols * d, 0f);
            }
            if (g.dv != null) {
                Arrays.fill(sc.keyAccV, 0, cols * d, 0f);
            }
            for (int i0 = 0; i0 < queries; i0 += blockQ) {
                int rows = Math.min(blockQ, queries - i0);
                gradTile(sc, g, b, h, i0, rows, j0, cols);
                if (g.dv != null) {
                    kernels.mulAddTransposed(sc.scores, ld, rows, cols, g.dO, g.dOl.index(b, h, i0), g.dOl.sN(), d,
                            sc.keyAccV, 0, d);
                }
                if (g.dk != null) {
                    kernels.mulAddTransposed(sc.grads, ld, rows, cols, q, ql.index(b, h, i0), ql.sN(), d,
                            sc.keyAccK, 0, d);
                }
                if (withDq && g.dq != null) {
                    kernels.mulAdd(sc.grads, ld, rows, cols, k, kl.index(b, h, j0), kl.sN(), d,
                            g.dq, g.dql.index(b, h, i0), g.dql.sN());
                }
                if (g.dBias != null) {
                    for (int r = 0; r < rows; r++) {
                        kernels.add(sc.grads, r * ld, g.dBias, sharedRow(biasB, biasH, b, h, i0 + r) + j0, cols);
                    }
                }
            }
            for (int c = 0; c < cols; c++) {
                if (g.dk != null) {
                    int row = g.dkl.index(b, h, j0 + c);
                    for (int t = 0; t < d; t++) {
                        g.dk[row + t] = sc.keyAccK[c * d + t] * scale;
                    }
                }
                if (g.dv != null) {
                    System.arraycopy(sc.keyAccV, c * d, g.dv, g.dvl.index(b, h, j0 + c), d);
                }
            }
        }
    }

    /** dq rows [i0, i0 + rows) of head (b, h), accumulated over all key tiles in scratch and written once. */
    void queryBlockGrads(Grads g, int b, int h, int i0, int rows) {
        int d = headDim;
        int ld = blockK;
        Scratch sc = scratch(blockQ, blockK, d);
        float[] acc = sc.rowAcc;
        Arrays.fill(acc, 0, rows * d, 0f);
        for (int j0 = 0; j0 < keys; j0 += blockK) {
            int cols = Math.min(blockK, keys - j0);
            gradTile(sc, g, b, h, i0, rows, j0, cols);
            kernels.mulAdd(sc.grads, ld, rows, cols, k, kl.index(b, h, j0), kl.sN(), d, acc, 0, d);
        }
        for (int r = 0; r < rows; r++) {
            int row = g.dql.index(b, h, i0 + r);
            for (int t = 0; t < d; t++) {
                g.dq[row + t] = acc[r * d + t] * scale;
            }
        }
    }

    /** Sets dq of head (b, h) to zero (before {@link #keyBlockGrads} accumulates into it). */
    void zeroDq(Grads g, int b, int h) {
        for (int i = 0; i < queries; i++) {
            int row = g.dql.index(b, h, i);
            Arrays.fill(g.dq, row, row + headDim, 0f);
        }
    }

    /** Multiplies dq of head (b, h) by the logit scale (after {@link #keyBlockGrads} accumulated it). */
    void scaleDq(Grads g, int b, int h) {
        for (int i = 0; i < queries; i++) {
            kernels.scale(g.dq, g.dql.index(b, h, i), headDim, scale);
        }
    }
}
