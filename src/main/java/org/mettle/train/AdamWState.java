package org.mettle.train;

import java.util.IdentityHashMap;
import java.util.Map;
import org.mettle.memory.MemoryCategory;
import org.mettle.tensor.Tensor;

/** Reads and restores an {@link AdamW}'s moments and step for checkpoints (through its package-private accessors). */
final class AdamWState {
    private AdamWState() {}

    static int step(AdamW optimizer) {
        return optimizer.stepCount();
    }

    /** The parameters the optimizer updates, in order. */
    static Iterable<Tensor> params(AdamW optimizer) {
        return optimizer.params();
    }

    /** [exp_avg, exp_avg_sq] of p, or null before p's first update. */
    static Tensor[] moments(AdamW optimizer, Tensor p) {
        return optimizer.moments().get(p);
    }

    /**
     * Replaces every moment buffer and the step: values maps a parameter (by identity) to its [exp_avg, exp_avg_sq]
     * data; parameters not in values get no buffers (as before their first update).
     */
    static void restore(AdamW optimizer, int step, IdentityHashMap<Tensor, float[][]> values) {
        Map<Tensor, Tensor[]> moments = optimizer.moments();
        for (Tensor[] mv : moments.values()) {
            mv[0].close();
            mv[1].close();
        }
        moments.clear();
        for (Map.Entry<Tensor, float[][]> e : values.entrySet()) {
            Tensor p = e.getKey();
            Tensor[] mv;
            try (var c = MemoryCategory.using(MemoryCategory.OPTIMIZER)) {
                mv = new Tensor[] {Tensor.zeros(p.backend(), p.shape()).untrack(), Tensor.zeros(p.backend(), p.shape()).untrack()};
            }
            p.backend().write(mv[0], e.getValue()[0]);
            p.backend().write(mv[1], e.getValue()[1]);
            moments.put(p, mv);
        }
        optimizer.setStepCount(step);
    }
}
