package org.mettle.backend.cpu;

import org.mettle.backend.UnaryOp;

import org.mettle.backend.BinaryOp;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API pointwise loops. Loaded only through {@link VectorSupport#load}. Every operator is spelled out as a
 * constant in its own loop (a variable operator would not be intrinsified). Tails use the scalar definitions.
 * exp/log/tanh/pow come from the JDK's vector math (SVML on x86), within a few ulp of java.lang.Math.
 */
final class VectorPointwise implements CpuPointwise.Kernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    @Override
    public void binary(BinaryOp op, float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        int i = 0;
        int upper = S.loopBound(n);
        switch (op) {
            case ADD:
                for (; i < upper; i += L) {
                    FloatVector.fromArray(S, a, ao + i).add(FloatVector.fromArray(S, b, bo + i)).intoArray(out, oo + i);
                }
                break;
            case SUB:
                for (; i < upper; i += L) {
                    FloatVector.fromArray(S, a, ao + i).sub(FloatVector.fromArray(S, b, bo + i)).intoArray(out, oo + i);
                }
                break;
            case MUL:
                for (; i < upper; i += L) {
                    FloatVector.fromArray(S, a, ao + i).mul(FloatVector.fromArray(S, b, bo + i)).intoArray(out, oo + i);
                }
                break;
            case DIV:
                for (; i < upper; i += L) {
                    FloatVector.fromArray(S, a, ao + i).div(FloatVector.fromArray(S, b, bo + i)).intoArray(out, oo + i);
                }
                break;
            case MAX:
                for (; i < upper; i += L) {
                    FloatVector.fromArray(S, a, ao + i).max(FloatVector.fromArray(S, b, bo + i)).intoArray(out, oo + i);
                }
                break;
            case MIN:
                for (; i < upper; i += L) {
                    FloatVector.fromArray(S, a, ao + i).min(FloatVector.fromArray(S, b, bo + i)).intoArray(out, oo + i);
                }
                break;
            case POW:
                for (; i < upper; i += L) {
                    FloatVector.fromArray(S, a, ao + i).lanewise(VectorOperators.POW, FloatVector.fromArray(S, b, bo + i))
                            .intoArray(out, oo + i);
                }
                break;
            default:
                throw new AssertionError(op);
        }
        for (; i < n; i++) {
            out[oo + i] = op.apply(a[ao + i], b[bo + i]);
        }
    }

    @Override
    public void binaryScalarRight(BinaryOp op, float[] a, int ao, float s, float[] out, int oo, int n) {
        int i = 0;
        int upper = S.loopBound(n);
        FloatVector vs = FloatVector.broadcast(S, s);
        switch (op) {
            case ADD:
                for (; i < upper; i += L) {
                    FloatVector.fromArray(S, a, ao + i).add(vs).intoArray(out, oo + i);
                }
                break;
            case SUB:
                for (; i < upper; i += L) {
                    FloatVector.fromArray(S, a, ao + i).sub(vs).intoArray(out, oo + i);
                }
                break;
            case MUL:
                for (; i < upper; i += L) {
                    FloatVector.fromArray(S, a, ao + i).mul(vs).intoArray(out, oo + i);
                }
                break;
            case DIV:
                for (; i < upper; i += L) {
                    FloatVector.fromArray(S, a, ao + i).div(vs).intoArray(out, oo + i);
                }
                break;
            case MAX:
                for (; i < upper; i += L) {
                    FloatVector.fromArray(S, a, ao + i).max(vs).intoArray(out, oo + i);
                }
                break;
            case MIN:
                for (; i < upper; i += L) {
                    FloatVector.fromArray(S, a, ao + i).min(vs).intoArray(out, oo + i);
                }
                break;
            case POW:
                for (; i < upper; i += L) {
                    FloatVector.fromArray(S, a, ao + i).lanewise(VectorOperators.POW, vs).intoArray(out, oo + i);
                }
                break;
            default:
                throw new AssertionError(op);
        }
        for (; i < n; i++) {
            out[oo + i] = op.apply(a[ao + i], s);
        }
    }

    @Override
    public void binaryScalarLeft(BinaryOp op, float s, float[] b, int bo, float[] out, int oo, int n) {
        int i = 0;
        int upper = S.loopBound(n);
        FloatVector vs = FloatVector.broadcast(S, s);
        switch (op) {
            case ADD: case MUL: case MAX: case MIN:
                binaryScalarRight(op, b, bo, s, out, oo, n); // commutative, NaN handling included
                return;
            case SUB:
                for (; i < upper; i += L) {
                    vs.sub(FloatVector.fromArray(S, b, bo + i)).intoArray(out, oo + i);
                }
                break;
            case DIV:
                for (; i < upper; i += L) {
                    vs.div(FloatVector.fromArray(S, b, bo + i)).intoArray(out, oo + i);
                }
                break;
            case POW:
                for (; i < upper; i += L) {
                    vs.lanewise(VectorOperators.POW, FloatVector.fromArray(S, b, bo + i)).intoArray(out, oo + i);
                }
                break;
            default:
                throw new AssertionError(op);
        }
        for (; i < n; i++) {
            out[oo + i] = op.apply(s, b[bo + i]);
        }
    }

    @Override
    public void unary(UnaryOp op, float[] x, int xo, float[] out, int oo, int n) {
        int i = 0;
        int upper = S.loopBound(n);
        switch (op) {
            case NEG:
                for (; i < upper; i += L) {
                    FloatVector.fromArray(S, x, xo + i).neg().intoArray(out, oo + i);
                }
                break;
            case EXP:
                for (; i < upper; i += L) {
                    FloatVector.fromArray(S, x, xo + i).lanewise(VectorOperators.EXP).intoArray(out, oo + i);
                }
                break;
            case LOG:
                for (; i < upper; i += L) {
                    FloatVector.fromArray(S, x, xo + i).lanewise(VectorOperators.LOG).intoArray(out, oo + i);
                }
                break;
            case SQRT:
                for (; i < upper; i += L) {
                    FloatVector.fromArray(S, x, xo + i).sqrt().intoArray(out, oo + i);
                }
                break;
            case RSQRT:
                for (; i < upper; i += L) {
                    FloatVector.broadcast(S, 1f).div(FloatVector.fromArray(S, x, xo + i).sqrt()).intoArray(out, oo + i);
                }
                break;
            case ABS:
                for (; i < upper; i += L) {
                    FloatVector.fromArray(S, x, xo + i).abs().intoArray(out, oo + i);
                }
                break;
            case SQUARE:
                for (; i < upper; i += L) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    v.mul(v).intoArray(out, oo + i);
                }
                break;
            case RECIPROCAL:
                for (; i < upper; i += L) {
                    FloatVector.broadcast(S, 1f).div(FloatVector.fromArray(S, x, xo + i)).intoArray(out, oo + i);
                }
                break;
            case TANH:
                for (; i < upper; i += L) {
                    FloatVector.fromArray(S, x, xo + i).lanewise(VectorOperators.TANH).intoArray(out, oo + i);
                }
                break;
            case SIGMOID:
                for (; i < upper; i += L) {
                    sigmoid(FloatVector.fromArray(S, x, xo + i)).intoArray(out, oo + i);
                }
                break;
            case RELU:
                for (; i < upper; i += L) {
                    FloatVector.fromArray(S, x, xo + i).max(0f).intoArray(out, oo + i);
                }
                break;
            case GELU:
                for (; i < upper; i += L) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    v.mul(normalCdf(v)).intoArray(out, oo + i);
                }
                break;
            case GELU_TANH:
                for (; i < upper; i += L) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    FloatVector t = geluTanhInner(v).lanewise(VectorOperators.TANH);
                    v.mul(0.5f).mul(t.add(1f)).intoArray(out, oo + i);
                }
                break;
            case SILU:
                for (; i < upper; i += L) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    v.mul(sigmoid(v)).intoArray(out, oo + i);
                }
                break;
            default:
                throw new AssertionError(op);
        }
        for (; i < n; i++) {
            out[oo + i] = op.apply(x[xo + i]);
        }
    }

    @Override
    public void unaryBackward(UnaryOp op, float[] x, int xo, float[] y, int yo, float[] g, int go, float[] gi,
            int gio, int n) {
        int i = 0;
        int upper = S.loopBound(n);
        switch (op) {
            case NEG:
                for (; i < upper; i += L) {
                    FloatVector.fromArray(S, g, go + i).neg().intoArray(gi, gio + i);
                }
                break;
            case EXP:
                for (; i < upper; i += L) {
                    FloatVector.fromArray(S, g, go + i).mul(FloatVector.fromArray(S, y, yo + i)).intoArray(gi, gio + i);
                }
                break;
            case LOG:
                for (; i < upper; i += L) {
                    FloatVector.fromArray(S, g, go + i).div(FloatVector.fromArray(S, x, xo + i)).intoArray(gi, gio + i);
                }
                break;
            case SQRT:
                for (; i < upper; i += L) {
                    FloatVector.fromArray(S, g, go + i).mul(0.5f).div(FloatVector.fromArray(S, y, yo + i))
                            .intoArray(gi, gio + i);
                }
                break;
            case RSQRT:
                for (; i < upper; i += L) {
                    FloatVector r = FloatVector.fromArray(S, y, yo + i);
                    FloatVector.fromArray(S, g, go + i).mul(r.mul(r).mul(r).mul(-0.5f)).intoArray(gi, gio + i);
                }
                break;
            case ABS:
                for (; i < upper; i += L) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    FloatVector gv = FloatVector.fromArray(S, g, go + i);
                    FloatVector zero = FloatVector.zero(S);
                    zero.blend(gv, v.compare(VectorOperators.GT, 0f)).blend(gv.neg(), v.compare(VectorOperators.LT, 0f))
                            .intoArray(gi, gio + i);
                }
                break;
            case SQUARE:
                for (; i < upper; i += L) {
                    FloatVector.fromArray(S, g, go + i).mul(FloatVector.fromArray(S, x, xo + i).mul(2f))
                            .intoArray(gi, gio + i);
                }
                break;
            case RECIPROCAL:
                for (; i < upper; i += L) {
                    FloatVector r = FloatVector.fromArray(S, y, yo + i);
                    FloatVector.fromArray(S, g, go + i).mul(r.mul(r).neg()).intoArray(gi, gio + i);
                }
                break;
            case TANH:
                for (; i < upper; i += L) {
                    FloatVector t = FloatVector.fromArray(S, y, yo + i);
                    FloatVector.fromArray(S, g, go + i).mul(t.mul(t).neg().add(1f)).intoArray(gi, gio + i);
                }
                break;
            case SIGMOID:
                for (; i < upper; i += L) {
                    FloatVector s = FloatVector.fromArray(S, y, yo + i);
                    FloatVector.fromArray(S, g, go + i).mul(s.mul(s.neg().add(1f))).intoArray(gi, gio + i);
                }
                break;
            case RELU:
                for (; i < upper; i += L) {
                    FloatVector gv = FloatVector.fromArray(S, g, go + i);
                    VectorMask<Float> positive = FloatVector.fromArray(S, x, xo + i).compare(VectorOperators.GT, 0f);
                    FloatVector.zero(S).blend(gv, positive).intoArray(gi, gio + i);
                }
                break;
            case GELU:
                for (; i < upper; i += L) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    FloatVector pdf = v.mul(v).mul(-0.5f).lanewise(VectorOperators.EXP).mul((float) UnaryOp.INV_SQRT_2PI);
                    FloatVector d = v.fma(pdf, normalCdf(v));
                    FloatVector.fromArray(S, g, go + i).mul(d).intoArray(gi, gio + i);
                }
                break;
            case GELU_TANH:
                for (; i < upper; i += L) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    FloatVector t = geluTanhInner(v).lanewise(VectorOperators.TANH);
                    FloatVector dInner = v.mul(v).mul((float) (3 * UnaryOp.GELU_TANH_CUBIC)).add(1f)
                            .mul((float) UnaryOp.SQRT_2_OVER_PI);
                    FloatVector right = v.mul(0.5f).mul(t.mul(t).neg().add(1f)).mul(dInner);
                    FloatVector d = t.add(1f).mul(0.5f).add(right);
                    FloatVector.fromArray(S, g, go + i).mul(d).intoArray(gi, gio + i);
                }
                break;
            case SILU:
                for (; i < upper; i += L) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    FloatVector s = sigmoid(v);
                    FloatVector d = s.mul(v.mul(s.neg().add(1f)).add(1f));
                    FloatVector.fromArray(S, g, go + i).mul(d).intoArray(gi, gio + i);
                }
                break;
            default:
                throw new AssertionError(op);
        }
        boolean usesY = op.backwardUsesOutput();
        for (; i < n; i++) {
            gi[gio + i] = g[go + i] * op.derivative(x[xo + i], usesY ? y[yo + i] : 0f);
        }
    }

    @Override
    public void axpby(float alpha, float[] x, int xo, float beta, float[] y, int yo, int n) {
        int i = 0;
        int upper = S.loopBound(n);
        if (beta == 0f) {
            for (; i < upper; i += L) {
                FloatVector.fromArray(S, x, xo + i).mul(alpha).intoArray(y, yo + i);
            }
            for (; i < n; i++) {
                y[yo + i] = alpha * x[xo + i];
            }
            return;
        }
        for (; i < upper; i += L) {
            FloatVector.fromArray(S, x, xo + i).mul(alpha).add(FloatVector.fromArray(S, y, yo + i).mul(beta))
                    .intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] = alpha * x[xo + i] + beta * y[yo + i];
        }
    }

    private static FloatVector sigmoid(FloatVector v) {
        return FloatVector.broadcast(S, 1f).div(v.neg().lanewise(VectorOperators.EXP).add(1f));
    }

    /** sqrt(2/pi) * (x + 0.044715 x^3). */
    private static FloatVector geluTanhInner(FloatVector v) {
        return v.mul(v).mul((float) UnaryOp.GELU_TANH_CUBIC).add(1f).mul(v).mul((float) UnaryOp.SQRT_2_OVER_PI);
    }

    /** Standard normal CDF via the same erfc fit as {@link UnaryOp#erfcNonNegative}, in float. */
    private static FloatVector normalCdf(FloatVector x) {
        FloatVector z = x.abs().mul((float) UnaryOp.INV_SQRT_2);
        FloatVector t = FloatVector.broadcast(S, 1f).div(z.mul(0.5f).add(1f));
        FloatVector p = t.mul(0.17087277f).add(-0.82215223f);
        p = p.mul(t).add(1.48851587f);
        p = p.mul(t).add(-1.13520398f);
        p = p.mul(t).add(0.27886807f);
        p = p.mul(t).add(-0.18628806f);
        p = p.mul(t).add(0.09678418f);
        p = p.mul(t).add(0.37409196f);
        p = p.mul(t).add(1.00002368f);
        p = p.mul(t).add(-1.26551223f);
        FloatVector halfErfc = t.mul(z.neg().fma(z, p).lanewise(VectorOperators.EXP)).mul(0.5f);
        return halfErfc.neg().add(1f).blend(halfErfc, x.compare(VectorOperators.LT, 0f));
    }
}
