package org.mettle.autograd;

import java.util.ArrayList;
import java.util.List;
import org.mettle.memory.MemoryCategory;
import org.mettle.tensor.Tensor;

/**
 * One recorded operation: its inputs (for routing gradients) and the tensors its backward needs. Saved
 * tensors hold a reference to their storage, which the ledger counts as SAVED until the node is released.
 */
public abstract class Node {
    private final String name;
    private final Tensor[] inputs;
    private final List<Tensor> saved = new ArrayList<>();
    private boolean released;

    protected Node(String name, Tensor... inputs) {
        this.name = name;
        this.inputs = inputs;
    }

    public String name() {
        return name;
    }

    public Tensor[] inputs() {
        return inputs;
    }

    /** Keeps t alive for the backward; returns the handle to use there. */
    protected final Tensor save(Tensor t) {
        if (t == null) {
            return null;
        }
        Tensor handle = t.share();
        if (handle.storage().category() == MemoryCategory.ACTIVATIONS) {
            handle.storage().recategorize(MemoryCategory.SAVED);
        }
        saved.add(handle);
        return handle;
    }

    /**
     * Gradients of the inputs given the gradient of the output, one per input (null where an input needs none).
     * Only inputs that {@link Tensor#requiresGrad()} need a gradient; see {@link #needsGrad(int)}.
     */
    protected abstract Tensor[] backward(Tensor gradOutput);

    protected final boolean needsGrad(int input) {
        return inputs[input] != null && inputs[input].requiresGrad();
    }

    final Tensor[] runBackward(Tensor gradOutput) {
        if (released) {
            throw new IllegalStateException("backward through '" + name
                    + "' a second time: its saved tensors were freed after the first backward (use retainGraph)");
        }
        return backward(gradOutput);
    }

    /** Frees the saved tensors. */
    public final void release() {
        if (!released) {
            released = true;
            for (Tensor t : saved) {
                t.close();
            }
            saved.clear();
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
