package org.mettle.autograd;

import org.mettle.backend.Backend;
import org.mettle.backend.BinaryOp;
import org.mettle.backend.UnaryOp;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;

/** Elementwise operations with broadcasting, and their gradients. */
public final class ElementwiseOps {
    private ElementwiseOps() {}

    static void checkSameBackend(String op, Tensor a, Tensor b) {
        if (a.backend() != b.backend()) {
            throw new IllegalArgumentException(op + ": operands on different devices: " + a.describeShort() + " and " + b.describeShort()
                    + "; move one with toDevice()");
        }
    }

    public static Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        checkSameBackend(op.name().toLowerCase(), a, b);
        Shape outShape = Shape.broadcast(a.shape(), b.shape());
        Tensor out = Tensor.empty(a.backend(), outShape);
        a.backend().binary(op, a, b, out);
        if (Autograd.needed(a, b)) {
            out.setGradFn(binaryNode(op, a, b, out));
        }
        return out;
    }

    private static Node binaryNode(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        switch (op) {
            case ADD:
            case SUB:
                return new Node(op.name().toLowerCase(), a, b) {
                    @Override
                    protected Tensor[] backward(Tensor g) {
                        Tensor ga = needsGrad(0) ? ReduceOps.sumToShape(g, a.shape()) : null;
                        Tensor gb = null;
                        if (needsGrad(1)) {
                            gb = ReduceOps.sumToShape(g, b.shape());
                            if (op == BinaryOp.SUB) {
                                g.backend().binaryScalar(BinaryOp.MUL, gb, -1f, gb);
                            }
                        }
                        return new Tensor[] {ga, gb};
                    }
                };
            case MUL: {
                return new Node("mul", a, b) {
                    final Tensor sa = b.requiresGrad() ? save(a) : null;
                    final Tensor sb = a.requiresGrad() ? save(b) : null;

                    @Override
                    protected Tensor[] backward(Tensor g) {
                        Tensor ga = needsGrad(0) ? productGrad(g, sb, a.shape()) : null;
                        Tensor gb = needsGrad(1) ? productGrad(g, sa, b.shape()) : null;
                        return new Tensor[] {ga, gb};
                    }
                };
            }
            case DIV: {
                return new Node("div", a, b) {
                    final Tensor sb = save(b);
                    final Tensor so = b.requiresGrad() ? save(out) : null;

                    @Override
                    protected Tensor[] backward(Tensor g) {
                        Backend be = g.backend();
                        Tensor ga = null;
                        Tensor gb = null;
                        if (needsGrad(0)) {
                            Tensor q = Tensor.empty(be, g.shape());
                            be.binary(BinaryOp.DIV, g, sb, q);
                            ga = reduceOrKeep(q, a.shape());
                        }
                        if (needsGrad(1)) {
                            // d(a/b)/db = -out/b
                            Tensor t = Tensor.empty(be, g.shape());
                            be.binary(BinaryOp.MUL, g, so, t);
                            be.binary(BinaryOp.DIV, t, sb, t);
                            be.binaryScalar(BinaryOp.MUL, t, -1f, t);
                            gb = reduceOrKeep(t, b.shape());
                        }
                        return new Tensor[] {ga, gb};
                    }
                };
            }
            default:
                throw new UnsupportedOperationException(op + " between two tensors has no gradient; use it under GradMode.noGrad()");
        }
    }

    /** sumTo(g * other, shape). */
    private static Tensor productGrad(Tensor g, Tensor other, Shape shape) {
        Tensor t = Tensor.empty(g.backend(), g.shape());
        g.backend().binary(BinaryOp.MUL, g, other, t);
        return reduceOrKeep(t, shape);
    }

    /** Returns t when it already has shape, else its sum down to shape (closing t). */
    static Tensor reduceOrKeep(Tensor t, Shape shape) {
        if (t.shape().equals(shape)) {
            return t;
        }
        Tensor r = ReduceOps.sumToShape(t, shape);
        t.close();
        return r;
    }

    public static Tensor scalar(BinaryOp op, Tensor a, float s) {
        Tensor out = Tensor.empty(a.backend(), a.shape());
        a.backend().binaryScalar(op, a, s, out);
        if (Autograd.needed(a)) {
            out.setGradFn(new Node(op.name().toLowerCase() + "_scalar", a) {
                final Tensor sa = op == BinaryOp.POW ? save(a) : null;

                @Override
                protected Tensor[] backward(Tensor g) {
                    Backend be = g.backend();
                    Tensor ga = Tensor.empty(be, g.shape());
                    switch (op) {
                        case ADD, SUB -> be.axpby(1f, g, 0f, ga);
                        case MUL -> be.binaryScalar(BinaryOp.MUL, g, s, ga);
                        case DIV -> be.binaryScalar(BinaryOp.DIV, g, s, ga);
                        case POW -> {
                            be.binaryScalar(BinaryOp.POW, sa, s - 1f, ga);
                            be.binaryScalar(BinaryOp.MUL, ga, s, ga);
                            be.binary(BinaryOp.MUL, ga, g, ga);
                        }
                        default -> throw new UnsupportedOperationException(op + " with a scalar has no gradient");
                    }
                    return new Tensor[] {ga};
                }
            });
        }
        return out;
    }

    public static Tensor unary(UnaryOp op, Tensor x) {
        Tensor y = Tensor.empty(x.backend(), x.shape());
        x.backend().unary(op, x, y);
        if (Autograd.needed(x)) {
            y.setGradFn(new Node(op.name().toLowerCase(), x) {
                // the derivative needs either the input or the output, never both: keep just that one
                final Tensor kept = save(op.backwardUsesOutput() ? y : x);

                @Override
                protected Tensor[] backward(Tensor g) {
                    Tensor gx = Tensor.empty(g.backend(), g.shape());
                    g.backend().unaryBackward(op, kept, kept, g, gx);
                    return new Tensor[] {gx};
                }
            });
        }
        return y;
    }
}
