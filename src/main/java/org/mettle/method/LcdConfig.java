package org.mettle.method;

/**
 * LCD options (DESIGN §5): K meta-tokens per chosen layer, which layers, the adaptation bottleneck ratio r
 * (D -> D/r -> D) and the common width D_c the layers are projected to before averaging.
 */
public record LcdConfig(int metaTokens, LayerSelection layers, int bottleneckRatio, int commonWidth) {
    public LcdConfig {
        if (metaTokens < 1) {
            throw new IllegalArgumentException("LCD needs at least one meta-token per layer, got " + metaTokens);
        }
        if (bottleneckRatio < 1) {
            throw new IllegalArgumentException("bottleneck ratio must be >= 1, got " + bottleneckRatio);
        }
        if (commonWidth < 1) {
            throw new IllegalArgumentException("common width D_c must be >= 1, got " + commonWidth);
        }
    }

    /** 4 meta-tokens on every layer, bottleneck ratio 16, D_c 256 (see docs/method.md for why). */
    public static LcdConfig defaults() {
        return new LcdConfig(4, LayerSelection.all(), 16, 256);
    }

    public LcdConfig withCommonWidth(int width) {
        return new LcdConfig(metaTokens, layers, bottleneckRatio, width);
    }

    public LcdConfig withLayers(LayerSelection selection) {
        return new LcdConfig(metaTokens, selection, bottleneckRatio, commonWidth);
    }
}
