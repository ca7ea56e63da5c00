package org.mettle.io;

import java.util.Arrays;
import org.mettle.tensor.DType;
import org.mettle.tensor.Shape;

/**
 * One tensor entry of a safetensors header.
 *
 * @param name       tensor name
 * @param dtype      element type
 * @param shape      dims, row-major; empty for a scalar (the array is copied in and out)
 * @param dataOffset byte offset of the first element, relative to the start of the data section
 * @param byteLength number of bytes (numel x dtype size)
 */
public record TensorInfo(String name, DType dtype, int[] shape, long dataOffset, long byteLength) {
    public TensorInfo {
        shape = shape.clone();
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    /** Number of elements (1 for a scalar). */
    public long numel() {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    /** The shape as an engine {@link Shape}; fails for ranks above {@link Shape#MAX_RANK}. */
    public Shape toShape() {
        return Shape.of(shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t
                && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
                && dataOffset == t.dataOffset && byteLength == t.byteLength;
    }

    @Override
    public int hashCode() {
        return (name.hashCode() * 31 + dtype.hashCode()) * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape) + " @" + dataOffset + "+" + byteLength;
    }
}
