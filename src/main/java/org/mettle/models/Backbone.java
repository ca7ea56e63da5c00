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
     * Embeds the input (checked against the architecture's input shape) and returns a cursor before the first block;
     * see {@link BlockCursor} for the token layout and lifetimes. The input is not closed. With wantAttention each
     * {@link LayerOutput} carries its block's {@link AttentionTap}.
     */
    BlockCursor start(Tensor input, boolean wantAttention);

    /**
     * Runs the forward; returns the final normed tokens [B, N, D] (cls token first for ViT). The input is not closed.
     * Every intermediate except the returned tensor is released before returning. A null consumer is
     * {@link LayerConsumer#NONE}.
     */
    default Tensor forward(Tensor input, LayerConsumer consumer) {
        LayerConsumer c = consumer == null ? LayerConsumer.NONE : consumer;
        try (BlockCursor cursor = start(input, c.wantsAttention())) {
            while (cursor.hasNext()) {
                c.accept(cursor.next());
            }
            return cursor.finish();
        }
    }

    @Override
    default void close() {
        module().close();
    }
}
