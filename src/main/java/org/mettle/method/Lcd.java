package org.mettle.method;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.mettle.autograd.Autograd;
import org.mettle.autograd.GradMode;
import org.mettle.backend.Backend;
import org.mettle.models.Backbone;
import org.mettle.models.LayerConsumer;
import org.mettle.models.LayerOutput;
import org.mettle.nn.Module;
import org.mettle.tensor.Tensor;

/**
 * Layer-Centric Distillation over one frozen backbone: an {@link LcdLayer} per chosen layer, run inside the
 * backbone's streaming forward (the backbone under no-grad, each LCD branch with grad on), the layers' outputs
 * averaged to M [B, K, D_c]. Parameters are named {@code layers.<index>.*} by backbone layer index.
 *
 * <p>Per layer the graph keeps only what the LCD backward needs (the layer's keys and values, the meta queries
 * and their attention statistics, the small bottleneck activations); the backbone records nothing.
 */
public final class Lcd extends Module {
    private final LcdConfig config;
    private final Map<Integer, LcdLayer> layers = new LinkedHashMap<>();

    public Lcd(Backend backend, Random random, Backbone backbone, LcdConfig config) {
        super(backend);
        this.config = config;
        Module container = child("layers", new Container(backend));
        for (int l : config.layers().resolve(backbone.layerCount())) {
            LcdLayer layer = new LcdLayer(backend, random, backbone.layerWidth(l), config);
            ((Container) container).add(Integer.toString(l), layer);
            layers.put(l, layer);
        }
    }

    /** A named holder so parameters read {@code layers.<i>.meta_tokens}. */
    private static final class Container extends Module {
        Container(Backend backend) {
            super(backend);
        }

        void add(String name, Module m) {
            child(name, m);
        }
    }

    public LcdConfig config() {
        return config;
    }

    public List<Integer> layerIndices() {
        return List.copyOf(layers.keySet());
    }

    public LcdLayer layer(int index) {
        return layers.get(index);
    }

    /**
     * Runs the backbone on input under no-grad and returns M [B, K, D_c], the average of the chosen layers' LCD
     * outputs, differentiable with respect to the LCD parameters when grad mode is on. The caller closes it.
     */
    public Tensor distill(Backbone backbone, Tensor input) {
        boolean withGrad = GradMode.isEnabled();
        Tensor[] sum = new Tensor[1];
        try {
            stream(backbone, input, (layer, out) -> {
                try (var g = withGrad ? GradMode.enableGrad() : GradMode.noGrad()) {
                    Tensor m = layer.forward(out.attention()).untrack();
                    if (sum[0] == null) {
                        sum[0] = m;
                    } else {
                        Tensor added = sum[0].add(m).untrack();
                        sum[0].close();
                        m.close();
                        sum[0] = added;
                    }
                }
            });
            try (var g = withGrad ? GradMode.enableGrad() : GradMode.noGrad()) {
                return sum[0].mul(1f / layers.size());
            }
        } finally {
            if (sum[0] != null) {
                sum[0].close();
            }
        }
    }

    /**
     * The second pass of the low-memory mode: runs the backbone again and, inside each chosen layer's callback,
     * the LCD forward and at once its backward with gradient gradAverage / L (the average is linear), so nothing is
     * kept between layers. Accumulates into the LCD parameters' grads.
     */
    public void backwardByLayer(Backbone backbone, Tensor input, Tensor gradAverage) {
        backwardByLayer(backbone, input, gradAverage, layer -> { });
    }

    /** As {@link #backwardByLayer(Backbone, Tensor, Tensor)}, calling afterLayer once each layer's gradients are complete. */
    public void backwardByLayer(Backbone backbone, Tensor input, Tensor gradAverage, java.util.function.Consumer<LcdLayer> afterLayer) {
        stream(backbone, input, (layer, out) -> {
            try (var g = GradMode.enableGrad()) {
                Tensor m = layer.forward(out.attention()).untrack();
                try (var ng = GradMode.noGrad()) {
                    Tensor share = gradAverage.mul(1f / layers.size());
                    try {
                        Autograd.backward(m, share, false);
                    } finally {
                        share.close();
                    }
                } finally {
                    m.close();
                }
            }
            afterLayer.accept(layer);
        });
    }

    private interface LayerStep {
        void run(LcdLayer layer, LayerOutput out);
    }

    private void stream(Backbone backbone, Tensor input, LayerStep step) {
        if (backbone.layerCount() <= layers.keySet().stream().mapToInt(Integer::intValue).max().orElse(0)) {
            throw new IllegalArgumentException("LCD was built for layers " + layers.keySet() + " but " + backbone.arch() + " has "
                    + backbone.layerCount() + " layers");
        }
        LayerConsumer consumer = new LayerConsumer() {
            @Override
            public void accept(LayerOutput out) {
                LcdLayer layer = layers.get(out.layer());
                if (layer == null) {
                    return;
                }
                if (out.attention() == null) {
                    throw new IllegalStateException(backbone.arch() + " layer " + out.layer() + " gave no attention tap; LCD needs one");
                }
                step.run(layer, out);
            }

            @Override
            public boolean wantsAttention() {
                return true;
            }
        };
        Tensor last;
        try (var g = GradMode.noGrad()) {
            last = backbone.forward(input, consumer);
        }
        last.close();
    }
}
