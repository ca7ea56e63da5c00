package org.mettle.nn;

import java.util.Random;
import org.mettle.backend.Backend;
import org.mettle.memory.MemoryCategory;
import org.mettle.tensor.DType;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;

/** Parameter initialisers; parameters are counted as WEIGHTS by the ledger. */
public final class Init {
    private Init() {}

    /** Truncated-free normal init with the given std (timm's ViT uses std 0.02). */
    public static Tensor normal(Backend backend, Random random, float std, int... dims) {
        try (var c = MemoryCategory.using(MemoryCategory.WEIGHTS)) {
            return Tensor.randn(backend, random, std, dims);
        }
    }

    /** PyTorch's default Linear/Conv init: uniform(-1/sqrt(fanIn), 1/sqrt(fanIn)). */
    public static Tensor uniformFanIn(Backend backend, Random random, int fanIn, int... dims) {
        return uniformFanIn(backend, random, DType.F32, fanIn, dims);
    }

    /** {@link #uniformFanIn(Backend, Random, int, int...)} stored as dtype (the same draws, rounded). */
    public static Tensor uniformFanIn(Backend backend, Random random, DType dtype, int fanIn, int... dims) {
        try (var c = MemoryCategory.using(MemoryCategory.WEIGHTS)) {
            Shape s = Shape.of(dims);
            Tensor t = Tensor.empty(backend, s, dtype);
            if (backend.device() != org.mettle.tensor.Device.META) {
                float bound = (float) (1.0 / Math.sqrt(Math.max(1, fanIn)));
                float[] v = new float[s.numelInt()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
                }
                backend.write(t, v);
            }
            return t;
        }
    }

    public static Tensor constant(Backend backend, float value, int... dims) {
        try (var c = MemoryCategory.using(MemoryCategory.WEIGHTS)) {
            return Tensor.full(backend, Shape.of(dims), value);
        }
    }
}
