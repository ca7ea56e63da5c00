package org.mettle.backend.cpu;

import org.mettle.backend.UnaryOp;

import org.mettle.backend.BinaryOp;

/**
 * Plain-Java pointwise loops (the path without the Vector API). The op is switched once per call; simple
 * arithmetic has its own loop so the JIT can auto-vectorise it, the rest go through the scalar definitions.
 */
final class ScalarPointwise implements CpuPointwise.Kernels {

    @Override
    public void binary(BinaryOp op, float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        switch (op) {
            case ADD:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = a[ao + i] + b[bo + i];
                }
                break;
            case SUB:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = a[ao + i] - b[bo + i];
                }
                break;
            case MUL:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = a[ao + i] * b[bo + i];
                }
                break;
            case DIV:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = a[ao + i] / b[bo + i];
                }
                break;
            default:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = op.apply(a[ao + i], b[bo + i]);
                }
        }
    }

    @Override
    public void binaryScalarRight(BinaryOp op, float[] a, int ao, float s, float[] out, int oo, int n) {
        switch (op) {
            case ADD:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = a[ao + i] + s;
                }
                break;
            case SUB:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = a[ao + i] - s;
                }
                break;
            case MUL:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = a[ao + i] * s;
                }
                break;
            case DIV:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = a[ao + i] / s;
                }
                break;
            default:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = op.apply(a[ao + i], s);
                }
        }
    }

    @Override
    public void binaryScalarLeft(BinaryOp op, float s, float[] b, int bo, float[] out, int oo, int n) {
        switch (op) {
            case ADD:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = s + b[bo + i];
                }
                break;
            case SUB:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = s - b[bo + i];
                }
                break;
            case MUL:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = s * b[bo + i];
                }
                break;
            default:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = op.apply(s, b[bo + i]);
                }
        }
    }

    @Override
    public void unary(UnaryOp op, float[] x, int xo, float[] out, int oo, int n) {
        switch (op) {
            case NEG:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = -x[xo + i];
                }
                break;
            case SQUARE:
                for (int i = 0; i < n; i++) {
                    float v = x[xo + i];
                    out[oo + i] = v * v;
                }
                break;
            case ABS:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = Math.abs(x[xo + i]);
                }
                break;
            case EXP:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = (float) Math.exp(x[xo + i]);
                }
                break;
            default:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = op.apply(x[xo + i]);
                }
        }
    }

    @Override
    public void unaryBackward(UnaryOp op, float[] x, int xo, float[] y, int yo, float[] g, int go, float[] gi,
            int gio, int n) {
        switch (op) {
            case EXP:
                for (int i = 0; i < n; i++) {
                    gi[gio + i] = g[go + i] * y[yo + i];
                }
                break;
            case RELU:
                for (int i = 0; i < n; i++) {
                    gi[gio + i] = x[xo + i] > 0f ? g[go + i] : 0f;
                }
                break;
            case TANH:
                for (int i = 0; i < n; i++) {
                    float t = y[yo + i];
                    gi[gio + i] = g[go + i] * (1f - t * t);
                }
                break;
            case SIGMOID:
                for (int i = 0; i < n; i++) {
                    float s = y[yo + i];
                    gi[gio + i] = g[go + i] * (s * (1f - s));
                }
                break;
            default:
                if (op.backwardUsesOutput()) {
                    for (int i = 0; i < n; i++) {
                        gi[gio + i] = g[go + i] * op.derivative(x[xo + i], y[yo + i]);
                    }
                } else {
                    for (int i = 0; i < n; i++) {
                        gi[gio + i] = g[go + i] * op.derivative(x[xo + i], 0f);
                    }
                }
        }
    }

    @Override
    public void axpby(float alpha, float[] x, int xo, float beta, float[] y, int yo, int n) {
        if (beta == 0f) {
            for (int i = 0; i < n; i++) {
                y[yo + i] = alpha * x[xo + i];
            }
        } else {
            for (int i = 0; i < n; i++) {
                y[yo + i] = alpha * x[xo + i] + beta * y[yo + i];
            }
        }
    }
}
