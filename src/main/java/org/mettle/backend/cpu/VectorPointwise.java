package org.mettle.backend.cpu;

import org.mettle.backend.UnaryOp;

import org.mettle.backend.BinaryOp;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API pointwise loops. Loaded only through {@link VectorSupport#load}. Every op has its own small loop
 * method with its operator as a constant: a variable operator is not intrinsified, and one big method with every
 * loop runs out of the JIT's inlining budget (the later loops then box every vector and run 100x slower). Each
 * loop returns how far it got; the tail uses the scalar definitions. exp, log, tanh, sigmoid, silu and GELU use
 * {@link VectorMath} (within a few ulp of java.lang.Math, and the same bits in every JIT tier, unlike the JDK's
 * lanewise EXP/LOG/TANH); POW runs Math.pow per element for the same reason.
 */
final class VectorPointwise implements CpuPointwise.Kernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    @Override
    public void binary(BinaryOp op, float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        int i;
        switch (op) {
            case ADD: i = add(a, ao, b, bo, out, oo, n); break;
            case SUB: i = sub(a, ao, b, bo, out, oo, n); break;
            case MUL: i = mul(a, ao, b, bo, out, oo, n); break;
            case DIV: i = div(a, ao, b, bo, out, oo, n); break;
            case MAX: i = max(a, ao, b, bo, out, oo, n); break;
            case MIN: i = min(a, ao, b, bo, out, oo, n); break;
            case POW: i = pow(a, ao, b, bo, out, oo, n); break;
            default: throw new AssertionError(op);
        }
        for (; i < n; i++) {
            out[oo + i] = op.apply(a[ao + i], b[bo + i]);
        }
    }

    @Override
    public void binaryScalarRight(BinaryOp op, float[] a, int ao, float s, float[] out, int oo, int n) {
        int i;
        switch (op) {
            case ADD: i = addS(a, ao, s, out, oo, n); break;
            case SUB: i = addS(a, ao, -s, out, oo, n); break; // a - s == a + (-s) exactly
            case MUL: i = mulS(a, ao, s, out, oo, n); break;
            case DIV: i = divS(a, ao, s, out, oo, n); break;
            case MAX: i = maxS(a, ao, s, out, oo, n); break;
            case MIN: i = minS(a, ao, s, out, oo, n); break;
            case POW: i = powS(a, ao, s, out, oo, n); break;
            default: throw new AssertionError(op);
        }
        for (; i < n; i++) {
            out[oo + i] = op.apply(a[ao + i], s);
        }
    }

    @Override
    public void binaryScalarLeft(BinaryOp op, float s, float[] b, int bo, float[] out, int oo, int n) {
        int i;
        switch (op) {
            case ADD: case MUL: case MAX: case MIN:
                binaryScalarRight(op, b, bo, s, out, oo, n); // commutative, NaN handling included
                return;
            case SUB: i = sSub(s, b, bo, out, oo, n); break;
            case DIV: i = sDiv(s, b, bo, out, oo, n); break;
            case POW: i = sPow(s, b, bo, out, oo, n); break;
            default: throw new AssertionError(op);
        }
        for (; i < n; i++) {
            out[oo + i] = op.apply(s, b[bo + i]);
        }
    }

    @Override
    public void unary(UnaryOp op, float[] x, int xo, float[] out, int oo, int n) {
        int i;
        switch (op) {
            case NEG: i = neg(x, xo, out, oo, n); break;
            case EXP: i = exp(x, xo, out, oo, n); break;
            case LOG: i = log(x, xo, out, oo, n); break;
            case SQRT: i = sqrt(x, xo, out, oo, n); break;
            case RSQRT: i = rsqrt(x, xo, out, oo, n); break;
            case ABS: i = abs(x, xo, out, oo, n); break;
            case SQUARE: i = square(x, xo, out, oo, n); break;
            case RECIPROCAL: i = reciprocal(x, xo, out, oo, n); break;
            case TANH: i = tanh(x, xo, out, oo, n); break;
            case SIGMOID: i = sigmoid(x, xo, out, oo, n); break;
            case RELU: i = relu(x, xo, out, oo, n); break;
            case GELU: i = gelu(x, xo, out, oo, n); break;
            case GELU_TANH: i = geluTanh(x, xo, out, oo, n); break;
            case SILU: i = silu(x, xo, out, oo, n); break;
            default: throw new AssertionError(op);
        }
        for (; i < n; i++) {
            out[oo + i] = op.apply(x[xo + i]);
        }
    }

    @Override
    public void unaryBackward(UnaryOp op, float[] x, int xo, float[] y, int yo, float[] g, int go, float[] gi,
            int gio, int n) {
        int i;
        switch (op) {
            case NEG: i = mulS(g, go, -1f, gi, gio, n); break;
            case EXP: i = mul(g, go, y, yo, gi, gio, n); break;
            case LOG: i = div(g, go, x, xo, gi, gio, n); break;
            case SQRT: i = sqrtBackward(y, yo, g, go, gi, gio, n); break;
            case RSQRT: i = rsqrtBackward(y, yo, g, go, gi, gio, n); break;
            case ABS: i = absBackward(x, xo, g, go, gi, gio, n); break;
            case SQUARE: i = squareBackward(x, xo, g, go, gi, gio, n); break;
            case RECIPROCAL: i = reciprocalBackward(y, yo, g, go, gi, gio, n); break;
            case TANH: i = tanhBackward(y, yo, g, go, gi, gio, n); break;
            case SIGMOID: i = sigmoidBackward(y, yo, g, go, gi, gio, n); break;
            case RELU: i = reluBackward(x, xo, g, go, gi, gio, n); break;
            case GELU: i = geluBackward(x, xo, g, go, gi, gio, n); break;
            case GELU_TANH: i = geluTanhBackward(x, xo, g, go, gi, gio, n); break;
            case SILU: i = siluBackward(x, xo, g, go, gi, gio, n); break;
            default: throw new AssertionError(op);
        }
        boolean usesY = op.backwardUsesOutput();
        for (; i < n; i++) {
            gi[gio + i] = g[go + i] * op.derivative(x[xo + i], usesY ? y[yo + i] : 0f);
        }
    }

    @Override
    public void axpby(float alpha, float[] x, int xo, float beta, float[] y, int yo, int n) {
        if (beta == 0f) {
            int i = mulS(x, xo, alpha, y, yo, n);
            for (; i < n; i++) {
                y[yo + i] = alpha * x[xo + i];
            }
            return;
        }
        int i = 0;
        int upper = S.loopBound(n);
        for (; i < upper; i += L) {
            FloatVector.fromArray(S, x, xo + i).mul(alpha).add(FloatVector.fromArray(S, y, yo + i).mul(beta))
                    .intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] = alpha * x[xo + i] + beta * y[yo + i];
        }
    }

    // ---- same-shape binary loops ----

    private static FloatVector at(float[] a, int off) {
        return FloatVector.fromArray(S, a, off);
    }

    private static int add(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += L) {
            at(a, ao + i).add(at(b, bo + i)).intoArray(out, oo + i);
        }
        return i;
    }

    private static int sub(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += L) {
            at(a, ao + i).sub(at(b, bo + i)).intoArray(out, oo + i);
        }
        return i;
    }

    private static int mul(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += L) {
            at(a, ao + i).mul(at(b, bo + i)).intoArray(out, oo + i);
        }
        return i;
    }

    private static int div(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += L) {
            at(a, ao + i).div(at(b, bo + i)).intoArray(out, oo + i);
        }
        return i;
    }

    private static int max(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += L) {
            at(a, ao + i).max(at(b, bo + i)).intoArray(out, oo + i);
        }
        return i;
    }

    private static int min(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += L) {
            at(a, ao + i).min(at(b, bo + i)).intoArray(out, oo + i);
        }
        return i;
    }

    /** POW stays scalar (Math.pow per element): the JDK's lanewise POW is tier dependent, see {@link VectorMath}. */
    private static int pow(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        return 0;
    }

    // ---- scalar-operand loops ----

    private static int addS(float[] a, int ao, float s, float[] out, int oo, int n) {
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += L) {
            at(a, ao + i).add(s).intoArray(out, oo + i);
        }
        return i;
    }

    private static int mulS(float[] a, int ao, float s, float[] out, int oo, int n) {
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += L) {
            at(a, ao + i).mul(s).intoArray(out, oo + i);
        }
        return i;
    }

    private static int divS(float[] a, int ao, float s, float[] out, int oo, int n) {
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += L) {
            at(a, ao + i).div(s).intoArray(out, oo + i);
        }
        return i;
    }

    private static int maxS(float[] a, int ao, float s, float[] out, int oo, int n) {
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += L) {
            at(a, ao + i).max(s).intoArray(out, oo + i);
        }
        return i;
    }

    private static int minS(float[] a, int ao, float s, float[] out, int oo, int n) {
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += L) {
            at(a, ao + i).min(s).intoArray(out, oo + i);
        }
        return i;
    }

    /** POW stays scalar (Math.pow per element): the JDK's lanewise POW is tier dependent, see {@link VectorMath}. */
    private static int powS(float[] a, int ao, float s, float[] out, int oo, int n) {
        return 0;
    }

    private static int sSub(float s, float[] b, int bo, float[] out, int oo, int n) {
        FloatVector vs = FloatVector.broadcast(S, s);
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += L) {
            vs.sub(at(b, bo + i)).intoArray(out, oo + i);
        }
        return i;
    }

    private static int sDiv(float s, float[] b, int bo, float[] out, int oo, int n) {
        FloatVector vs = FloatVector.broadcast(S, s);
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += L) {
            vs.div(at(b, bo + i)).intoArray(out, oo + i);
        }
        return i;
    }

    /** POW stays scalar (Math.pow per element): the JDK's lanewise POW is tier dependent, see {@link VectorMath}. */
    private static int sPow(float s, float[] b, int bo, float[] out, int oo, int n) {
        return 0;
    }

    // ---- unary loops ----

    private static int neg(float[] x, int xo, float[] out, int oo, int n) {
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += L) {
            at(x, xo + i).neg().intoArray(out, oo + i);
        }
        return i;
    }

    private static int exp(float[] x, int xo, float[] out, int oo, int n) {
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += L) {
            VectorMath.exp(at(x, xo + i)).intoArray(out, oo + i);
        }
        return i;
    }

    private static int log(float[] x, int xo, float[] out, int oo, int n) {
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += L) {
            VectorMath.log(at(x, xo + i)).intoArray(out, oo + i);
        }
        return i;
    }

    private static int sqrt(float[] x, int xo, float[] out, int oo, int n) {
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += L) {
            at(x, xo + i).sqrt().intoArray(out, oo + i);
        }
        return i;
    }

    private static int rsqrt(float[] x, int xo, float[] out, int oo, int n) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += L) {
            one.div(at(x, xo + i).sqrt()).intoArray(out, oo + i);
        }
        return i;
    }

    private static int abs(float[] x, int xo, float[] out, int oo, int n) {
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += L) {
            at(x, xo + i).abs().intoArray(out, oo + i);
        }
        return i;
    }

    private static int square(float[] x, int xo, float[] out, int oo, int n) {
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += L) {
            FloatVector v = at(x, xo + i);
            v.mul(v).intoArray(out, oo + i);
        }
        return i;
    }

    private static int reciprocal(float[] x, int xo, float[] out, int oo, int n) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += L) {
            one.div(at(x, xo + i)).intoArray(out, oo + i);
        }
        return i;
    }

    private static int tanh(float[] x, int xo, float[] out, int oo, int n) {
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += L) {
            VectorMath.tanh(at(x, xo + i)).intoArray(out, oo + i);
        }
        return i;
    }

    private static int sigmoid(float[] x, int xo, float[] out, int oo, int n) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += L) {
            one.div(VectorMath.exp(at(x, xo + i).neg()).add(1f)).intoArray(out, oo + i);
        }
        return i;
    }

    private static int relu(float[] x, int xo, float[] out, int oo, int n) {
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += L) {
            at(x, xo + i).max(0f).intoArray(out, oo + i);
        }
        return i;
    }

    /** GELU x * Phi(x) in blocks (see {@link VectorMath#cdfScratch}); the tail goes through one zero-padded vector. */
    private static int gelu(float[] x, int xo, float[] out, int oo, int n) {
        float[] w = VectorMath.cdfScratch();
        int upper = S.loopBound(n);
        for (int b = 0; b < upper; b += VectorMath.CDF_BLOCK) {
            int len = Math.min(VectorMath.CDF_BLOCK, upper - b);
            VectorMath.cdfPrepare(x, xo + b, len, w);
            VectorMath.expInPlace(w, 0, len);
            geluFinish(x, xo + b, w, out, oo + b, len);
        }
        if (upper < n) {
            float[] pad = new float[L];
            System.arraycopy(x, xo + upper, pad, 0, n - upper);
            VectorMath.cdfPrepare(pad, 0, L, w);
            VectorMath.expInPlace(w, 0, L);
            geluFinish(pad, 0, w, pad, 0, L);
            System.arraycopy(pad, 0, out, oo + upper, n - upper);
        }
        return n;
    }

    private static void geluFinish(float[] x, int xo, float[] w, float[] out, int oo, int n) {
        for (int j = 0; j < n; j += L) {
            FloatVector v = at(x, xo + j);
            v.mul(VectorMath.cdfAt(v, w, j)).intoArray(out, oo + j);
        }
    }

    private static int geluTanh(float[] x, int xo, float[] out, int oo, int n) {
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += L) {
            FloatVector v = at(x, xo + i);
            FloatVector t = VectorMath.tanh(geluTanhInner(v));
            v.mul(0.5f).mul(t.add(1f)).intoArray(out, oo + i);
        }
        return i;
    }

    private static int silu(float[] x, int xo, float[] out, int oo, int n) {
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += L) {
            FloatVector v = at(x, xo + i);
            v.div(VectorMath.exp(v.neg()).add(1f)).intoArray(out, oo + i);
        }
        return i;
    }

    // ---- unary backward loops: gi = g * op'(x) ----

    private static int sqrtBackward(float[] y, int yo, float[] g, int go, float[] gi, int gio, int n) {
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += L) {
            at(g, go + i).mul(0.5f).div(at(y, yo + i)).intoArray(gi, gio + i);
        }
        return i;
    }

    private static int rsqrtBackward(float[] y, int yo, float[] g, int go, float[] gi, int gio, int n) {
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += L) {
            FloatVector r = at(y, yo + i);
            at(g, go + i).mul(r.mul(r).mul(r).mul(-0.5f)).intoArray(gi, gio + i);
        }
        return i;
    }

    private static int absBackward(float[] x, int xo, float[] g, int go, float[] gi, int gio, int n) {
        FloatVector zero = FloatVector.zero(S);
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += L) {
            FloatVector v = at(x, xo + i);
            FloatVector gv = at(g, go + i);
            zero.blend(gv, v.compare(VectorOperators.GT, 0f)).blend(gv.neg(), v.compare(VectorOperators.LT, 0f))
                    .intoArray(gi, gio + i);
        }
        return i;
    }

    private static int squareBackward(float[] x, int xo, float[] g, int go, float[] gi, int gio, int n) {
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += L) {
            at(g, go + i).mul(at(x, xo + i).mul(2f)).intoArray(gi, gio + i);
        }
        return i;
    }

    private static int reciprocalBackward(float[] y, int yo, float[] g, int go, float[] gi, int gio, int n) {
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += L) {
            FloatVector r = at(y, yo + i);
            at(g, go + i).mul(r.mul(r).neg()).intoArray(gi, gio + i);
        }
        return i;
    }

    private static int tanhBackward(float[] y, int yo, float[] g, int go, float[] gi, int gio, int n) {
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += L) {
            FloatVector t = at(y, yo + i);
            at(g, go + i).mul(t.mul(t).neg().add(1f)).intoArray(gi, gio + i);
        }
        return i;
    }

    private static int sigmoidBackward(float[] y, int yo, float[] g, int go, float[] gi, int gio, int n) {
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += L) {
            FloatVector s = at(y, yo + i);
            at(g, go + i).mul(s.mul(s.neg().add(1f))).intoArray(gi, gio + i);
        }
        return i;
    }

    private static int reluBackward(float[] x, int xo, float[] g, int go, float[] gi, int gio, int n) {
        FloatVector zero = FloatVector.zero(S);
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += L) {
            zero.blend(at(g, go + i), at(x, xo + i).compare(VectorOperators.GT, 0f)).intoArray(gi, gio + i);
        }
        return i;
    }

    /** d GELU / dx = Phi(x) + x phi(x), in blocks like {@link #gelu}. */
    private static int geluBackward(float[] x, int xo, float[] g, int go, float[] gi, int gio, int n) {
        float[] w = VectorMath.cdfScratch();
        int upper = S.loopBound(n);
        for (int b = 0; b < upper; b += VectorMath.CDF_BLOCK) {
            int len = Math.min(VectorMath.CDF_BLOCK, upper - b);
            VectorMath.cdfPrepare(x, xo + b, len, w);
            VectorMath.expInPlace(w, 0, len);
            VectorMath.expInPlace(w, VectorMath.CDF_BLOCK, len);
            geluBackwardFinish(x, xo + b, g, go + b, w, gi, gio + b, len);
        }
        if (upper < n) {
            float[] px = new float[L];
            float[] pg = new float[L];
            System.arraycopy(x, xo + upper, px, 0, n - upper);
            System.arraycopy(g, go + upper, pg, 0, n - upper);
            VectorMath.cdfPrepare(px, 0, L, w);
            VectorMath.expInPlace(w, 0, L);
            VectorMath.expInPlace(w, VectorMath.CDF_BLOCK, L);
            geluBackwardFinish(px, 0, pg, 0, w, pg, 0, L);
            System.arraycopy(pg, 0, gi, gio + upper, n - upper);
        }
        return n;
    }

    private static void geluBackwardFinish(float[] x, int xo, float[] g, int go, float[] w, float[] gi, int gio, int n) {
        for (int j = 0; j < n; j += L) {
            FloatVector v = at(x, xo + j);
            FloatVector pdf = VectorMath.gaussAt(w, j).mul((float) UnaryOp.INV_SQRT_2PI);
            at(g, go + j).mul(v.fma(pdf, VectorMath.cdfAt(v, w, j))).intoArray(gi, gio + j);
        }
    }

    private static int geluTanhBackward(float[] x, int xo, float[] g, int go, float[] gi, int gio, int n) {
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += L) {
            FloatVector v = at(x, xo + i);
            FloatVector t = VectorMath.tanh(geluTanhInner(v));
            FloatVector dInner = v.mul(v).mul((float) (3 * UnaryOp.GELU_TANH_CUBIC)).add(1f)
                    .mul((float) UnaryOp.SQRT_2_OVER_PI);
            FloatVector right = v.mul(0.5f).mul(t.mul(t).neg().add(1f)).mul(dInner);
            at(g, go + i).mul(t.add(1f).mul(0.5f).add(right)).intoArray(gi, gio + i);
        }
        return i;
    }

    private static int siluBackward(float[] x, int xo, float[] g, int go, float[] gi, int gio, int n) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += L) {
            FloatVector v = at(x, xo + i);
            FloatVector s = one.div(VectorMath.exp(v.neg()).add(1f));
            FloatVector d = s.mul(v.mul(s.neg().add(1f)).add(1f));
            at(g, go + i).mul(d).intoArray(gi, gio + i);
        }
        return i;
    }

    // ---- shared math ----

    /** sqrt(2/pi) * (x + 0.044715 x^3). */
    private static FloatVector geluTanhInner(FloatVector v) {
        return v.mul(v).mul((float) UnaryOp.GELU_TANH_CUBIC).add(1f).mul(v).mul((float) UnaryOp.SQRT_2_OVER_PI);
    }
}
