package org.mettle.models;

import org.mettle.tensor.Tensor;

/**
 * One block's result during a streaming forward: its index (0-based over all blocks of all stages), its output
 * tokens [B, N, D] and, when the consumer asked for it, its attention tap. Valid only during the callback.
 */
public record LayerOutput(int layer, Tensor tokens, AttentionTap attention) {}
