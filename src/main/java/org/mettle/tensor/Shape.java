package org.mettle.tensor;

import java.util.Arrays;

/** An immutable tensor shape (row-major). Ranks up to 8; every dim is >= 0. */
public final class Shape {
    public static final int MAX_RANK = 8;
    private final int[] dims;
    private final long numel;

    private Shape(int[] dims) {
        if (dims.length > MAX_RANK) {
            throw new IllegalArgumentException("rank " + dims.length + " exceeds the maximum of " + MAX_RANK + ": " + Arrays.toString(dims));
        }
        long n = 1;
        for (int d : dims) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(dims));
            }
            n = Math.multiplyExact(n, d);
        }
        this.dims = dims;
        this.numel = n;
    }

    public static Shape of(int... dims) {
        return new Shape(dims.clone());
    }

    public static Shape scalar() {
        return new Shape(new int[0]);
    }

    public int rank() {
        return dims.length;
    }

    /** Dimension i; negative i counts from the end. */
    public int dim(int i) {
        return dims[axis(i)];
    }

    public int[] dims() {
        return dims.clone();
    }

    public long numel() {
        return numel;
    }

    /** Number of elements as an int, for heap-backed CPU storage. */
    public int numelInt() {
        if (numel > Integer.MAX_VALUE) {
            throw new IllegalStateException("shape " + this + " has " + numel + " elements, more than a CPU tensor can hold (2^31-1)");
        }
        return (int) numel;
    }

    /** Normalises a possibly negative axis and checks its range. */
    public int axis(int i) {
        int a = i < 0 ? i + dims.length : i;
        if (a < 0 || a >= dims.length) {
            throw new IllegalArgumentException("axis " + i + " out of range for shape " + this);
        }
        return a;
    }

    /** Row-major strides in elements. */
    public long[] strides() {
        long[] s = new long[dims.length];
        long acc = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= dims[i];
        }
        return s;
    }

    /** Product of dims before axis (exclusive). */
    public long outer(int axis) {
        long n = 1;
        for (int i = 0; i < axis(axis); i++) {
            n *= dims[i];
        }
        return n;
    }

    /** Product of dims after axis (exclusive). */
    public long inner(int axis) {
        long n = 1;
        for (int i = axis(axis) + 1; i < dims.length; i++) {
            n *= dims[i];
        }
        return n;
    }

    public Shape withDim(int axis, int size) {
        int[] d = dims.clone();
        d[axis(axis)] = size;
        return new Shape(d);
    }

    /** Shape with its last dim dropped (rank >= 1). */
    public Shape dropLast() {
        return new Shape(Arrays.copyOf(dims, dims.length - 1));
    }

    /** Numpy broadcasting of two shapes; throws naming both when they are incompatible. */
    public static Shape broadcast(Shape a, Shape b) {
        int r = Math.max(a.rank(), b.rank());
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int da = i - (r - a.rank()) >= 0 ? a.dims[i - (r - a.rank())] : 1;
            int db = i - (r - b.rank()) >= 0 ? b.dims[i - (r - b.rank())] : 1;
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException("shapes " + a + " and " + b + " do not broadcast (dim " + i + ": " + da + " vs " + db + ")");
            }
            out[i] = da == 1 ? db : da;
        }
        return new Shape(out);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return Arrays.toString(dims);
    }
}
