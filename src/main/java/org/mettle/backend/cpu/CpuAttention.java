package org.mettle.backend.cpu;

import org.mettle.backend.AttentionLayout;

/**
 * Fused multi-head attention on the CPU, flash style: tiles of queries x keys with an online softmax, so memory is
 * O(tile) per thread, never O(Nq x Nk). Operands are [B, H, N, D] views described by {@link AttentionLayout} (head
 * dimension contiguous, other strides free). Outputs must not overlap inputs.
 *
 * <p>bias and mask (both nullable) are contiguous [Bb, Hb, Nq, Nk] float arrays with Bb dividing B (head (b, h)
 * reads slice b % Bb) and Hb either 1 (shared by all heads) or H. The bias gets a gradient; the mask is constant
 * (e.g. -100 or -inf). A row whose logits are all -inf gives o = 0 and lse = -inf, never NaN.
 */
public final class CpuAttention {
    private static final AttentionKernels DEFAULT_KERNELS = VectorSupport.load(AttentionKernels.class,
            "org.mettle.backend.cpu.VectorAttentionKernels", new ScalarAttentionKernels());
    /** Query rows per block (the forward shrinks it when there are few heads, to keep all threads busy). */
    static final int BLOCK_Q = 32;
    /** Floats of one key tile (keys x head dim) that should stay in L1 while a query block sweeps it. */
    private static final int KEY_TILE_FLOATS = 4096;

    /** How the full backward is scheduled; {@link #AUTO} picks by cost, the others exist for tests. */
    enum BackwardSchedule {
        AUTO,
        /** One task per head (or bias slot) computes dq, dk, dv, dBias in one sweep: least work. */
        FUSED,
        /** Tasks over (head or bias slot, key block) for dk, dv, dBias, then over (head, query block) for dq. */
        SPLIT
    }

    private CpuAttention() {}

    /** Which kernels run: "vector" (Vector API) or "scalar". */
    public static String path() {
        return DEFAULT_KERNELS instanceof ScalarAttentionKernels ? "scalar" : "vector";
    }

    /**
     * o = softmax(q k^T * scale + bias + mask) v for every (b, h), and lse = the log-sum-exp of each row's logits
     * (contiguous [B, H, Nq], kept for the backward). q is B x H x Nq x D; k, v are B x H x Nk x D.
     */
    public static void forward(int B, int H, int Nq, int Nk, int D, float scale,
                               float[] q, AttentionLayout ql, float[] k, AttentionLayout kl, float[] v, AttentionLayout vl,
                               float[] bias, int biasB, int biasH, float[] mask, int maskB, int maskH,
                               float[] o, AttentionLayout ol, float[] lse) {
        forward(DEFAULT_KERNELS, 0, 0, B, H, Nq, Nk, D, scale, q, ql, k, kl, v, vl, bias, biasB, biasH,
                mask, maskB, maskH, o, ol, lse);
    }

    /**
     * Gradients given dO. dq, dk, dv are written (not accumulated) in their layouts; each may be null (skipped).
     * dBias (nullable) is ACCUMULATED into [biasB, biasH, Nq, Nk] (summed over the heads that share a slice).
     * Uses the forward's o and lse and recomputes the probabilities tile by tile.
     */
    public static void backward(int B, int H, int Nq, int Nk, int D, float scale,
                                float[] q, AttentionLayout ql, float[] k, AttentionLayout kl, float[] v, AttentionLayout vl,
                                float[] bias, int biasB, int biasH, float[] mask, int maskB, int maskH,
                                float[] o, AttentionLayout ol, float[] lse, float[] dO, AttentionLayout dOl,
                                float[] dq, AttentionLayout dql, float[] dk, AttentionLayout dkl, float[] dv, AttentionLayout dvl,
                                float[] dBias) {
        backward(DEFAULT_KERNELS, BackwardSchedule.AUTO, 0, 0, B, H, Nq, Nk, D, scale, q, ql, k, kl, v, vl,
                bias, biasB, biasH, mask, maskB, maskH, o, ol, lse, dO, dOl, dq, dql, dk, dkl, dv, dvl, dBias);
    }

    /**
     * Query-only backward (keys, values and bias frozen): writes dq only. Parallel over (b, h, query block); each
     * task holds one tile of scores, so no Nq x Nk buffer exists, and it does 3 of the full backward's 4-5 products.
     */
    public static void backwardQuery(int B, int H, int Nq, int Nk, int D, float scale,
                                     float[] q, AttentionLayout ql, float[] k, AttentionLayout kl, float[] v, AttentionLayout vl,
                                     float[] bias, int biasB, int biasH, float[] mask, int maskB, int maskH,
                                     float[] o, AttentionLayout ol, float[] lse, float[] dO, AttentionLayout dOl,
                                     float[] dq, AttentionLayout dql) {
        if (dq == null) {
            throw new IllegalArgumentException("attention backwardQuery: dq is null; it is the only output");
        }
        backward(DEFAULT_KERNELS, BackwardSchedule.AUTO, 0, 0, B, H, Nq, Nk, D, scale, q, ql, k, kl, v, vl,
                bias, biasB, biasH, mask, maskB, maskH, o, ol, lse, dO, dOl, dq, dql, null, null, null, null, null);
    }

    // ---- implementation (package-private entry points let tests pick kernels, tiles and schedule) ----------

    /** blockQ/blockK of 0 pick the defaults. */
    static void forward(AttentionKernels kernels, int blockQ, int blockK,
                        int B, int H, int Nq, int Nk, int D, float scale,
                        float[] q, AttentionLayout ql, float[] k, AttentionLayout kl, float[] v, AttentionLayout vl,
                        float[] bias, int biasB, int biasH, float[] mask, int maskB, int maskH,
                        float[] o, AttentionLayout ol, float[] lse) {
        AttentionCall call = newCall(kernels, blockQ, blockK, B, H, Nq, Nk, D, scale, q, ql, k, kl, v, vl,
                bias, biasB, biasH, mask, maskB, maskH);
        AttentionChecks.operand("o", o, ol, B, H, Nq, D);
        AttentionChecks.rowStats("lse", lse, B, H, Nq);
        if (blockQ == 0 && blockK == 0 && DenseAttentionForward.applies(Nk)) {
            // default tiles and a short key sequence: whole rows of logits through the GEMM (tests pass explicit
            // tiles to exercise the tiled forward below)
            BlockedGemm gemm = (BlockedGemm) Gemm.kernel();
            int rows = DenseAttentionForward.blockRows(B * H, Nq, Nk, CpuParallel.threads());
            int rowBlocks = (Nq + rows - 1) / rows;
            CpuParallel.parallelFor(B * H * rowBlocks, 1, (from, to) -> {
                for (int task = from; task < to; task++) {
                    int head = task / rowBlocks;
                    int i0 = (task % rowBlocks) * rows;
                    DenseAttentionForward.forwardRows(call, gemm, head / H, head % H, i0, Math.min(rows, Nq - i0),
                            o, ol, lse);
                }
            });
            return;
        }
        int qBlocks = call.queryBlocks();
        CpuParallel.parallelFor(B * H * qBlocks, 1, (from, to) -> {
            for (int task = from; task < to; task++) {
                int head = task / qBlocks;
                int i0 = (task % qBlocks) * call.blockQ;
                call.forwardBlock(head / H, head % H, i0, Math.min(call.blockQ, Nq - i0), o, ol, lse);
            }
        });
    }

    static void backward(AttentionKernels kernels, BackwardSchedule schedule, int blockQ, int blockK,
                         int B, int H, int Nq, int Nk, int D, float scale,
                         float[] q, AttentionLayout ql, float[] k, AttentionLayout kl, float[] v, AttentionLayout vl,
                         float[] bias, int biasB, int biasH, float[] mask, int maskB, int maskH,
                         float[] o, AttentionLayout ol, float[] lse, float[] dO, AttentionLayout dOl,
                         float[] dq, AttentionLayout dql, float[] dk, AttentionLayout dkl, float[] dv, AttentionLayout dvl,
                         float[] dBias) {
        boolean queryOnly = dk == null && dv == null && dBias == null;
        AttentionCall call = newCall(kernels, blockQ, blockK, B, H, Nq, Nk, D, scale, q, ql, k, kl, v, vl,
                bias, biasB, biasH, mask, maskB, maskH);
        AttentionChecks.operand("o", o, ol, B, H, Nq, D);
        AttentionChecks.rowStats("lse", lse, B, H, Nq);
        AttentionChecks.operand("dO", dO, dOl, B, H, Nq, D);
        if (dq != null) {
            AttentionChecks.operand("dq", dq, dql, B, H, Nq, D);
        }
        if (dk != null) {
            AttentionChecks.operand("dk", dk, dkl, B, H, Nk, D);
        }
        if (dv != null) {
            AttentionChecks.operand("dv", dv, dvl, B, H, Nk, D);
        }
        if (dBias != null) {
            AttentionChecks.shared("dBias", dBias, biasB, biasH, B, H, Nq, Nk);
        }
        if (dq == null && queryOnly) {
            return;
        }
        float[] rowDot = new float[B * H * Nq];
        AttentionCall.Grads g = new AttentionCall.Grads(o, ol, lse, dO, dOl, rowDot, dq, dql, dk, dkl, dv, dvl, dBias);
        CpuParallel.parallelFor(B * H, 1, (from, to) -> {
            for (int head = from; head < to; head++) {
                call.rowDots(head / H, head % H, g);
            }
        });

        boolean bySlot = dBias != null;
        int groups = call.groups(bySlot);
        if (!queryOnly && dq != null && useFused(schedule, groups, CpuParallel.threads())) {
            CpuParallel.parallelFor(groups, 1, (from, to) -> {
                for (int group = from; group < to; group++) {
                    fusedGroup(call, g, bySlot, group);
                }
            });
            return;
        }
        if (!queryOnly) {
            int kBlocks = call.keyBlocks();
            CpuParallel.parallelFor(groups * kBlocks, 1, (from, to) -> {
                for (int task = from; task < to; task++) {
                    call.keyBlockGrads(g, bySlot, task / kBlocks, task % kBlocks, false);
                }
            });
        }
        if (dq != null) {
            int qBlocks = call.queryBlocks();
            CpuParallel.parallelFor(B * H * qBlocks, 1, (from, to) -> {
                for (int task = from; task < to; task++) {
                    int head = task / qBlocks;
                    int i0 = (task % qBlocks) * call.blockQ;
                    call.queryBlockGrads(g, head / H, head % H, i0, Math.min(call.blockQ, Nq - i0));
                }
            });
        }
    }

    /**
     * The fused sweep costs about 5 tile products per tile and runs ceil(groups / threads) rounds; the split one
     * costs about 7 (P and dP are recomputed for dq) but spreads over many more tasks.
     */
    static boolean useFused(BackwardSchedule schedule, int groups, int threads) {
        return switch (schedule) {
            case FUSED -> true;
            case SPLIT -> false;
            case AUTO -> 5L * ((groups + threads - 1) / threads) * threads <= 7L * groups;
        };
    }

    private static void fusedGroup(AttentionCall call, AttentionCall.Grads g, boolean bySlot, int group) {
        int members = call.slotMembers(bySlot);
        int heads = call.heads;
        for (int m = 0; m < members; m++) {
            int head = call.memberHead(bySlot, group, m);
            call.zeroDq(g, head / heads, head % heads);
        }
        int kBlocks = call.keyBlocks();
        for (int jb = 0; jb < kBlocks; jb++) {
            call.keyBlockGrads(g, bySlot, group, jb, true);
        }
        for (int m = 0; m < members; m++) {
            int head = call.memberHead(bySlot, group, m);
            call.scaleDq(g, head / heads, head % heads);
        }
    }

    private static AttentionCall newCall(AttentionKernels kernels, int blockQ, int blockK,
                                         int B, int H, int Nq, int Nk, int D, float scale,
                                         float[] q, AttentionLayout ql, float[] k, AttentionLayout kl, float[] v, AttentionLayout vl,
                                         float[] bias, int biasB, int biasH, float[] mask, int maskB, int maskH) {
        AttentionChecks.sizes(B, H, Nq, Nk, D, scale);
        AttentionChecks.operand("q", q, ql, B, H, Nq, D);
        AttentionChecks.operand("k", k, kl, B, H, Nk, D);
        AttentionChecks.operand("v", v, vl, B, H, Nk, D);
        if (bias != null) {
            AttentionChecks.shared("bias", bias, biasB, biasH, B, H, Nq, Nk);
        }
        if (mask != null) {
            AttentionChecks.shared("mask", mask, maskB, maskH, B, H, Nq, Nk);
        }
        int bk = blockK > 0 ? blockK : defaultBlockK(D);
        int bq = blockQ > 0 ? blockQ : defaultBlockQ(B * H, Nq, CpuParallel.threads());
        return new AttentionCall(kernels, B, H, Nq, Nk, D, scale, q, ql, k, kl, v, vl, bias, biasB, biasH,
                mask, maskB, maskH, Math.min(bq, Nq), Math.min(bk, Nk));
    }

    static int defaultBlockK(int headDim) {
        int bk = KEY_TILE_FLOATS / Math.max(1, headDim);
        return Math.max(16, Math.min(128, bk & ~7));
    }

    /** BLOCK_Q, halved down to 8 while there would be fewer than two blocks per thread. */
    static int defaultBlockQ(int headsTotal, int queries, int threads) {
        int bq = BLOCK_Q;
        while (bq > 8 && (long) headsTotal * ((queries + bq - 1) / bq) < 2L * threads) {
            bq /= 2;
        }
        return bq;
    }
}
