package org.mettle.nn;

import org.mettle.autograd.NnOps;
import org.mettle.backend.Backend;
import org.mettle.tensor.Tensor;

/** Layer norm over the last axis with affine weight and bias (PyTorch's names). */
public final class LayerNorm extends Module {
    private final Tensor weight;
    private final Tensor bias;
    private final float eps;

    public LayerNorm(Backend backend, int dim, float eps) {
        super(backend);
        this.eps = eps;
        weight = parameter("weight", Init.constant(backend, 1f, dim));
        bias = parameter("bias", Init.constant(backend, 0f, dim));
    }

    public Tensor forward(Tensor x) {
        return NnOps.layerNorm(x, weight, bias, eps);
    }
}
