package org.mettle.backend.cuda;

import static org.mettle.backend.cuda.CudaBackend.allF32;
import static org.mettle.backend.cuda.CudaBackend.ptr;
import static org.mettle.backend.cuda.CudaBackend.suffix;
import static org.mettle.backend.cuda.CudaKernels.cdiv;

import org.mettle.backend.AttentionLayout;
import org.mettle.backend.AttentionShape;
import org.mettle.backend.Backends;
import org.mettle.tensor.DType;
import org.mettle.tensor.Tensor;

/**
 * The CUDA paths of fused attention (docs/kernels.md, "Which kernel serves which call"): the generic flash-style
 * kernels of attention.cu, and lcd.cu's split-key kernels for LCD's few meta queries over many frozen tokens.
 */
final class CudaAttention {
    private static final int MAX_HEAD_DIM = 128;
    private final CudaBackend cuda;
    private final CudaKernels kernels;
    private final HostFallback fallback;

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
            kernels.launch("attn_fwd" + sx, cdiv(s.queries(), 16), Math.min(bh, CudaKernels.MAX_GRID_YZ), 1, 128,
                    ptr(qc), ptr(kc), ptr(vc), ptr(oc), ptr(lse),
                    s.batch(), s.heads(), s.queries(), s.keys(), s.headDim(), s.scale(),
                    ptr(bias), bias == null ? 1 : bias.dim(0), bias == null ? 1 : bias.dim(1),
                    ptr(mask), mask == null ? 1 : mask.dim(0), mask == null ? 1 : mask.dim(1));
            unpack(oc, o, ol, s, s.queries());
        } finally {
            closeIfCopy(qc, q);
            closeIfCopy(kc, k);
            closeIfCopy(vc, v);
            closeIfCopy(oc, o);
        }
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
                fused = fusedBase.viewAs(org.mettle.tensor.Shape.of(3, Math.toIntExact(keyElems)));
                dqc = fused.viewRows(0, 1, org.mettle.tensor.Shape.of(Math.toIntExact(keyElems)));
                dkc = fused.viewRows(1, 1, org.mettle.tensor.Shape.of(Math.toIntExact(keyElems)));
                dvc = fused.viewRows(2, 1, org.mettle.tensor.Shape.of(Math.toIntExact(keyElems)));
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
}
