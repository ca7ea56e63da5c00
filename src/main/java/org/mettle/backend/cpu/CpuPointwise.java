package org.mettle.backend.cpu;

import org.mettle.backend.UnaryOp;

import org.mettle.backend.BinaryOp;

import java.util.Arrays;

/**
 * Elementwise kernels of the CPU backend: broadcast binary ops, unary ops and their backward, axpby, fill,
 * strided copies and half-precision conversions. All arrays are addressed by element offsets; work is split over
 * {@link CpuParallel}. The hot loops sit behind {@link Kernels}: {@link VectorPointwise} (Vector API) when the JVM
 * has {@code jdk.incubator.vector}, {@link ScalarPointwise} otherwise. The two agree up to float rounding: a few ulp
 * for arithmetic, about 1e-6 relative (plus 1e-30 absolute in underflowing tails) for exp/log/tanh-based ops.
 */
public final class CpuPointwise {
    /** Elements per parallel task for cheap ops (one pass over memory). */
    static final int GRAIN = 1 << 14;
    /** Elements per parallel task for transcendental ops (exp, tanh, gelu ...). */
    static final int GRAIN_HEAVY = 1 << 12;
    static final int MAX_RANK = 8;

    /** The contiguous inner loops; implementations must accept n == 0 and in-place use (out == input, same offset). */
    interface Kernels {
        void binary(BinaryOp op, float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n);

        /** out[i] = op(a[i], s). */
        void binaryScalarRight(BinaryOp op, float[] a, int aOff, float s, float[] out, int outOff, int n);

        /** out[i] = op(s, b[i]). */
        void binaryScalarLeft(BinaryOp op, float s, float[] b, int bOff, float[] out, int outOff, int n);

        void unary(UnaryOp op, float[] x, int xOff, float[] out, int outOff, int n);

        void unaryBackward(UnaryOp op, float[] x, int xOff, float[] y, int yOff, float[] gradOut, int gOff,
                float[] gradIn, int giOff, int n);

        /** y = alpha*x + beta*y; beta == 0 does not read y. */
        void axpby(float alpha, float[] x, int xOff, float beta, float[] y, int yOff, int n);
    }

    static final Kernels KERNELS =
            VectorSupport.load(Kernels.class, "org.mettle.backend.cpu.VectorPointwise", new ScalarPointwise());

    private CpuPointwise() {}

    /**
     * out[i] = op(a[...], b[...]) with numpy broadcasting given rank-aligned dims and element strides (0 = broadcast
     * dim). outDims has the broadcast shape (rank <= 8), out is contiguous and may be a or b itself only when that
     * operand is contiguous at the same offset. Runs of the innermost (coalesced) dim go to the vector kernels:
     * same shape, scalar operand, row broadcast over leading dims (bias add), broadcast over a middle dim.
     */
    public static void binary(BinaryOp op, int[] outDims, float[] a, int aOff, int[] aStrides, float[] b, int bOff,
            int[] bStrides, float[] out, int outOff) {
        binary(KERNELS, op, outDims, a, aOff, aStrides, b, bOff, bStrides, out, outOff);
    }

    static void binary(Kernels k, BinaryOp op, int[] outDims, float[] a, int aOff, int[] aStrides, float[] b,
            int bOff, int[] bStrides, float[] out, int outOff) {
        checkLayout("binary", outDims, "aStrides", aStrides, "bStrides", bStrides);
        int total = elementCount("binary", outDims);
        if (total == 0) {
            return;
        }
        StridedLayout l = StridedLayout.of(outDims, aStrides, bStrides);
        int inner = l.dims[l.rank - 1];
        int aIn = l.strides0[l.rank - 1];
        int bIn = l.strides1[l.rank - 1];
        int grain = inner == 1 ? GRAIN / 4 : GRAIN;
        CpuParallel.parallelFor(total, grain, (from, to) -> l.forEachRun(aOff, bOff, from, to, (pos, len, ap, bp) -> {
            int o = outOff + pos;
            if (aIn == 1 && bIn == 1) {
                k.binary(op, a, ap, b, bp, out, o, len);
            } else if (aIn == 1 && bIn == 0) {
                k.binaryScalarRight(op, a, ap, b[bp], out, o, len);
            } else if (aIn == 0 && bIn == 1) {
                k.binaryScalarLeft(op, a[ap], b, bp, out, o, len);
            } else if (aIn == 0 && bIn == 0) {
                Arrays.fill(out, o, o + len, op.apply(a[ap], b[bp]));
            } else {
                for (int i = 0; i < len; i++) {
                    out[o + i] = op.apply(a[ap + i * aIn], b[bp + i * bIn]);
                }
            }
        }));
    }

    /** out[i] = op(a[i], s) for i in [0, n). */
    public static void binaryScalar(BinaryOp op, float[] a, int aOff, float s, float[] out, int outOff, int n) {
        binaryScalar(KERNELS, op, a, aOff, s, out, outOff, n);
    }

    static void binaryScalar(Kernels k, BinaryOp op, float[] a, int aOff, float s, float[] out, int outOff, int n) {
        int grain = op == BinaryOp.POW ? GRAIN_HEAVY : GRAIN;
        CpuParallel.parallelFor(n, grain, (f, t) -> k.binaryScalarRight(op, a, aOff + f, s, out, outOff + f, t - f));
    }

    /** out[i] = op(x[i]) for i in [0, n); out may be x at the same offset. */
    public static void unary(UnaryOp op, float[] x, int xOff, float[] out, int outOff, int n) {
        unary(KERNELS, op, x, xOff, out, outOff, n);
    }

    static void unary(Kernels k, UnaryOp op, float[] x, int xOff, float[] out, int outOff, int n) {
        CpuParallel.parallelFor(n, grainOf(op), (f, t) -> k.unary(op, x, xOff + f, out, outOff + f, t - f));
    }

    /**
     * gradIn[i] = gradOut[i] * d op/dx evaluated at x[i] (y = op(x) given too, so EXP/TANH/SIGMOID can reuse it).
     * y is read only when {@link UnaryOp#backwardUsesOutput()}; otherwise it may be null.
     */
    public static void unaryBackward(UnaryOp op, float[] x, int xOff, float[] y, int yOff, float[] gradOut, int gOff,
            float[] gradIn, int giOff, int n) {
        unaryBackward(KERNELS, op, x, xOff, y, yOff, gradOut, gOff, gradIn, giOff, n);
    }

    static void unaryBackward(Kernels k, UnaryOp op, float[] x, int xOff, float[] y, int yOff, float[] gradOut,
            int gOff, float[] gradIn, int giOff, int n) {
        if (y == null && op.backwardUsesOutput()) {
            throw new IllegalArgumentException("unaryBackward(" + op + ") needs the forward output y = " + op
                    + "(x); pass the array the forward wrote instead of null");
        }
        CpuParallel.parallelFor(n, grainOf(op),
                (f, t) -> k.unaryBackward(op, x, xOff + f, y, yOff + f, gradOut, gOff + f, gradIn, giOff + f, t - f));
    }

    /** y = alpha*x + beta*y for n elements; with beta == 0 y is only written (NaN/garbage in y does not leak). */
    public static void axpby(float alpha, float[] x, int xOff, float beta, float[] y, int yOff, int n) {
        axpby(KERNELS, alpha, x, xOff, beta, y, yOff, n);
    }

    static void axpby(Kernels k, float alpha, float[] x, int xOff, float beta, float[] y, int yOff, int n) {
        CpuParallel.parallelFor(n, GRAIN, (f, t) -> k.axpby(alpha, x, xOff + f, beta, y, yOff + f, t - f));
    }

    public static void fill(float[] x, int off, int n, float value) {
        CpuParallel.parallelFor(n, GRAIN * 4, (f, t) -> Arrays.fill(x, off + f, off + t, value));
    }

    /**
     * Strided copy: dst[dstOff + sum(idx_i * dstStrides_i)] = src[srcOff + sum(idx_i * srcStrides_i)] over every
     * index of dims; used for permute/slice/concat/expand. dstStrides == null means dst is contiguous. The
     * destination must not overlap itself (no zero dst strides) nor the source.
     */
    public static void copyStrided(int[] dims, float[] src, int srcOff, int[] srcStrides, float[] dst, int dstOff,
            int[] dstStrides) {
        int[] dstS = dstStrides != null ? dstStrides : contiguousStrides(dims);
        checkLayout("copyStrided", dims, "srcStrides", srcStrides, "dstStrides", dstS);
        int total = elementCount("copyStrided", dims);
        if (total == 0) {
            return;
        }
        StridedLayout l = StridedLayout.of(dims, srcStrides, dstS);
        int sIn = l.strides0[l.rank - 1];
        int dIn = l.strides1[l.rank - 1];
        CpuParallel.parallelFor(total, GRAIN * 2, (from, to) -> l.forEachRun(srcOff, dstOff, from, to, (pos, len, sp, dp) -> {
            if (sIn == 1 && dIn == 1) {
                System.arraycopy(src, sp, dst, dp, len);
            } else if (sIn == 0) {
                float v = src[sp];
                for (int i = 0; i < len; i++) {
                    dst[dp + i * dIn] = v;
                }
            } else {
                for (int i = 0; i < len; i++) {
                    dst[dp + i * dIn] = src[sp + i * sIn];
                }
            }
        }));
    }

    /** {@link #copyStrided(int[], float[], int, int[], float[], int, int[])} for BF16/F16 bits (views of frozen weights). */
    public static void copyStrided(int[] dims, short[] src, int srcOff, int[] srcStrides, short[] dst, int dstOff,
            int[] dstStrides) {
        int[] dstS = dstStrides != null ? dstStrides : contiguousStrides(dims);
        checkLayout("copyStrided", dims, "srcStrides", srcStrides, "dstStrides", dstS);
        int total = elementCount("copyStrided", dims);
        if (total == 0) {
            return;
        }
        StridedLayout l = StridedLayout.of(dims, srcStrides, dstS);
        int sIn = l.strides0[l.rank - 1];
        int dIn = l.strides1[l.rank - 1];
        CpuParallel.parallelFor(total, GRAIN * 2, (from, to) -> l.forEachRun(srcOff, dstOff, from, to, (pos, len, sp, dp) -> {
            if (sIn == 1 && dIn == 1) {
                System.arraycopy(src, sp, dst, dp, len);
            } else {
                for (int i = 0; i < len; i++) {
                    dst[dp + i * dIn] = src[sp + i * sIn];
                }
            }
        }));
    }

    /** {@link #copyStrided(int[], float[], int, int[], float[], int, int[])} for I32 tensors. */
    public static void copyStrided(int[] dims, int[] src, int srcOff, int[] srcStrides, int[] dst, int dstOff,
            int[] dstStrides) {
        int[] dstS = dstStrides != null ? dstStrides : contiguousStrides(dims);
        checkLayout("copyStrided", dims, "srcStrides", srcStrides, "dstStrides", dstS);
        int total = elementCount("copyStrided", dims);
        if (total == 0) {
            return;
        }
        StridedLayout l = StridedLayout.of(dims, srcStrides, dstS);
        int sIn = l.strides0[l.rank - 1];
        int dIn = l.strides1[l.rank - 1];
        CpuParallel.parallelFor(total, GRAIN * 2, (from, to) -> l.forEachRun(srcOff, dstOff, from, to, (pos, len, sp, dp) -> {
            if (sIn == 1 && dIn == 1) {
                System.arraycopy(src, sp, dst, dp, len);
            } else {
                for (int i = 0; i < len; i++) {
                    dst[dp + i * dIn] = src[sp + i * sIn];
                }
            }
        }));
    }

    // ---- half-precision storage ----

    /** float -> bfloat16 bits, round to nearest even; NaN stays a (quiet) NaN, overflow rounds to infinity. */
    public static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int roundingBias = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    /** bfloat16 bits -> float (exact). */
    public static float fromBf16(short h) {
        return Float.intBitsToFloat((h & 0xffff) << 16);
    }

    /** float -> IEEE binary16 bits, round to nearest even, with subnormals; beyond 65504 rounds to infinity. */
    public static short toF16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fffffff;
        if (abs >= 0x7f800000) {
            int nanPayload = abs > 0x7f800000 ? 0x200 | ((abs >>> 13) & 0x3ff) : 0;
            return (short) (sign | 0x7c00 | nanPayload);
        }
        if (abs >= 0x477ff000) { // >= 65520: halfway to 65536 or more, rounds to infinity
            return (short) (sign | 0x7c00);
        }
        int exp = abs >>> 23;
        int mant = abs & 0x7fffff;
        int h;
        int rem;
        int halfway;
        if (exp >= 113) { // normal binary16: rebias 127 -> 15, keep the top 10 mantissa bits
            h = ((exp - 112) << 10) | (mant >>> 13);
            rem = mant & 0x1fff;
            halfway = 0x1000;
        } else if (exp >= 102) { // binary16 subnormal: units of 2^-24
            int full = mant | 0x800000;
            int shift = 126 - exp;
            h = full >>> shift;
            rem = full & ((1 << shift) - 1);
            halfway = 1 << (shift - 1);
        } else { // below 2^-25: rounds to zero
            return (short) sign;
        }
        if (rem > halfway || (rem == halfway && (h & 1) == 1)) {
            h++; // a carry into the exponent is the correct rounding
        }
        return (short) (sign | h);
    }

    /** IEEE binary16 bits -> float (exact). */
    public static float fromF16(short h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0) {
            float magnitude = mant * 0x1p-24f;
            return Float.intBitsToFloat(sign | Float.floatToRawIntBits(magnitude));
        }
        if (exp == 31) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    public static void toBf16(float[] src, int srcOff, short[] dst, int dstOff, int n) {
        CpuParallel.parallelFor(n, GRAIN, (f, t) -> {
            for (int i = f; i < t; i++) {
                dst[dstOff + i] = toBf16(src[srcOff + i]);
            }
        });
    }

    public static void fromBf16(short[] src, int srcOff, float[] dst, int dstOff, int n) {
        CpuParallel.parallelFor(n, GRAIN, (f, t) -> {
            for (int i = f; i < t; i++) {
                dst[dstOff + i] = fromBf16(src[srcOff + i]);
            }
        });
    }

    public static void toF16(float[] src, int srcOff, short[] dst, int dstOff, int n) {
        CpuParallel.parallelFor(n, GRAIN, (f, t) -> {
            for (int i = f; i < t; i++) {
                dst[dstOff + i] = toF16(src[srcOff + i]);
            }
        });
    }

    public static void fromF16(short[] src, int srcOff, float[] dst, int dstOff, int n) {
        CpuParallel.parallelFor(n, GRAIN, (f, t) -> {
            for (int i = f; i < t; i++) {
                dst[dstOff + i] = fromF16(src[srcOff + i]);
            }
        });
    }

    // ---- layout helpers ----

    static int grainOf(UnaryOp op) {
        switch (op) {
            case NEG: case ABS: case SQUARE: case RELU: return GRAIN;
            default: return GRAIN_HEAVY;
        }
    }

    static int[] contiguousStrides(int[] dims) {
        int[] s = new int[dims.length];
        int acc = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= dims[i];
        }
        return s;
    }

    static int elementCount(String what, int[] dims) {
        long n = 1;
        for (int d : dims) {
            n *= d;
        }
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(what + ": " + Arrays.toString(dims) + " has " + n
                    + " elements, more than a Java array holds (2^31 - 1); split the tensor");
        }
        return (int) n;
    }

    static void checkLayout(String what, int[] dims, String name0, int[] strides0, String name1, int[] strides1) {
        if (dims.length > MAX_RANK) {
            throw new IllegalArgumentException(what + ": rank " + dims.length + " of " + Arrays.toString(dims)
                    + " exceeds the supported " + MAX_RANK + "; merge adjacent dims first");
        }
        if (strides0.length != dims.length || strides1.length != dims.length) {
            throw new IllegalArgumentException(what + ": dims " + Arrays.toString(dims) + " (rank " + dims.length
                    + ") need rank-aligned strides, got " + name0 + " " + Arrays.toString(strides0) + " and "
                    + name1 + " " + Arrays.toString(strides1) + "; pad leading dims with stride 0");
        }
        for (int d : dims) {
            if (d < 0) {
                throw new IllegalArgumentException(what + ": negative dim in " + Arrays.toString(dims));
            }
        }
    }

    /**
     * Dims plus two operands' element strides, with size-1 dims dropped and adjacent dims merged wherever both
     * operands (and the contiguous walk order) allow, so the innermost run is as long as possible.
     */
    static final class StridedLayout {
        final int rank;
        final int[] dims;
        final int[] strides0;
        final int[] strides1;

        /** One run of the innermost dim: walk positions [pos, pos + len), operand offsets p0 and p1 at pos. */
        interface RunBody {
            void run(int pos, int len, int p0, int p1);
        }

        private StridedLayout(int rank, int[] dims, int[] strides0, int[] strides1) {
            this.rank = rank;
            this.dims = dims;
            this.strides0 = strides0;
            this.strides1 = strides1;
        }

        static StridedLayout of(int[] dims, int[] s0, int[] s1) {
            int[] d = new int[Math.max(1, dims.length)];
            int[] a = new int[d.length];
            int[] b = new int[d.length];
            int r = 0;
            for (int i = 0; i < dims.length; i++) {
                if (dims[i] == 1) {
                    continue;
                }
                if (r > 0 && a[r - 1] == s0[i] * dims[i] && b[r - 1] == s1[i] * dims[i]) {
                    d[r - 1] *= dims[i];
                    a[r - 1] = s0[i];
                    b[r - 1] = s1[i];
                } else {
                    d[r] = dims[i];
                    a[r] = s0[i];
                    b[r] = s1[i];
                    r++;
                }
            }
            if (r == 0) {
                d[0] = 1;
                r = 1;
            }
            return new StridedLayout(r, Arrays.copyOf(d, r), Arrays.copyOf(a, r), Arrays.copyOf(b, r));
        }

        /** Calls body for every innermost run inside the walk-order range [from, to). */
        void forEachRun(int off0, int off1, int from, int to, RunBody body) {
            int outer = rank - 1;
            int inner = dims[outer];
            int in0 = strides0[outer];
            int in1 = strides1[outer];
            int row = from / inner;
            int col = from - row * inner;
            int[] idx = new int[outer];
            int p0 = off0;
            int p1 = off1;
            for (int d = outer - 1; d >= 0; d--) {
                int q = row % dims[d];
                row /= dims[d];
                idx[d] = q;
                p0 += q * strides0[d];
                p1 += q * strides1[d];
            }
            int pos = from;
            while (true) {
                int len = Math.min(inner - col, to - pos);
                body.run(pos, len, p0 + col * in0, p1 + col * in1);
                pos += len;
                if (pos >= to) {
                    return;
                }
                col = 0;
                for (int d = outer - 1; d >= 0; d--) {
                    idx[d]++;
                    p0 += strides0[d];
                    p1 += strides1[d];
                    if (idx[d] < dims[d]) {
                        break;
                    }
                    p0 -= strides0[d] * dims[d];
                    p1 -= strides1[d] * dims[d];
                    idx[d] = 0;
                }
            }
        }
    }
}
