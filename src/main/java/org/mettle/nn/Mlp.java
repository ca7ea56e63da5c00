package org.mettle.nn;

import java.util.Random;
import org.mettle.backend.Backend;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Tensor;

/** fc1 -> exact GELU -> fc2 (timm's Mlp). */
public final class Mlp extends Module {
    private final Linear fc1;
    private final Linear fc2;

    public Mlp(Backend backend, Random random, int dim, int hidden) {
        super(backend);
        fc1 = child("fc1", new Linear(backend, random, dim, hidden, true));
        fc2 = child("fc2", new Linear(backend, random, hidden, dim, true));
    }

    public Tensor forward(Tensor x) {
        try (Scope s = Scope.open()) {
            return s.keep(fc2.forward(fc1.forward(x).gelu()));
        }
    }
}
