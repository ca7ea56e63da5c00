package org.mettle.models;

import org.mettle.tensor.Tensor;

/**
 * What a block's self-attention computed, lent to a {@link LayerConsumer} so LCD can run extra read-only queries
 * against the layer's own keys and values without another GEMM over the tokens.
 *
 * <ul>
 *   <li>{@code keys}, {@code values}: [B, H, N, headDim] for the block's real tokens, all N tokens of an image or
 *       spectrogram (for windowed attention the windows are concatenated; the token order does not matter to a
 *       query that attends globally). For cosine attention the keys are already L2-normalised.</li>
 *   <li>{@code queryWeight} [H*headDim, D] and {@code queryBias} [H*headDim] (nullable): the frozen query projection
 *       (for fused qkv, a view of its first third).</li>
 *   <li>{@code outWeight} [D, H*headDim], {@code outBias} [D]: the frozen output projection.</li>
 *   <li>{@code cosine}: Swin-V2's scaled cosine attention: queries are L2-normalised and the logits scaled per head
 *       by {@code headScale} [H] (exp of the clamped logit scale); otherwise logits are scaled by {@code scale}.</li>
 * </ul>
 * Tensors are valid only during {@link LayerConsumer#accept}; keep them with {@link Tensor#share()}.
 */
public record AttentionTap(Tensor keys, Tensor values, int heads, int headDim,
                           Tensor queryWeight, Tensor queryBias, Tensor outWeight, Tensor outBias,
                           boolean cosine, Tensor headScale, float scale) {}
