package org.mettle.models;

/** Receives each block's output as soon as it is computed (before the block's input is released). */
@FunctionalInterface
public interface LayerConsumer {
    void accept(LayerOutput output);

    /** Whether the backbone should build {@link AttentionTap}s (keys and values are kept alive for the callback). */
    default boolean wantsAttention() {
        return false;
    }

    LayerConsumer NONE = output -> { };
}
