package org.mettle.models.swin;

import java.util.Random;
import java.util.function.Supplier;
import org.mettle.backend.Backend;
import org.mettle.memory.MemoryCategory;
import org.mettle.tensor.DType;
import org.mettle.tensor.Device;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;

/** Small helpers shared by the Swin-V2 and HTS-AT code: random init, constant buffers, releasing. */
public final class SwinParams {
    private SwinParams() {}

    /** Uniform(-bound, bound) values as WEIGHTS; nothing is drawn on the meta backend (paper-size models build fast). */
    public static Tensor uniform(Backend backend, Random random, float bound, int... dims) {
        try (var c = MemoryCategory.using(MemoryCategory.WEIGHTS)) {
            Shape s = Shape.of(dims);
            Tensor t = Tensor.empty(backend, s);
            if (backend.device() != Device.META) {
                float[] v = new float[s.numelInt()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
                }
                backend.write(t, v);
            }
            return t;
        }
    }

    /** A constant float buffer (computed, never loaded), counted as WEIGHTS and owned by the caller. */
    public static Tensor constant(Backend backend, float[] values, int... dims) {
        Tensor t = Tensor.empty(backend, Shape.of(dims), DType.F32, MemoryCategory.WEIGHTS).untrack();
        backend.write(t, values);
        return t;
    }

    /** A constant I32 index buffer, counted as WEIGHTS and owned by the caller. */
    public static Tensor constantInts(Backend backend, int[] values, int... dims) {
        Tensor t = Tensor.empty(backend, Shape.of(dims), DType.I32, MemoryCategory.WEIGHTS).untrack();
        backend.writeInts(t, values);
        return t;
    }

    /** Turns a computed tensor into a cached constant: owned by the caller and counted as WEIGHTS. */
    public static Tensor cache(Tensor t) {
        t.untrack();
        if (t.storage().category() != MemoryCategory.WEIGHTS) {
            t.storage().recategorize(MemoryCategory.WEIGHTS);
        }
        return t;
    }

    /** True when none of the tensors requires grad: values derived from them can be cached. */
    public static boolean frozen(Tensor... params) {
        for (Tensor p : params) {
            if (p != null && p.requiresGrad()) {
                return false;
            }
        }
        return true;
    }

    /** Closes each non-null tensor except {@code keep} (an intermediate is released as soon as it is not needed). */
    public static void release(Tensor keep, Tensor... tensors) {
        for (Tensor t : tensors) {
            if (t != null && t != keep) {
                t.close();
            }
        }
    }

    /**
     * Runs f in its own scope and keeps only its result, so the (already closed) intermediates do not pile up in a
     * caller's long-lived scope.
     */
    public static Tensor scoped(Supplier<Tensor> f) {
        try (Scope s = Scope.open()) {
            return s.keep(f.get());
        }
    }

    /** Closes each non-null tensor; returns null so a field can be cleared in one line. */
    public static Tensor close(Tensor t) {
        if (t != null) {
            t.close();
        }
        return null;
    }
}
