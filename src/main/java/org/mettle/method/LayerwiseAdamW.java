package org.mettle.method;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.mettle.nn.Module;
import org.mettle.tensor.Tensor;
import org.mettle.train.AdamW;

/**
 * AdamW split into one group per LCD layer and one for the head, so the low-memory step can update a layer's
 * parameters and free their gradients right after that layer's backward: the gradients of all layers are never live
 * at once. AdamW updates each parameter from its own gradient and moments only, so as long as every group steps once
 * per training step the result equals one AdamW over all parameters. (A global-norm gradient clip cannot be applied
 * this way: it needs every gradient first.)
 */
public final class LayerwiseAdamW implements AutoCloseable {
    private final Map<Module, AdamW> groups = new IdentityHashMap<>();
    private final List<AdamW> order = new ArrayList<>();

    public LayerwiseAdamW(MettleModel model, float lr, float weightDecay) {
        for (Lcd lcd : new Lcd[] {model.visualLcd(), model.audioLcd()}) {
            for (int l : lcd.layerIndices()) {
                add(lcd.layer(l), lr, weightDecay);
            }
        }
        add(model.head(), lr, weightDecay);
    }

    private void add(Module m, float lr, float weightDecay) {
        AdamW opt = new AdamW(m.trainableParameters(), lr, weightDecay);
        groups.put(m, opt);
        order.add(opt);
    }

    /** Updates the parameters of m (an LCD layer or the head) from their gradients, then frees the gradients. */
    public void stepAndRelease(Module m) {
        AdamW opt = groups.get(m);
        if (opt == null) {
            throw new IllegalArgumentException("no optimizer group for " + m.getClass().getSimpleName() + "; was the model rebuilt?");
        }
        opt.step();
        opt.zeroGrad();
    }

    public void zeroGrad() {
        order.forEach(AdamW::zeroGrad);
    }

    public void setLearningRate(float lr) {
        order.forEach(o -> o.setLearningRate(lr));
    }

    /** Every trainable parameter, for checks. */
    public List<Tensor> parameters() {
        List<Tensor> out = new ArrayList<>();
        groups.keySet().forEach(m -> out.addAll(m.trainableParameters()));
        return out;
    }

    @Override
    public void close() {
        order.forEach(AdamW::close);
    }
}
