package org.mettle.backend.cpu;

import org.mettle.memory.MemoryCategory;
import org.mettle.tensor.DType;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;

/**
 * A Linear weight W [out, in] packed once for the CPU GEMM ({@link GemmKernel#packWeights}), so that y = x W^T
 * skips the per-call packing of W: about a fifth of a ViT-B GEMM's time on one core at batch 1. It is a second
 * copy of the weight (counted as WEIGHTS in the ledger) and a snapshot: later in-place changes of W are not seen.
 */
public final class PackedLinearWeight implements AutoCloseable {
    private final GemmKernel kernel = Gemm.kernel();
    private final Tensor packed;
    private final int out;
    private final int in;

    private PackedLinearWeight(Tensor weight) {
        out = weight.dim(0);
        in = weight.dim(1);
        long size = kernel.packedSize(out, in);
        if (size > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("weight " + weight.describeShort() + " is too large to pack into one array");
        }
        packed = Tensor.empty(weight.backend(), Shape.of((int) size), DType.F32, MemoryCategory.WEIGHTS);
        packed.untrack();
        kernel.packWeights(true, out, in, CpuBackend.f(weight), CpuBackend.off(weight), in, CpuBackend.f(packed));
    }

    /** Whether {@link #pack} takes this weight: a 2-D F32 tensor on the CPU backend. */
    public static boolean supports(Tensor weight) {
        return weight.backend() instanceof CpuBackend && weight.dtype() == DType.F32 && weight.rank() == 2 && weight.numel() > 0;
    }

    public static PackedLinearWeight pack(Tensor weight) {
        if (!supports(weight)) {
            throw new IllegalArgumentException("cannot pack " + weight.describeShort() + ": only 2-D F32 weights on the CPU backend");
        }
        return new PackedLinearWeight(weight);
    }

    /** y [rows, out] = x [rows, in] W^T, both F32 on the CPU and dense. */
    public void multiply(Tensor x, int rows, Tensor y) {
        kernel.sgemmPacked(rows, out, in, 1f, CpuBackend.f(x), CpuBackend.off(x), in, CpuBackend.f(packed), 0f, CpuBackend.f(y),
                CpuBackend.off(y), out);
    }

    public long bytes() {
        return packed.numel() * 4L;
    }

    @Override
    public void close() {
        packed.close();
    }
}
