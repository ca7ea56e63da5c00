package org.mettle.models;

import org.mettle.tensor.Tensor;

/**
 * The bookkeeping shared by every backbone's {@link BlockCursor}: which tensor is current, which block input and
 * attention tap are still lent to the caller and released on the next step. A backbone supplies the merge, block
 * and final-norm steps; each must leave nothing but its result in the caller's scopes.
 */
public abstract class StreamingCursor implements BlockCursor {
    /** One block's output, its tap (or null) and how to release the tap's tensors (or null). */
    public record Step(Tensor out, AttentionTap tap, Runnable releaseTap) {}

    private final String arch;
    private final int layers;
    private final boolean wantAttention;
    private int next;
    private Tensor current;
    private Tensor pendingInput;
    private Runnable pendingTap;
    private boolean finished;

    /** @param embedded the embedded tokens [B, N, D]; the cursor takes ownership */
    protected StreamingCursor(String arch, int layers, Tensor embedded, boolean wantAttention) {
        this.arch = arch;
        this.layers = layers;
        this.wantAttention = wantAttention;
        this.current = embedded.untrack();
    }

    /** The merged tokens before block {@code layer}, or null when no merge is due there. Must not close x. */
    protected abstract Tensor mergeBefore(int layer, Tensor x);

    /** Runs block {@code layer} on x (not closed here). */
    protected abstract Step block(int layer, Tensor x, boolean wantAttention);

    /** The final norm of x (not closed here). */
    protected abstract Tensor finalNorm(Tensor x);

    @Override
    public int layer() {
        return next;
    }

    @Override
    public int layerCount() {
        return layers;
    }

    @Override
    public Tensor tokens() {
        checkActive("tokens()");
        return current;
    }

    @Override
    public LayerOutput next() {
        checkActive("next()");
        if (next >= layers) {
            throw new IllegalStateException(arch + ": all " + layers + " blocks have run; call finish()");
        }
        releasePending();
        Tensor merged = mergeBefore(next, current);
        if (merged != null) {
            merged.untrack();
            current.close();
            current = merged;
        }
        Step step = block(next, current, wantAttention);
        pendingInput = current;
        pendingTap = step.releaseTap();
        current = step.out().untrack();
        return new LayerOutput(next++, current, step.tap());
    }

    @Override
    public void replaceTokens(Tensor t) {
        checkActive("replaceTokens()");
        if (!t.shape().equals(current.shape())) {
            throw new IllegalArgumentException(arch + ": replacement tokens after block " + next + " must keep the shape " + current.shape()
                    + ", got " + t.describeShort());
        }
        t.untrack();
        if (t != current) {
            current.close();
            current = t;
        }
    }

    @Override
    public Tensor finish() {
        checkActive("finish()");
        releasePending();
        Tensor out = finalNorm(current);
        current.close();
        current = null;
        finished = true;
        return out;
    }

    @Override
    public void close() {
        releasePending();
        if (current != null) {
            current.close();
            current = null;
        }
        finished = true;
    }

    private void releasePending() {
        if (pendingTap != null) {
            Runnable r = pendingTap;
            pendingTap = null;
            r.run();
        }
        if (pendingInput != null) {
            pendingInput.close();
            pendingInput = null;
        }
    }

    private void checkActive(String call) {
        if (finished) {
            throw new IllegalStateException(arch + ": " + call + " after finish() or close()");
        }
    }
}
