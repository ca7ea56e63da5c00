package org.mettle.nn;

import java.util.Random;
import org.mettle.autograd.LinalgOps;
import org.mettle.backend.Backend;
import org.mettle.backend.cpu.PackedLinearWeight;
import org.mettle.tensor.Tensor;

/** y = x W^T + b with W [out, in] (PyTorch's layout and names: weight, bias). */
public final class Linear extends Module {
    private Tensor weight;
    private final Tensor bias;
    private PackedLinearWeight packed;

    public Linear(Backend backend, Random random, int in, int out, boolean withBias) {
        super(backend);
        weight = parameter("weight", Init.uniformFanIn(backend, random, FrozenWeights.constructionDtype(), in, out, in));
        bias = withBias ? parameter("bias", Init.uniformFanIn(backend, random, in, out)) : null;
    }

    public Tensor forward(Tensor x) {
        if (packed != null && weight.requiresGrad()) {
            dropPrepacked(); // unfrozen for training: the snapshot would go stale
        }
        return LinalgOps.linear(x, weight, bias, packed);
    }

    /**
     * Packs the frozen weight once for no-grad forwards on the CPU ({@link PackedLinearWeight}): faster inference for
     * one more copy of the weight. Call after the weights are loaded: later in-place changes are not seen (making the
     * weight trainable drops the copy). Returns false when the weight cannot be packed (not F32 on the CPU, or
     * trainable).
     */
    public boolean prepack() {
        if (packed != null) {
            return true;
        }
        if (weight.requiresGrad() || !PackedLinearWeight.supports(weight)) {
            return false;
        }
        packed = PackedLinearWeight.pack(weight);
        return true;
    }

    /** Frees the packed copy, if any. */
    public void dropPrepacked() {
        if (packed != null) {
            packed.close();
            packed = null;
        }
    }

    public boolean isPrepacked() {
        return packed != null;
    }

    public Tensor weight() {
        return weight;
    }

    /** Replaces the weight with a same-shape tensor (see {@link FrozenWeights}); returns the old one to close. */
    Tensor replaceWeight(Tensor replacement) {
        dropPrepacked();
        Tensor old = replaceParameter("weight", replacement);
        weight = replacement;
        return old;
    }

    public Tensor bias() {
        return bias;
    }
}
