package org.mettle.nn;

import java.util.Random;
import org.mettle.autograd.LinalgOps;
import org.mettle.backend.Backend;
import org.mettle.tensor.Tensor;

/** y = x W^T + b with W [out, in] (PyTorch's layout and names: weight, bias). */
public final class Linear extends Module {
    private Tensor weight;
    private final Tensor bias;

    public Linear(Backend backend, Random random, int in, int out, boolean withBias) {
        super(backend);
        weight = parameter("weight", Init.uniformFanIn(backend, random, FrozenWeights.constructionDtype(), in, out, in));
        bias = withBias ? parameter("bias", Init.uniformFanIn(backend, random, in, out)) : null;
    }

    public Tensor forward(Tensor x) {
        return LinalgOps.linear(x, weight, bias);
    }

    public Tensor weight() {
        return weight;
    }

    /** Replaces the weight with a same-shape tensor (see {@link FrozenWeights}); returns the old one to close. */
    Tensor replaceWeight(Tensor replacement) {
        Tensor old = replaceParameter("weight", replacement);
        weight = replacement;
        return old;
    }

    public Tensor bias() {
        return bias;
    }
}
