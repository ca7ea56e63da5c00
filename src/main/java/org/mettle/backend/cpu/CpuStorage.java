package org.mettle.backend.cpu;

import org.mettle.memory.MemoryCategory;
import org.mettle.tensor.DType;
import org.mettle.tensor.Device;
import org.mettle.tensor.Storage;

/** Heap arrays: float[] for F32, short[] for BF16/F16 bits, int[] for I32. */
final class CpuStorage extends Storage {
    float[] floats;
    short[] halves;
    int[] ints;

    CpuStorage(DType dtype, long numel, MemoryCategory category) {
        super(Device.CPU, checkedBytes(dtype, numel), category);
        int n = (int) numel;
        switch (dtype) {
            case F32 -> floats = new float[n];
            case BF16, F16 -> halves = new short[n];
            case I32 -> ints = new int[n];
            default -> throw new AssertionError(dtype);
        }
    }

    /** Validates before the ledger counts anything, so a refused allocation leaves no trace. */
    private static long checkedBytes(DType dtype, long numel) {
        if (numel > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a CPU tensor holds at most 2^31-9 elements, asked for " + numel);
        }
        if (dtype != DType.F32 && dtype != DType.BF16 && dtype != DType.F16 && dtype != DType.I32) {
            throw new IllegalArgumentException("the CPU backend stores F32, BF16, F16 and I32 tensors, not " + dtype
                    + "; convert " + dtype + " data to I32 or F32 when loading");
        }
        return numel * dtype.byteSize();
    }

    @Override
    protected void free() {
        floats = null;
        halves = null;
        ints = null;
    }
}
