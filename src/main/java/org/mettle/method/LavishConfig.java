package org.mettle.method;

/**
 * LAVisH-style adapter options: latent tokens per block and modality, bottleneck ratio r (the adapter width is
 * max(minBottleneck, D / r) of the block width D) and the common width D_c of the projections into the heads.
 */
public record LavishConfig(int latentTokens, int bottleneckRatio, int minBottleneck, int commonWidth) {
    public LavishConfig {
        if (latentTokens < 1) {
            throw new IllegalArgumentException("LAVisH needs at least one latent token per block, got " + latentTokens);
        }
        if (bottleneckRatio < 1 || minBottleneck < 1) {
            throw new IllegalArgumentException("bottleneck ratio and minimum width must be >= 1, got " + bottleneckRatio + " and " + minBottleneck);
        }
        if (commonWidth < 1) {
            throw new IllegalArgumentException("common width D_c must be >= 1, got " + commonWidth);
        }
    }

    /** 8 latent tokens, r = 16 (at least 8 wide), D_c 256 (the same D_c as Mettle's default). */
    public static LavishConfig defaults() {
        return new LavishConfig(8, 16, 8, 256);
    }

    public LavishConfig withCommonWidth(int width) {
        return new LavishConfig(latentTokens, bottleneckRatio, minBottleneck, width);
    }

    /** The adapter's bottleneck width for a block of width D. */
    public int bottleneck(int width) {
        return Math.max(minBottleneck, width / bottleneckRatio);
    }
}
