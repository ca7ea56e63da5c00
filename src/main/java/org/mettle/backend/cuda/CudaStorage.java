package org.mettle.backend.cuda;

import jcuda.driver.CUdeviceptr;
import org.mettle.memory.MemoryCategory;
import org.mettle.tensor.DType;
import org.mettle.tensor.Device;
import org.mettle.tensor.Storage;

/** A device block from the {@link CudaAllocator}; the ledger counts the exact requested bytes. */
final class CudaStorage extends Storage {
    private final CudaAllocator allocator;
    private final DType dtype;
    private CUdeviceptr pointer;

    CudaStorage(CudaAllocator allocator, DType dtype, long numel, MemoryCategory category) {
        super(Device.CUDA, checkedBytes(dtype, numel), category);
        this.allocator = allocator;
        this.dtype = dtype;
        CUdeviceptr p;
        try {
            p = allocator.allocate(bytes());
        } catch (RuntimeException e) {
            release(); // undo the ledger entry; free() sees no pointer
            throw e;
        }
        this.pointer = p;
    }

    private static long checkedBytes(DType dtype, long numel) {
        if (numel < 0) {
            throw new IllegalArgumentException("negative element count " + numel);
        }
        if (dtype != DType.F32 && dtype != DType.BF16 && dtype != DType.F16 && dtype != DType.I32) {
            throw new IllegalArgumentException("the CUDA backend stores F32, BF16, F16 and I32 tensors, not " + dtype);
        }
        return numel * dtype.byteSize();
    }

    DType dtype() {
        return dtype;
    }

    CUdeviceptr pointer() {
        if (pointer == null) {
            throw new IllegalStateException("use of released CUDA storage (" + bytes() + " bytes): the tensor was closed");
        }
        return pointer;
    }

    @Override
    protected void free() {
        if (pointer != null) {
            allocator.free(pointer);
            pointer = null;
        }
    }
}
