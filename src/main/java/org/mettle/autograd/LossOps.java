package org.mettle.autograd;

import org.mettle.backend.Backend;
import org.mettle.backend.BinaryOp;
import org.mettle.tensor.DType;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;

/**
 * Losses that return a one-element tensor. The gradient with respect to the logits is computed in the forward
 * (it costs one pass over data already in cache) and scaled by the incoming gradient in the backward.
 */
public final class LossOps {
    public static final int NO_IGNORE = Integer.MIN_VALUE;

    private LossOps() {}

    /** Mean cross-entropy of logits [rows, classes] against I32 targets [rows]. */
    public static Tensor crossEntropy(Tensor logits, Tensor targets) {
        return crossEntropy(logits, targets, NO_IGNORE, 0f, null);
    }

    public static Tensor crossEntropy(Tensor logits, Tensor targets, int ignoreIndex, float labelSmoothing, Tensor classWeights) {
        if (logits.rank() != 2 || targets.rank() != 1 || targets.dim(0) != logits.dim(0) || targets.dtype() != DType.I32) {
            throw new IllegalArgumentException("crossEntropy: logits " + logits.describeShort() + " must be [rows, classes] and targets "
                    + targets.describeShort() + " I32 [rows]");
        }
        Backend be = logits.backend();
        Tensor loss = Tensor.empty(be, Shape.of());
        boolean record = Autograd.needed(logits);
        Tensor dLogits = record ? Tensor.empty(be, logits.shape()) : null;
        be.crossEntropy(logits, targets, ignoreIndex, labelSmoothing, classWeights, loss, dLogits);
        return withPrecomputedGradient("crossEntropy", loss, logits, dLogits);
    }

    /** Mean binary cross-entropy with logits; targets in [0, 1] of the logits' shape; posWeight [classes] nullable. */
    public static Tensor bceWithLogits(Tensor logits, Tensor targets, Tensor posWeight) {
        if (!logits.shape().equals(targets.shape())) {
            throw new IllegalArgumentException("bceWithLogits: targets " + targets.describeShort() + " must match logits " + logits.describeShort());
        }
        Backend be = logits.backend();
        Tensor loss = Tensor.empty(be, Shape.of());
        boolean record = Autograd.needed(logits);
        Tensor dLogits = record ? Tensor.empty(be, logits.shape()) : null;
        be.bceWithLogits(logits, targets, posWeight, null, loss, dLogits);
        return withPrecomputedGradient("bceWithLogits", loss, logits, dLogits);
    }

    private static Tensor withPrecomputedGradient(String name, Tensor loss, Tensor logits, Tensor dLogits) {
        if (dLogits == null) {
            return loss;
        }
        loss.setGradFn(new Node(name, logits) {
            final Tensor sd = save(dLogits);

            @Override
            protected Tensor[] backward(Tensor g) {
                Tensor gx = Tensor.empty(g.backend(), sd.shape());
                g.backend().binary(BinaryOp.MUL, sd, g, gx);
                return new Tensor[] {gx};
            }
        });
        dLogits.close();
        return loss;
    }
}
