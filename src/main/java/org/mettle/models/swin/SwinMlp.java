package org.mettle.models.swin;

import java.util.Random;
import org.mettle.backend.Backend;
import org.mettle.nn.Linear;
import org.mettle.nn.Module;
import org.mettle.tensor.Tensor;

/** timm's Mlp (fc1 -> exact GELU -> fc2) that frees each hidden activation as soon as the next one exists. */
public final class SwinMlp extends Module {
    private final Linear fc1;
    private final Linear fc2;

    public SwinMlp(Backend backend, Random random, int dim, int hidden) {
        super(backend);
        fc1 = child("fc1", new Linear(backend, random, dim, hidden, true));
        fc2 = child("fc2", new Linear(backend, random, hidden, dim, true));
    }

    public Tensor forward(Tensor x) {
        Tensor h = fc1.forward(x);
        Tensor a = h.gelu();
        h.close();
        Tensor out = fc2.forward(a);
        a.close();
        return out;
    }
}
