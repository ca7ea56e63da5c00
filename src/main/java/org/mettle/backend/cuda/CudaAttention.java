package org.mettle.backend.cuda;

import static org.mettle.backend.cuda.CudaBackend.allF32;
import static org.mettle.backend.cuda.CudaBackend.ptr;
import static org.mettle.backend.cuda.CudaBackend.suffix;
import static org.mettle.backend.cuda.CudaKernels.cdiv;

import org.mettle.backend.AttentionLayout;
import org.mettle.backend.AttentionShape;
import org.mettle.backend.Backends;
import org.mettle.memory.MemoryCategory;
import org.mettle.tensor.DType;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;

/**
 * The CUDA paths of fused attention (docs/kernels.md, "Which kernel serves which call"): the generic flash-style
 * kernels of attention.cu, and lcd.cu's split-key kernels for LCD's few meta queries over many frozen tokens.
 */
final class CudaAttention {
    private static final int MAX_HEAD_DIM = 128;
    /** Query rows per block of the forward and backward attention / LCD kernels (attn_core.cuh). */
    private static final int FWD_ROWS = 16;
    private static final int BWD_ROWS = 8;
    /** LCD's auto rule applies to at most this many queries (one forward block's rows). */
    static final int LCD_MAX_QUERIES = 16;
    private static final int KEY_TILE = 32;
    /** MTI kernels hold every meta key in one warp (mti.cu). */
    static final int MTI_MAX_KEYS = 32;

    /** When lcd.cu serves an attention call without bias or mask. */
    enum LcdDispatch {
        /** Few queries (<= 16) whose heads alone would not fill the GPU: split the keys across blocks. */
        AUTO,
        /** Every call without bias or mask (tests, benchmarks). */
        ALWAYS,
        /** Never: the generic attention kernels only. */
        NEVER;

        static LcdDispatch fromProperty() {
            return CudaSettings.choose("mettle.cuda.lcd", System.getProperty("mettle.cuda.lcd"), AUTO, values(), Enum::name,
                    "auto, always or never");
        }
    }

    /**
     * Which kernels serve a forward that reaches attention.cu ({@code -Dmettle.cuda.attention}, read once per backend):
     * the kernels verified on the GPU, or the newer ones (attn_tc.cuh, attn_tiled.cuh) until they are too.
     */
    enum ForwardVariant {
        /** attn_fwd_f32 / attn_fwd_bf16: 16 query rows per block, fp32 math on CUDA cores (the default). */
        CLASSIC(false, false),
        /** Both newer kernels: TC_BF16 and TILED_F32 together. */
        TC(true, true),
        /** bf16 with head dim <= 64 and a multiple of 8 on tensor cores (attn_fwd_tc{32,64}_bf16); fp32 as CLASSIC. */
        TC_BF16(true, false),
        /** fp32 with head dim <= 64 register-tiled on CUDA cores (attn_fwd_tiled{32,64}_f32); bf16 as CLASSIC. */
        TILED_F32(false, true);

        static final String PROPERTY = "mettle.cuda.attention";
        final boolean tensorCoreBf16;
        final boolean tiledF32;

        ForwardVariant(boolean tensorCoreBf16, boolean tiledF32) {
            this.tensorCoreBf16 = tensorCoreBf16;
            this.tiledF32 = tiledF32;
        }

        /** The property's spelling: classic, tc, tc-bf16, tiled-f32. */
        String spelling() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }

        static ForwardVariant fromProperty() {
            return CudaSettings.choose(PROPERTY, System.getProperty(PROPERTY), CLASSIC, values(), ForwardVariant::spelling,
                    "classic, tc, tc-bf16 or tiled-f32");
        }
    }

    /** Query rows per block of the tensor-core and the tiled forward (attn_tc.cuh, attn_tiled.cuh). */
    private static final int VARIANT_ROWS = 64;
    private static final int VARIANT_MAX_HEAD_DIM = 64;

    private final CudaBackend cuda;
    private final CudaKernels kernels;
    private final HostFallback fallback;
    private volatile LcdDispatch lcdDispatch = LcdDispatch.fromProperty();
    private volatile ForwardVariant forwardVariant = ForwardVariant.fromProperty();
    /** What served the latest {@link #attention} call: a kernel name, "lcd.cu" or "host fallback" (for benchmarks). */
    private volatile String lastForwardKernel = "none";
    private long lcdForwardCalls;
    private long lcdBackwardCalls;

    CudaAttention(CudaBackend cuda) {
        this.cuda = cuda;
        this.kernels = cuda.kernels;
        this.fallback = cuda.fallback;
    }

    private static boolean isContiguous(AttentionLayout l, AttentionShape s, int tokens) {
        return l.offset() == 0 && l.sN() == s.headDim() && l.sH() == tokens * s.headDim()
                && l.sB() == s.heads() * tokens * s.headDim();
    }

    private static int[] dims(AttentionShape s, int tokens) {
        return new int[] {s.batch(), s.heads(), tokens, s.headDim()};
    }

    private static int[] contiguousStrides(AttentionShape s, int tokens) {
        int d = s.headDim();
        return new int[] {s.heads() * tokens * d, tokens * d, d, 1};
    }

    private static int[] strides(AttentionLayout l) {
        return new int[] {l.sB(), l.sH(), l.sN(), 1};
    }

    /** The operand as a contiguous [B, H, N, D] tensor: itself, or a packed workspace copy (to be closed). */
    private Tensor packed(Tensor t, AttentionLayout l, AttentionShape s, int tokens, boolean copyIn) {
        if (isContiguous(l, s, tokens)) {
            return t;
        }
        Tensor w = cuda.workspace(t.dtype(), (long) s.batch() * s.heads() * tokens * s.headDim());
        if (copyIn) {
            cuda.copyStrided(dims(s, tokens), t, l.offset(), strides(l), w, 0, contiguousStrides(s, tokens));
        }
        return w;
    }

    private void unpack(Tensor packed, Tensor t, AttentionLayout l, AttentionShape s, int tokens) {
        if (packed != t) {
            cuda.copyStrided(dims(s, tokens), packed, 0, contiguousStrides(s, tokens), t, l.offset(), strides(l));
        }
    }

    private static void closeIfCopy(Tensor packed, Tensor original) {
        if (packed != null && packed != original) {
            packed.close();
        }
    }

    private static boolean attentionSupported(AttentionShape s, Tensor bias, Tensor mask, Tensor lse, Tensor... ops) {
        return s.headDim() <= MAX_HEAD_DIM && suffix(ops) != null && allF32(bias, mask, lse)
                && (bias == null || bias.rank() == 4) && (mask == null || mask.rank() == 4);
    }

    void attention(AttentionShape s, Tensor q, AttentionLayout ql, Tensor k, AttentionLayout kl, Tensor v, AttentionLayout vl,
                   Tensor bias, Tensor mask, Tensor o, AttentionLayout ol, Tensor lse) {
        if (!attentionSupported(s, bias, mask, lse, q, k, v, o)) {
            lastForwardKernel = "host fallback";
            fallback.run("attention", new Tensor[] {q, k, v, bias, mask, o, lse}, new Tensor[] {o, lse}, h -> {
                Backends.cpu().attention(s, h[0], ql, h[1], kl, h[2], vl, h[3], h[4], h[5], ol, h[6]);
                return null;
            });
            return;
        }
        String sx = suffix(q);
        Tensor qc = null, kc = null, vc = null, oc = null;
        try {
            qc = packed(q, ql, s, s.queries(), true);
            kc = packed(k, kl, s, s.keys(), true);
            vc = packed(v, vl, s, s.keys(), true);
            oc = packed(o, ol, s, s.queries(), false);
            int bh = s.batch() * s.heads();
            int splits = bias == null && mask == null && lse != null ? lcdSplits(s, FWD_ROWS) : 0;
            if (splits > 0) {
                lcdForward(s, sx, qc, kc, vc, oc, lse, splits);
                unpack(oc, o, ol, s, s.queries());
                lastForwardKernel = "lcd.cu, " + splits + " key splits";
                return;
            }
            String variant = variantKernel(forwardVariant, s, qc, kc, vc, oc);
            String kernel = variant != null ? variant : "attn_fwd" + sx;
            kernels.launch(kernel, cdiv(s.queries(), variant != null ? VARIANT_ROWS : FWD_ROWS), Math.min(bh, CudaKernels.MAX_GRID_YZ), 1, 128,
                    ptr(qc), ptr(kc), ptr(vc), ptr(oc), ptr(lse),
                    s.batch(), s.heads(), s.queries(), s.keys(), s.headDim(), s.scale(),
                    ptr(bias), bias == null ? 1 : bias.dim(0), bias == null ? 1 : bias.dim(1),
                    ptr(mask), mask == null ? 1 : mask.dim(0), mask == null ? 1 : mask.dim(1));
            unpack(oc, o, ol, s, s.queries());
            lastForwardKernel = kernel;
        } finally {
            closeIfCopy(qc, q);
            closeIfCopy(kc, k);
            closeIfCopy(vc, v);
            closeIfCopy(oc, o);
        }
    }

    /**
     * The newer forward kernel the variant picks for these contiguous operands, or null for the classic one. Tensor
     * cores: bf16, head dim a multiple of 8 up to 64, 16-byte aligned rows (cp.async; the allocator's blocks are
     * 256-byte aligned). Tiled: fp32, head dim up to 64.
     */
    static String variantKernel(ForwardVariant variant, AttentionShape s, Tensor q, Tensor k, Tensor v, Tensor o) {
        int d = s.headDim();
        if (d > VARIANT_MAX_HEAD_DIM) {
            return null;
        }
        String width = d <= 32 ? "32" : "64";
        if (variant.tiledF32 && q.dtype() == DType.F32) {
            return "attn_fwd_tiled" + width + "_f32";
        }
        if (!variant.tensorCoreBf16 || q.dtype() != DType.BF16 || d % 8 != 0) {
            return null;
        }
        for (Tensor t : new Tensor[] {q, k, v, o}) {
            if (t.offset() % 8 != 0) {
                return null;
            }
        }
        return "attn_fwd_tc" + width + "_bf16";
    }

    void forwardVariant(ForwardVariant variant) {
        forwardVariant = variant;
    }

    ForwardVariant forwardVariant() {
        return forwardVariant;
    }

    /** What served the latest forward call: a kernel name, "lcd.cu, N key splits" or "host fallback". */
    String lastForwardKernel() {
        return lastForwardKernel;
    }

    void attentionBackward(AttentionShape s, Tensor q, AttentionLayout ql, Tensor k, AttentionLayout kl, Tensor v, AttentionLayout vl,
                           Tensor bias, Tensor mask, Tensor o, AttentionLayout ol, Tensor lse, Tensor dO, AttentionLayout dOl,
                           Tensor dq, AttentionLayout dql, Tensor dk, AttentionLayout dkl, Tensor dv, AttentionLayout dvl, Tensor dBias) {
        if (!attentionSupported(s, bias, mask, lse, q, k, v, o, dO, dq, dk, dv) || !allF32(dBias)) {
            fallback.run("attentionBackward", new Tensor[] {q, k, v, bias, mask, o, lse, dO, dq, dk, dv, dBias},
                    new Tensor[] {dq, dk, dv, dBias}, h -> {
                        Backends.cpu().attentionBackward(s, h[0], ql, h[1], kl, h[2], vl, h[3], h[4], h[5], ol, h[6], h[7], dOl,
                                h[8], dql, h[9], dkl, h[10], dvl, h[11]);
                        return null;
                    });
            return;
        }
        if (bias == null && mask == null && dk == null && dv == null && dBias == null && dq != null && lse != null) {
            int splits = lcdSplits(s, BWD_ROWS);
            if (splits > 0) {
                lcdBackward(s, q, ql, k, kl, v, vl, o, ol, lse, dO, dOl, dq, dql, splits);
                return;
            }
        }
        String sx = suffix(q);
        int bh = s.batch() * s.heads();
        int gy = Math.min(bh, CudaKernels.MAX_GRID_YZ);
        boolean keysToo = dk != null || dv != null;
        Tensor qc = null, kc = null, vc = null, oc = null, dOc = null, dqc = null, dkc = null, dvc = null, dv0 = null, dbw = null;
        Tensor fused = null, fusedBase = null;
        try {
            qc = packed(q, ql, s, s.queries(), true);
            kc = packed(k, kl, s, s.keys(), true);
            vc = packed(v, vl, s, s.keys(), true);
            oc = packed(o, ol, s, s.queries(), true);
            dOc = packed(dO, dOl, s, s.queries(), true);
            long keyElems = (long) bh * s.keys() * s.headDim();
            boolean fusedQkv = isPackedQkvGradient(s, dq, dql, dk, dkl, dv, dvl);
            if (fusedQkv) {
                // dq, dk, dv side by side in one workspace, written into the packed gradient by one dense copy
                fusedBase = cuda.workspace(q.dtype(), 3 * keyElems);
                fused = fusedBase.viewAs(Shape.of(3, Math.toIntExact(keyElems)));
                dqc = fused.viewRows(0, 1, Shape.of(Math.toIntExact(keyElems)));
                dkc = fused.viewRows(1, 1, Shape.of(Math.toIntExact(keyElems)));
                dvc = fused.viewRows(2, 1, Shape.of(Math.toIntExact(keyElems)));
            } else {
                dqc = dq != null ? packed(dq, dql, s, s.queries(), false) : cuda.workspace(q.dtype(), (long) bh * s.queries() * s.headDim());
            }
            if (keysToo && !fusedQkv) {
                dkc = dk != null ? packed(dk, dkl, s, s.keys(), false) : cuda.workspace(q.dtype(), keyElems);
                dvc = dv != null ? packed(dv, dvl, s, s.keys(), false) : cuda.workspace(q.dtype(), keyElems);
            }
            long rows = (long) bh * s.queries();
            dv0 = cuda.workspace(DType.F32, rows);
            kernels.launch("attn_bwd_preprocess" + sx, cdiv(rows, 8), 1, 1, 256, ptr(oc), ptr(dOc), ptr(dv0), rows, s.headDim());
            if (dBias != null) {
                dbw = cuda.workspace(DType.F32, dBias.numel());
                cuda.fill(dbw, 0f);
            }
            Object[] tail = {s.batch(), s.heads(), s.queries(), s.keys(), s.headDim(), s.scale(),
                ptr(bias), bias == null ? 1 : bias.dim(0), bias == null ? 1 : bias.dim(1),
                ptr(mask), mask == null ? 1 : mask.dim(0), mask == null ? 1 : mask.dim(1)};
            kernels.launch("attn_bwd_dq" + sx, cdiv(s.queries(), 8), gy, 1, 128,
                    CudaNnOps.concat(new Object[] {ptr(qc), ptr(kc), ptr(vc), ptr(dOc), ptr(lse), ptr(dv0), ptr(dqc), dbw == null ? null : ptr(dbw)}, tail));
            if (keysToo) {
                kernels.launch("attn_bwd_dkdv" + sx, cdiv(s.keys(), 8), gy, 1, 128,
                        CudaNnOps.concat(new Object[] {ptr(qc), ptr(kc), ptr(vc), ptr(dOc), ptr(lse), ptr(dv0), ptr(dkc), ptr(dvc)}, tail));
            }
            if (fusedQkv) {
                int b = s.batch(), h = s.heads(), n = s.queries(), d = s.headDim();
                cuda.copyStrided(new int[] {b, n, 3, h, d}, fused, 0, new int[] {h * n * d, d, (int) keyElems, n * d, 1},
                        dq, 0, new int[] {n * 3 * h * d, 3 * h * d, h * d, d, 1});
            } else if (dq != null) {
                unpack(dqc, dq, dql, s, s.queries());
            }
            if (dk != null && !fusedQkv) {
                unpack(dkc, dk, dkl, s, s.keys());
            }
            if (dv != null && !fusedQkv) {
                unpack(dvc, dv, dvl, s, s.keys());
            }
            if (dbw != null) {
                cuda.axpbyRaw("_f32", dBias.numel(), 1f, ptr(dbw), 1f, ptr(dBias));
            }
        } finally {
            closeIfCopy(qc, q);
            closeIfCopy(kc, k);
            closeIfCopy(vc, v);
            closeIfCopy(oc, o);
            closeIfCopy(dOc, dO);
            closeIfCopy(dqc, dq);
            closeIfCopy(dkc, dk);
            closeIfCopy(dvc, dv);
            closeIfCopy(dv0, null);
            closeIfCopy(dbw, null);
            closeIfCopy(fused, null);
            closeIfCopy(fusedBase, null);
        }
    }

    /** dq, dk, dv are parts 0, 1, 2 of one packed qkv gradient [B, N, 3*H*D] (self-attention from a fused projection). */
    private static boolean isPackedQkvGradient(AttentionShape s, Tensor dq, AttentionLayout dql, Tensor dk, AttentionLayout dkl,
                                               Tensor dv, AttentionLayout dvl) {
        int h = s.heads(), n = s.queries(), d = s.headDim();
        return dq != null && dq == dk && dk == dv && n == s.keys() && dq.numel() == 3L * s.batch() * n * h * d
                && dql.equals(AttentionLayout.packedQkv(0, h, n, d)) && dkl.equals(AttentionLayout.packedQkv(1, h, n, d))
                && dvl.equals(AttentionLayout.packedQkv(2, h, n, d));
    }

    // ---- LCD: few queries over many keys (lcd.cu) ----------------------------------------------------------

    void lcdDispatch(LcdDispatch dispatch) {
        lcdDispatch = dispatch;
    }

    LcdDispatch lcdDispatch() {
        return lcdDispatch;
    }

    /** Forward and backward calls served by lcd.cu so far. */
    synchronized long[] lcdCalls() {
        return new long[] {lcdForwardCalls, lcdBackwardCalls};
    }

    /**
     * Key splits for lcd.cu, or 0 to use the generic kernels. Auto: about two blocks per SM, and only when that needs
     * at least two splits (otherwise the heads already fill the GPU and the combine pass is pure overhead).
     */
    int lcdSplits(AttentionShape s, int rowsPerBlock) {
        return lcdSplits(lcdDispatch, cuda.runtime().multiprocessors(), s, rowsPerBlock);
    }

    static int lcdSplits(LcdDispatch d, int multiprocessors, AttentionShape s, int rowsPerBlock) {
        if (d == LcdDispatch.NEVER || (d == LcdDispatch.AUTO && s.queries() > LCD_MAX_QUERIES)) {
            return 0;
        }
        long blocksPerSplit = (long) s.batch() * s.heads() * cdiv(s.queries(), rowsPerBlock);
        int keyTiles = cdiv(s.keys(), KEY_TILE);
        long target = (2L * multiprocessors + blocksPerSplit - 1) / blocksPerSplit;
        int splits = (int) Math.max(1, Math.min(target, keyTiles));
        if (d == LcdDispatch.AUTO && splits < 2) {
            return 0;
        }
        return splits;
    }

    /** O and lse from lcd.cu's split-key partials and their combine; q, k, v, o contiguous [B*H, N, D]. */
    private void lcdForward(AttentionShape s, String sx, Tensor q, Tensor k, Tensor v, Tensor o, Tensor lse, int splits) {
        int bh = s.batch() * s.heads();
        long rows = (long) bh * splits * s.queries();
        try (Tensor partM = cuda.workspace(DType.F32, rows); Tensor partL = cuda.workspace(DType.F32, rows);
             Tensor partAcc = cuda.workspace(DType.F32, rows * s.headDim())) {
            kernels.launch("lcd_fwd_partial" + sx, splits * cdiv(s.queries(), FWD_ROWS), Math.min(bh, CudaKernels.MAX_GRID_YZ), 1, 128,
                    ptr(q), ptr(k), ptr(v), bh, s.queries(), s.keys(), s.headDim(), s.scale(), splits,
                    ptr(partM), ptr(partL), ptr(partAcc));
            kernels.launch("lcd_fwd_combine" + sx, cdiv((long) bh * s.queries(), 8), 1, 1, 256,
                    ptr(partM), ptr(partL), ptr(partAcc), bh, s.queries(), s.headDim(), splits, ptr(o), ptr(lse));
        }
        synchronized (this) {
            lcdForwardCalls++;
        }
    }

    /** The query-only backward (frozen keys and values) through lcd.cu: preprocess, split dQ partials, reduce. */
    private void lcdBackward(AttentionShape s, Tensor q, AttentionLayout ql, Tensor k, AttentionLayout kl, Tensor v, AttentionLayout vl,
                             Tensor o, AttentionLayout ol, Tensor lse, Tensor dO, AttentionLayout dOl, Tensor dq, AttentionLayout dql,
                             int splits) {
        String sx = suffix(q);
        int bh = s.batch() * s.heads();
        long rows = (long) bh * s.queries();
        Tensor qc = null, kc = null, vc = null, oc = null, dOc = null, dqc = null;
        try (Tensor dv = cuda.workspace(DType.F32, rows);
             Tensor partDq = cuda.workspace(DType.F32, rows * splits * s.headDim())) {
            qc = packed(q, ql, s, s.queries(), true);
            kc = packed(k, kl, s, s.keys(), true);
            vc = packed(v, vl, s, s.keys(), true);
            oc = packed(o, ol, s, s.queries(), true);
            dOc = packed(dO, dOl, s, s.queries(), true);
            dqc = packed(dq, dql, s, s.queries(), false);
            kernels.launch("lcd_bwd_preprocess" + sx, cdiv(rows, 8), 1, 1, 256, ptr(oc), ptr(dOc), ptr(dv), rows, s.headDim());
            kernels.launch("lcd_bwd_dq_partial" + sx, splits * cdiv(s.queries(), BWD_ROWS), Math.min(bh, CudaKernels.MAX_GRID_YZ), 1, 128,
                    ptr(qc), ptr(kc), ptr(vc), ptr(dOc), ptr(lse), ptr(dv), bh, s.queries(), s.keys(), s.headDim(), s.scale(), splits,
                    ptr(partDq));
            kernels.launch("lcd_bwd_dq_reduce" + sx, CudaKernels.gridStride(rows * s.headDim()), 1, 1, 256,
                    ptr(partDq), bh, s.queries(), s.headDim(), splits, ptr(dqc));
            unpack(dqc, dq, dql, s, s.queries());
        } finally {
            closeIfCopy(qc, q);
            closeIfCopy(kc, k);
            closeIfCopy(vc, v);
            closeIfCopy(oc, o);
            closeIfCopy(dOc, dO);
            closeIfCopy(dqc, dq);
        }
        synchronized (this) {
            lcdBackwardCalls++;
        }
    }

    // ---- MTI: many token queries over <= 32 meta-token keys (mti.cu) ----------------------------------------

    /** The sizes of an MTI call, checked: q [B, H, N, D], k and v [B, H, M, D], o like q. */
    private static AttentionShape mtiShape(Tensor q, Tensor k, Tensor v, float scale) {
        if (q.rank() != 4 || k.rank() != 4 || v.rank() != 4) {
            throw new IllegalArgumentException("MTI attention takes [B, H, N, D] queries and [B, H, M, D] keys and values, got q "
                    + q.describeShort() + ", k " + k.describeShort() + ", v " + v.describeShort());
        }
        if (k.dim(0) != q.dim(0) || k.dim(1) != q.dim(1) || k.dim(3) != q.dim(3) || !k.shape().equals(v.shape())) {
            throw new IllegalArgumentException("MTI attention: k " + k.describeShort() + " and v " + v.describeShort() + " must both be ["
                    + q.dim(0) + ", " + q.dim(1) + ", M, " + q.dim(3) + "] to match q " + q.describeShort());
        }
        return new AttentionShape(q.dim(0), q.dim(1), q.dim(2), k.dim(2), q.dim(3), scale);
    }

    private static void expectShape(String what, Tensor t, Tensor like) {
        if (t != null && !t.shape().equals(like.shape())) {
            throw new IllegalArgumentException("MTI attention: " + what + " " + t.describeShort() + " must have the shape " + like.shape());
        }
    }

    private static boolean mtiSupported(AttentionShape s, Tensor... ops) {
        return s.keys() <= MTI_MAX_KEYS && s.headDim() <= MAX_HEAD_DIM && suffix(ops) != null;
    }

    /** o = softmax(scale q k^T) v with few keys; other sizes or dtypes run on the host (counted). */
    void mti(Tensor q, Tensor k, Tensor v, float scale, Tensor o) {
        AttentionShape s = mtiShape(q, k, v, scale);
        expectShape("o", o, q);
        if (!mtiSupported(s, q, k, v, o)) {
            fallback.run("mtiAttention", new Tensor[] {q, k, v, o}, new Tensor[] {o}, h -> {
                cpuAttention(s, h[0], h[1], h[2], h[3]).close();
                return null;
            });
            return;
        }
        int bh = s.batch() * s.heads();
        kernels.launch("mti_fwd" + suffix(q), cdiv(s.queries(), 32), Math.min(bh, CudaKernels.MAX_GRID_YZ), 1, 256,
                ptr(q), ptr(k), ptr(v), ptr(o), bh, s.queries(), s.keys(), s.headDim(), s.scale());
    }

    /** Gradients of {@link #mti}: dq like q, dk and dv like k (each nullable when not wanted); overwritten. */
    void mtiBackward(Tensor q, Tensor k, Tensor v, Tensor dO, float scale, Tensor dq, Tensor dk, Tensor dv) {
        AttentionShape s = mtiShape(q, k, v, scale);
        expectShape("dO", dO, q);
        expectShape("dq", dq, q);
        expectShape("dk", dk, k);
        expectShape("dv", dv, k);
        if (!mtiSupported(s, q, k, v, dO, dq, dk, dv)) {
            fallback.run("mtiAttentionBackward", new Tensor[] {q, k, v, dO, dq, dk, dv}, new Tensor[] {dq, dk, dv}, h -> {
                AttentionLayout lq = AttentionLayout.contiguous(s.heads(), s.queries(), s.headDim());
                AttentionLayout lk = AttentionLayout.contiguous(s.heads(), s.keys(), s.headDim());
                try (Tensor o = Tensor.empty(Backends.cpu(), h[0].shape(), h[0].dtype(), MemoryCategory.WORKSPACE);
                     Tensor lse = cpuAttention(s, h[0], h[1], h[2], o)) {
                    Backends.cpu().attentionBackward(s, h[0], lq, h[1], lk, h[2], lk, null, null, o, lq, lse, h[3], lq,
                            h[4], lq, h[5], lk, h[6], lk, null);
                }
                return null;
            });
            return;
        }
        String sx = suffix(q);
        int bh = s.batch() * s.heads();
        int blocks = Math.max(1, Math.min(cdiv(s.queries(), 64), cdiv(2L * cuda.runtime().multiprocessors(), bh)));
        long keyElems = (long) bh * s.keys() * s.headDim();
        try (Tensor partDk = cuda.workspace(DType.F32, keyElems * blocks); Tensor partDv = cuda.workspace(DType.F32, keyElems * blocks);
             Tensor dqw = dq == null ? cuda.workspace(q.dtype(), q.numel()) : null;
             Tensor dkw = dk == null ? cuda.workspace(q.dtype(), keyElems) : null;
             Tensor dvw = dv == null ? cuda.workspace(q.dtype(), keyElems) : null) {
            kernels.launch("mti_bwd" + sx, blocks, Math.min(bh, CudaKernels.MAX_GRID_YZ), 1, 256,
                    ptr(q), ptr(k), ptr(v), ptr(dO), ptr(dq != null ? dq : dqw), ptr(partDk), ptr(partDv),
                    bh, s.queries(), s.keys(), s.headDim(), s.scale());
            kernels.launch("mti_bwd_reduce" + sx, CudaKernels.gridStride(keyElems), 1, 1, 256,
                    ptr(partDk), ptr(partDv), bh, s.keys(), s.headDim(), blocks, ptr(dk != null ? dk : dkw), ptr(dv != null ? dv : dvw));
        }
    }

    /** The CPU backend's attention of contiguous host tensors into o; returns the lse (to be closed). */
    private static Tensor cpuAttention(AttentionShape s, Tensor q, Tensor k, Tensor v, Tensor o) {
        AttentionLayout lq = AttentionLayout.contiguous(s.heads(), s.queries(), s.headDim());
        AttentionLayout lk = AttentionLayout.contiguous(s.heads(), s.keys(), s.headDim());
        Tensor lse = Tensor.empty(Backends.cpu(), Shape.of(s.batch(), s.heads(), s.queries()), DType.F32,
                MemoryCategory.WORKSPACE);
        Backends.cpu().attention(s, q, lq, k, lk, v, lk, null, null, o, lq, lse);
        return lse;
    }
}
