package org.mettle.backend.cpu;

import java.util.Arrays;
import org.mettle.backend.AttentionLayout;

/**
 * Attention forward for short key sequences (a ViT's 197 tokens, Swin windows): a block of query rows gets its
 * full row of logits (rows x Nk, at most {@link #MAX_SCORE_FLOATS} floats of per-thread scratch, so memory stays
 * bounded as in the tiled forward), computed and applied with the blocked GEMM, whose register-tiled kernel is
 * several times faster than the tiled forward's dot products at head dims of 32-64. The softmax then runs
 * once per row, with no online rescaling. Same results as {@link AttentionCall#forwardBlock} up to rounding,
 * including the masked-row conventions (all -inf: o = 0, lse = -inf).
 */
final class DenseAttentionForward {
    /** Longer key sequences take the tiled (flash) forward. */
    static final int MAX_KEYS = 1024;
    /** Scratch of one task's logits: 256 KiB, about a quarter of an L2. */
    private static final int MAX_SCORE_FLOATS = 1 << 16;

    private static final ThreadLocal<float[]> SCORES = ThreadLocal.withInitial(() -> new float[0]);

    private DenseAttentionForward() {}

    static boolean applies(int keys) {
        return keys <= MAX_KEYS;
    }

    /** Query rows per task: all of them, halved (to multiples of 8) while there are too few tasks or rows x Nk is too big. */
    static int blockRows(int headsTotal, int queries, int keys, int threads) {
        int rows = queries;
        while (rows > 8 && ((long) rows * keys > MAX_SCORE_FLOATS
                || (long) headsTotal * ((queries + rows - 1) / rows) < 4L * threads && rows > 32)) {
            rows = Math.max(8, (rows / 2 + 7) & ~7);
        }
        return rows;
    }

    /** Output rows [i0, i0 + rows) of head (b, h), and their log-sum-exp. */
    static void forwardRows(AttentionCall call, BlockedGemm gemm, int b, int h, int i0, int rows,
                            float[] o, AttentionLayout ol, float[] lse) {
        int nk = call.keys;
        int d = call.headDim;
        float[] s = scores(rows * nk);
        boolean extraLogits = call.bias != null || call.mask != null;
        // S = scale * Q K^T (or Q K^T, scaled together with the bias and mask below, as the tiled forward does)
        gemm.sgemmSerial(false, true, rows, nk, d, extraLogits ? 1f : call.scale,
                call.q, call.ql.index(b, h, i0), call.ql.sN(), call.k, call.kl.index(b, h, 0), call.kl.sN(),
                0f, s, 0, nk);
        AttentionKernels kernels = call.kernels;
        float[] rowSum = new float[rows];
        float[] rowMax = new float[rows];
        for (int r = 0; r < rows; r++) {
            int off = r * nk;
            if (extraLogits) {
                int biasOff = call.bias == null ? 0 : call.sharedRow(call.biasB, call.biasH, b, h, i0 + r);
                int maskOff = call.mask == null ? 0 : call.sharedRow(call.maskB, call.maskH, b, h, i0 + r);
                kernels.logits(s, off, nk, call.scale, call.bias, biasOff, call.mask, maskOff);
            }
            float max = kernels.max(s, off, nk);
            if (max == Float.NEGATIVE_INFINITY) {
                Arrays.fill(s, off, off + nk, 0f); // every key masked: no weight anywhere
                rowMax[r] = max;
                continue;
            }
            rowSum[r] = kernels.expShift(s, off, nk, max);
            rowMax[r] = max;
        }
        // O = P V with unnormalised P, then each row divided by its sum
        int oIdx = ol.index(b, h, i0);
        gemm.sgemmSerial(false, false, rows, d, nk, 1f, s, 0, nk, call.v, call.vl.index(b, h, 0), call.vl.sN(),
                0f, o, oIdx, ol.sN());
        for (int r = 0; r < rows; r++) {
            int li = call.lseIndex(b, h, i0 + r);
            int oRow = oIdx + r * ol.sN();
            if (rowSum[r] == 0f) {
                Arrays.fill(o, oRow, oRow + d, 0f);
                lse[li] = Float.NEGATIVE_INFINITY;
            } else {
                kernels.scale(o, oRow, d, 1f / rowSum[r]);
                lse[li] = rowMax[r] + (float) Math.log(rowSum[r]);
            }
        }
    }

    private static float[] scores(int size) {
        float[] s = SCORES.get();
        if (s.length < size) {
            s = new float[size];
            SCORES.set(s);
        }
        return s;
    }
}
