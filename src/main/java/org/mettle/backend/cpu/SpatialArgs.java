package org.mettle.backend.cpu;

import java.util.Arrays;

/** Argument checks shared by the spatial kernels: messages name the op, the operand and the sizes involved. */
final class SpatialArgs {
    /** Work items (roughly multiply-adds) a parallel chunk should hold before splitting pays for itself. */
    static final int WORK_PER_CHUNK = 1 << 15;

    private SpatialArgs() {}

    /** Checks that {@code array} holds the product of {@code dims} floats from {@code offset}; returns that count. */
    static int requireSpan(String op, String operand, float[] array, int offset, int... dims) {
        if (array == null) {
            throw new IllegalArgumentException(op + ": " + operand + " is null");
        }
        return requireSpan(op, operand, array.length, offset, dims);
    }

    static int requireSpan(String op, String operand, int[] array, int offset, int... dims) {
        if (array == null) {
            throw new IllegalArgumentException(op + ": " + operand + " is null");
        }
        return requireSpan(op, operand, array.length, offset, dims);
    }

    private static int requireSpan(String op, String operand, int length, int offset, int... dims) {
        long need = 1;
        for (int d : dims) {
            if (d < 0) {
                throw new IllegalArgumentException(op + ": " + operand + " has a negative size in " + Arrays.toString(dims));
            }
            need *= d;
        }
        if (need > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": " + operand + " " + Arrays.toString(dims) + " has " + need
                    + " elements, more than a Java array holds; split the batch");
        }
        if (offset < 0 || offset + need > length) {
            throw new IllegalArgumentException(op + ": " + operand + " " + Arrays.toString(dims) + " needs " + need
                    + " elements from offset " + offset + " but its array has " + length);
        }
        return (int) need;
    }

    /**
     * Convolution/pooling output length along one axis, {@code floor((in + 2 pad - dil (k - 1) - 1) / stride) + 1},
     * with an error naming the op and the axis (null: not named) when a parameter is out of range or the window
     * does not fit.
     */
    static int outSize(String op, String axis, int in, int k, int stride, int pad, int dil) {
        String where = axis == null ? op : op + " (" + axis + ")";
        requirePositive(where, "input size", in);
        requirePositive(where, "kernel size", k);
        requirePositive(where, "stride", stride);
        requirePositive(where, "dilation", dil);
        requireNonNegative(where, "padding", pad);
        long span = (long) dil * (k - 1) + 1;
        long padded = in + 2L * pad;
        if (padded < span) {
            throw new IllegalArgumentException(where + ": kernel " + k + " with dilation " + dil + " spans " + span
                    + " but the padded input is only " + padded + " (input " + in + ", padding " + pad
                    + "); use a smaller kernel or more padding");
        }
        return (int) ((padded - span) / stride + 1);
    }

    static void requirePositive(String op, String what, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(op + ": " + what + " must be >= 1, got " + value);
        }
    }

    static void requireNonNegative(String op, String what, int value) {
        if (value < 0) {
            throw new IllegalArgumentException(op + ": " + what + " must be >= 0, got " + value);
        }
    }

    /** Chunk size, in items, for {@link CpuParallel#parallelFor} when each item costs {@code workPerItem}. */
    static int grain(long workPerItem) {
        return (int) Math.max(1, WORK_PER_CHUNK / Math.max(1, workPerItem));
    }

    /** Smallest o >= 0 with o * stride >= need (need may be negative). */
    static int firstAtLeast(int need, int stride) {
        return need <= 0 ? 0 : (need + stride - 1) / stride;
    }

    /** Number of o >= 0 with o * stride <= limit (limit may be negative). */
    static int countAtMost(int limit, int stride) {
        return limit < 0 ? 0 : limit / stride + 1;
    }
}
