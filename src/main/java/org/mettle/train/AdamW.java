package org.mettle.train;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.mettle.memory.MemoryCategory;
import org.mettle.tensor.Tensor;

/**
 * AdamW (torch.optim.AdamW semantics: decoupled weight decay, bias correction). Moment buffers are allocated
 * lazily on first use and counted as OPTIMIZER memory.
 */
public final class AdamW implements AutoCloseable {
    private final List<Tensor> params;
    private final Map<Tensor, Tensor[]> moments = new IdentityHashMap<>();
    private float lr;
    private final float beta1;
    private final float beta2;
    private final float eps;
    private final float weightDecay;
    private int step;

    public AdamW(List<Tensor> params, float lr, float beta1, float beta2, float eps, float weightDecay) {
        this.params = List.copyOf(params);
        this.lr = lr;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    public AdamW(List<Tensor> params, float lr, float weightDecay) {
        this(params, lr, 0.9f, 0.999f, 1e-8f, weightDecay);
    }

    public void setLearningRate(float lr) {
        this.lr = lr;
    }

    public float learningRate() {
        return lr;
    }

    public int stepCount() {
        return step;
    }

    /** Applies one update to every parameter that has a gradient. */
    public void step() {
        step++;
        for (Tensor p : params) {
            Tensor g = p.grad();
            if (g == null) {
                continue;
            }
            Tensor[] mv = moments.computeIfAbsent(p, k -> {
                try (var c = MemoryCategory.using(MemoryCategory.OPTIMIZER)) {
                    return new Tensor[] {Tensor.zeros(k.backend(), k.shape()).untrack(), Tensor.zeros(k.backend(), k.shape()).untrack()};
                }
            });
            p.backend().adamW(p, g, mv[0], mv[1], lr, beta1, beta2, eps, weightDecay, step);
        }
    }

    // Package-private access for AdamWState (checkpoints): the parameters, the live moment map and the step counter.
    List<Tensor> params() {
        return params;
    }

    Map<Tensor, Tensor[]> moments() {
        return moments;
    }

    void setStepCount(int value) {
        step = value;
    }

    public void zeroGrad() {
        for (Tensor p : params) {
            p.zeroGrad();
        }
    }

    /** Frees the moment buffers. */
    @Override
    public void close() {
        for (Tensor[] mv : moments.values()) {
            mv[0].close();
            mv[1].close();
        }
        moments.clear();
    }
}
