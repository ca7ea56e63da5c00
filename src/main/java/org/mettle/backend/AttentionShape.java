package org.mettle.backend;

/**
 * Sizes of one fused attention call: batch B, heads H, query tokens Nq, key tokens Nk, head dim D, and the logit
 * scale. Each operand's placement in its tensor is an {@link AttentionLayout}.
 */
public record AttentionShape(int batch, int heads, int queries, int keys, int headDim, float scale) {
    public AttentionShape {
        if (batch < 1 || heads < 1 || queries < 1 || keys < 1 || headDim < 1) {
            throw new IllegalArgumentException("attention sizes must be positive: " + this);
        }
    }
}
