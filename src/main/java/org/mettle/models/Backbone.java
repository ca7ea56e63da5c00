package org.mettle.models;

import org.mettle.nn.Module;
import org.mettle.tensor.Tensor;

/**
 * A frozen (or trainable, for baselines) transformer backbone with a streaming forward: each block's output goes to
 * the consumer as soon as it exists, then the block's input is released, so a no-grad forward's peak activation
 * memory does not grow with depth.
 */
public interface Backbone extends AutoCloseable {
    /** The architecture name, e.g. {@code vit_base_patch16_224}. */
    String arch();

    /** Number of blocks over all stages, in forward order. */
    int layerCount();

    /** Token width D of each block's output. */
    int layerWidth(int layer);

    /** Parameters by checkpoint name. */
    Module module();

    /**
     * Runs the forward; returns the final normed tokens [B, N, D] (cls token first for ViT). The input is not closed.
     * Every intermediate except the returned tensor is released before returning.
     */
    Tensor forward(Tensor input, LayerConsumer consumer);

    @Override
    default void close() {
        module().close();
    }
}
