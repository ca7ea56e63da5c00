package org.mettle.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Transcendental functions and a lane sum for the Vector API kernels, built only from IEEE-exact lanewise operations
 * (add, mul, div, fma, min/max, compares, integer bit operations, fixed lane rearranges). Every one of those gives
 * the same bits in the interpreter, C1 and C2, so these functions are tier independent, unlike the JDK's
 * {@code lanewise(EXP/LOG/TANH/POW)}: on JDK 17 their C2-compiled results differ in the last bit from the
 * interpreter's per-lane {@code Math} calls, which made a resumed training run drift ({@code VectorKernelTierTest}
 * checks the kernels). Speed against the JDK ops (one thread, ViT-B shapes): GELU 1.75x faster, softmax and the
 * attention forward about 10% slower.
 *
 * <p>Accuracy against {@code java.lang.Math} in double, rounded to float (VectorMathTest sweeps ~10^7 inputs each):
 * exp within 1 ulp, log and tanh within 2 ulp; the normal CDF within 6 ulp (2e-7 relative) of the same erfc fit
 * evaluated in double. Special values follow Math:
 * exp(-inf) = 0, exp(x > 88.73) = inf, results below 2^-126 are subnormal down to 0; log(0) = -inf, log(x < 0) =
 * NaN, log(inf) = inf; NaN stays NaN everywhere.
 */
final class VectorMath {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private static final float LOG2E = 1.44269504088896341f;
    /** ln 2 in two parts: the high part has 9 significant bits, so n * LN2_HI is exact for |n| < 2^15. */
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440054690583e-4f;
    /** 1.5 * 2^23: adding it rounds a float of magnitude < 2^22 to an integer held in the low mantissa bits. */
    private static final float ROUNDER = 12582912f;
    private static final int ROUNDER_BITS = 0x4b400000;
    /** exp's input range: below, the result rounds to 0; above, it overflows to infinity. */
    private static final float EXP_LOW = -104f;
    private static final float EXP_HIGH = 89f;
    private static final float SQRT2 = 1.41421356237309505f;

    private VectorMath() {}

    private static final VectorShuffle<Float> SWAP1 = swap(1);
    private static final VectorShuffle<Float> SWAP2 = swap(2);
    private static final VectorShuffle<Float> SWAP4 = swap(4);
    private static final VectorShuffle<Float> SWAP8 = swap(8);

    private static VectorShuffle<Float> swap(int s) {
        return VectorShuffle.fromOp(S, l -> s < L ? l ^ s : l);
    }

    /**
     * Sum of the lanes in a fixed pairwise order (lane l plus lane l ^ s, for s = L/2 down to 1), the same in every
     * JIT tier; reduceLanes(ADD) leaves the order to the implementation. As fast as reduceLanes in softmax and layer
     * norm here; storing the lanes to an array and adding them in a scalar loop was about 15% slower.
     */
    static float sum(FloatVector v) {
        if (L >= 16) {
            v = v.add(v.rearrange(SWAP8));
        }
        if (L >= 8) {
            v = v.add(v.rearrange(SWAP4));
        }
        if (L >= 4) {
            v = v.add(v.rearrange(SWAP2));
        }
        if (L >= 2) {
            v = v.add(v.rearrange(SWAP1));
        }
        return v.lane(0);
    }

    private static FloatVector c(float value) {
        return FloatVector.broadcast(S, value);
    }

    /** 2^n for integer lanes n in [-126, 127] (the callers need [-75, 64]), as floats. */
    private static FloatVector pow2(IntVector n) {
        return n.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    }

    /** e^x: Cody-Waite reduction x = n ln2 + r, |r| <= ln2 / 2, a degree-7 Taylor polynomial, scaling by 2^n. */
    static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(EXP_LOW).min(EXP_HIGH); // NaN passes through both
        FloatVector t = xc.fma(LOG2E, ROUNDER);
        FloatVector n = t.sub(ROUNDER);
        FloatVector r = n.fma(c(-LN2_HI), xc);
        r = n.fma(c(-LN2_LO), r);
        FloatVector p = r.fma(1f / 5040, 1f / 720);
        p = p.fma(r, c(1f / 120));
        p = p.fma(r, c(1f / 24));
        p = p.fma(r, c(1f / 6));
        p = p.fma(r, c(0.5f));
        p = p.fma(r, c(1f));
        p = p.fma(r, c(1f));
        // n in [-150, 128]: scale in two halves so that each factor is a normal float and subnormals round once
        IntVector ni = t.reinterpretAsInts().sub(ROUNDER_BITS);
        IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1);
        IntVector n2 = ni.sub(n1);
        return p.mul(pow2(n1)).mul(pow2(n2));
    }

    /**
     * tanh(x) = sign(x) m / (m + 2) with m = e^(2|x|) - 1, computed as 2^n (e^r - 1) + (2^n - 1) so that it stays
     * accurate near 0; |x| >= 10 gives +-1 (as in float it is).
     */
    static FloatVector tanh(FloatVector x) {
        FloatVector a = x.abs().min(10f);
        FloatVector y = a.add(a);
        FloatVector t = y.fma(LOG2E, ROUNDER);
        FloatVector n = t.sub(ROUNDER);
        FloatVector r = n.fma(c(-LN2_HI), y);
        r = n.fma(c(-LN2_LO), r);
        FloatVector u = r.fma(1f / 5040, 1f / 720);
        u = u.fma(r, c(1f / 120));
        u = u.fma(r, c(1f / 24));
        u = u.fma(r, c(1f / 6));
        u = u.fma(r, c(0.5f));
        FloatVector em1r = r.mul(r).fma(u, r); // e^r - 1
        FloatVector scale = pow2(t.reinterpretAsInts().sub(ROUNDER_BITS));
        FloatVector m = scale.fma(em1r, scale.sub(1f));
        FloatVector q = m.div(m.add(2f));
        return q.reinterpretAsInts().or(x.reinterpretAsInts().and(0x80000000)).reinterpretAsFloats();
    }

    /**
     * Natural log: x = 2^e m with m in [sqrt(1/2), sqrt(2)), log(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| < 0.172,
     * by its series to s^9.
     */
    static FloatVector log(FloatVector x) {
        VectorMask<Float> sub = x.compare(VectorOperators.LT, Float.MIN_NORMAL);
        FloatVector xn = x.blend(x.mul(8388608f), sub); // subnormals scaled by 2^23 first
        IntVector bits = xn.reinterpretAsInts();
        IntVector e = bits.lanewise(VectorOperators.ASHR, 23).sub(127);
        FloatVector m = bits.and(0x007fffff).or(0x3f800000).reinterpretAsFloats();
        VectorMask<Float> big = m.compare(VectorOperators.GT, SQRT2);
        m = m.blend(m.mul(0.5f), big);
        FloatVector ef = ((FloatVector) e.convert(VectorOperators.I2F, 0))
                .add(FloatVector.zero(S).blend(1f, big))
                .sub(FloatVector.zero(S).blend(23f, sub));
        FloatVector f = m.sub(1f);
        FloatVector s = f.div(f.add(2f));
        FloatVector z = s.mul(s);
        FloatVector q = z.fma(1f / 9, 1f / 7);
        q = q.fma(z, c(1f / 5));
        q = q.fma(z, c(1f / 3));
        q = q.mul(z);
        FloatVector s2 = s.add(s);
        FloatVector log1p = s2.fma(q, s2);
        FloatVector result = ef.fma(c(LN2_HI), ef.fma(c(LN2_LO), log1p));
        result = result.blend(Float.NEGATIVE_INFINITY, x.compare(VectorOperators.EQ, 0f));
        VectorMask<Float> passThrough = x.compare(VectorOperators.NE, x).or(x.compare(VectorOperators.EQ,
                Float.POSITIVE_INFINITY));
        result = result.blend(x, passThrough);
        return result.blend(Float.NaN, x.compare(VectorOperators.LT, 0f));
    }

    /** Elements per normal-CDF block; its five scratch rows (5 KiB) stay in L1. */
    static final int CDF_BLOCK = 256;
    private static final ThreadLocal<float[]> CDF_SCRATCH = ThreadLocal.withInitial(() -> new float[5 * CDF_BLOCK]);

    /**
     * Scratch for {@link #cdfPrepare}: rows of {@link #CDF_BLOCK} floats. The normal CDF and pdf run in three passes
     * (prepare, {@link #expInPlace}, {@link #cdfAt}/{@link #pdfAt}) over a block instead of one function: C2 inlines
     * a vector function into a loop only while it is small (FreqInlineSize, and not already compiled on its own into
     * more than InlineSmallCode bytes); a CDF calling exp is neither, and a vector passed to a call that is not
     * inlined is boxed on the heap, several times slower.
     */
    static float[] cdfScratch() {
        return CDF_SCRATCH.get();
    }

    /**
     * Pass 1 of the normal CDF (and pdf) of x[xo, xo + n), n a multiple of the lane count and at most CDF_BLOCK,
     * through the same erfc fit (Numerical Recipes 6.2, relative error < 1.2e-7) as the scalar
     * {@code UnaryOp.normalCdf}. Writes, per element j, into w: [j] the erfc exponent s = -x^2/2 + p(t), [B + j]
     * -x^2/2, [2B + j] and [3B + j] their rounding errors, [4B + j] t = 1 / (1 + |x| / (2 sqrt 2)). The exponent
     * reaches -100 in the tail, where its float rounding alone would cost 1e-5 relative, hence the carried errors:
     * x^2 is split exactly with an fma and the sum by TwoSum, and exp(s + d) = exp(s) (1 + d) in {@link #cdfAt}.
     */
    static void cdfPrepare(float[] x, int xo, int n, float[] w) {
        for (int j = 0; j < n; j += L) {
            FloatVector xa = FloatVector.fromArray(S, x, xo + j).abs().min(15f); // beyond 15: 0 or 1 in float
            FloatVector z = xa.mul(0.70710678118654752f);
            FloatVector t = c(1f).div(z.fma(0.5f, 1f));
            FloatVector p = t.fma(0.17087277f, -0.82215223f);
            p = p.fma(t, c(1.48851587f));
            p = p.fma(t, c(-1.13520398f));
            p = p.fma(t, c(0.27886807f));
            p = p.fma(t, c(-0.18628806f));
            p = p.fma(t, c(0.09678418f));
            p = p.fma(t, c(0.37409196f));
            p = p.fma(t, c(1.00002368f));
            p = p.fma(t, c(-1.26551223f));
            FloatVector sq = xa.mul(xa);
            FloatVector halfSqLow = xa.fma(xa, sq.neg()).mul(-0.5f); // xa^2 = sq + sqLow exactly
            FloatVector a = sq.mul(-0.5f);
            FloatVector sum = a.add(p);
            FloatVector back = sum.sub(a);
            FloatVector d = a.sub(sum.sub(back)).add(p.sub(back)).add(halfSqLow); // a + p - sum, minus sqLow / 2
            sum.intoArray(w, j);
            a.intoArray(w, CDF_BLOCK + j);
            d.intoArray(w, 2 * CDF_BLOCK + j);
            halfSqLow.intoArray(w, 3 * CDF_BLOCK + j);
            t.intoArray(w, 4 * CDF_BLOCK + j);
        }
    }

    /** w[off, off + n) = exp(w[off, off + n)), n a multiple of the lane count. */
    static void expInPlace(float[] w, int off, int n) {
        for (int j = 0; j < n; j += L) {
            exp(FloatVector.fromArray(S, w, off + j)).intoArray(w, off + j);
        }
    }

    /** The normal CDF of x (lanes j .. j + L of the block) once w[0, n) holds exp of the prepared exponent. */
    static FloatVector cdfAt(FloatVector x, float[] w, int j) {
        FloatVector e = FloatVector.fromArray(S, w, j);
        FloatVector d = FloatVector.fromArray(S, w, 2 * CDF_BLOCK + j);
        FloatVector halfErfc = FloatVector.fromArray(S, w, 4 * CDF_BLOCK + j).mul(e.fma(d, e)).mul(0.5f);
        return halfErfc.neg().add(1f).blend(halfErfc, x.compare(VectorOperators.LT, 0f));
    }

    /** exp(-x^2 / 2) (lanes j .. j + L of the block) once w[B, B + n) holds exp of the prepared -x^2/2. */
    static FloatVector gaussAt(float[] w, int j) {
        FloatVector e = FloatVector.fromArray(S, w, CDF_BLOCK + j);
        return e.fma(FloatVector.fromArray(S, w, 3 * CDF_BLOCK + j), e);
    }
}
