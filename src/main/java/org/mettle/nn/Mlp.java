package org.mettle.nn;

import java.util.Random;
import org.mettle.backend.Backend;
import org.mettle.tensor.Tensor;

/** fc1 -> exact GELU -> fc2 (timm's Mlp); each hidden activation is freed as soon as the next one exists. */
public final class Mlp extends Module {
    private final Linear fc1;
    private final Linear fc2;

    public Mlp(Backend backend, Random random, int dim, int hidden) {
        super(backend);
        fc1 = child("fc1", new Linear(backend, random, dim, hidden, true));
        fc2 = child("fc2", new Linear(backend, random, hidden, dim, true));
    }

    public Tensor forward(Tensor x) {
        Tensor h = fc1.forward(x);
        Tensor a = h.gelu();
        h.close(); // a backward still holds what it saved: closing releases only this handle
        Tensor out = fc2.forward(a);
        a.close();
        return out;
    }
}
