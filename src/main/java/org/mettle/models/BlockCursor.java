package org.mettle.models;

import org.mettle.tensor.Tensor;

/**
 * Steps a {@link Backbone} one block at a time, so a method can run two backbones in lock-step or replace the tokens
 * between blocks (LAVisH-style adapters). Obtained from {@link Backbone#start}; {@link Backbone#forward} is this loop
 * with a consumer.
 *
 * <p>Token layout between blocks, for every backbone here: [B, N, D], row-major over the token grid (ViT: prefix
 * tokens first; Swin-V2 and HTS-AT: natural row-major order of the current stage's grid, not window order). A patch
 * merging due before a block runs inside {@link #next()}, so {@link #tokens()} before the first block of a new stage
 * still has the previous stage's grid and width.
 *
 * <p>Memory: a block's input is released at the start of the following {@link #next()} (or {@link #finish()}), after
 * the caller has used the block's output, exactly as the streaming forward always did.
 */
public interface BlockCursor extends AutoCloseable {
    /** Blocks run so far = the index of the next block. */
    int layer();

    /** Number of blocks of the backbone. */
    int layerCount();

    default boolean hasNext() {
        return layer() < layerCount();
    }

    /**
     * The current tokens [B, N, D]: the embedding before any block, afterwards the last block's output (or what
     * {@link #replaceTokens} put there). Owned by the cursor; valid until the next call that changes them.
     */
    Tensor tokens();

    /**
     * Runs the next block (and any patch merging due before it) on {@link #tokens()}; returns its output and, when
     * the cursor was started with attention wanted, its tap. The output becomes {@link #tokens()}. The returned
     * tensors are owned by the cursor and valid until the following call.
     */
    LayerOutput next();

    /**
     * Makes t the next block's input instead of the current tokens (same shape required). The cursor takes ownership
     * of t (it leaves every open scope) and closes it when done.
     */
    void replaceTokens(Tensor t);

    /** Applies the final norm to the current tokens and returns it [B, N, D] (the caller owns it); the cursor is done. */
    Tensor finish();

    /** Releases whatever the cursor still holds; safe after {@link #finish()} and after an exception. */
    @Override
    void close();
}
