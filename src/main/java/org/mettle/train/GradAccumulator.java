package org.mettle.train;

import org.mettle.tensor.Tensor;

/**
 * Gradient accumulation over N micro-batches by scaling each micro-batch's loss by 1/N before backward: the engine
 * adds each backward's gradients into the existing ones, so after N micro-batches the gradients equal those of the
 * mean loss over the whole batch (for mean-reduced losses and equal micro-batch sizes). Usage:
 * <pre>
 *   Tensor scaled = acc.scale(loss); scaled.backward();
 *   if (acc.microBatchDone()) { clip; optimizer.step(); optimizer.zeroGrad(); }
 * </pre>
 * The counter restarts after each completed group; {@link #flushNeeded()} tells whether a partial group remains at
 * the end of an epoch (the caller may step on it; its gradients are then scaled by pending/N).
 */
public final class GradAccumulator {
    private final int microBatches;
    private int pending;

    public GradAccumulator(int microBatches) {
        if (microBatches < 1) {
            throw new IllegalArgumentException("gradient accumulation needs >= 1 micro-batches, got " + microBatches);
        }
        this.microBatches = microBatches;
    }

    public int microBatches() {
        return microBatches;
    }

    /** The loss to backpropagate: loss / N (the same tensor when N = 1). */
    public Tensor scale(Tensor loss) {
        return microBatches == 1 ? loss : loss.mul(1f / microBatches);
    }

    /** Records one backpropagated micro-batch; true when N have been recorded (time to step), and restarts. */
    public boolean microBatchDone() {
        pending++;
        if (pending == microBatches) {
            pending = 0;
            return true;
        }
        return false;
    }

    /** True when some micro-batches were recorded since the last step. */
    public boolean flushNeeded() {
        return pending > 0;
    }

    /** Micro-batches recorded since the last step. */
    public int pending() {
        return pending;
    }

    /** Forgets a partial group (after the caller stepped on it or dropped it). */
    public void reset() {
        pending = 0;
    }
}
