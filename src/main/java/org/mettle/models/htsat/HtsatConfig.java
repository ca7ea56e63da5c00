package org.mettle.models.htsat;

import java.util.Arrays;

/**
 * An HTS-AT configuration: a log-mel of melBins bins is resized to specSize * freqRatio frames and folded into a
 * specSize x specSize image (freqRatio = specSize / melBins), then a Swin-V1 with patchSize patches, stage widths
 * embedDim * 2^s, depths, heads and a square window runs over it.
 */
public record HtsatConfig(String name, int melBins, int specSize, int patchSize, int embedDim, int[] depths, int[] heads,
                          int window, float mlpRatio) {
    public HtsatConfig {
        if (depths.length != heads.length || depths.length == 0) {
            throw new IllegalArgumentException(name + ": depths " + Arrays.toString(depths) + " and heads " + Arrays.toString(heads)
                    + " must have one entry per stage");
        }
        if (melBins < 1 || specSize % melBins != 0) {
            throw new IllegalArgumentException(name + ": spec size " + specSize + " is not a multiple of the " + melBins + " mel bins");
        }
        if (specSize % patchSize != 0) {
            throw new IllegalArgumentException(name + ": spec size " + specSize + " is not a multiple of the patch size " + patchSize);
        }
    }

    /** The HTS-AT AudioSet release: 64 mel bins, 256x256, freq ratio 4, patch 4, dims 96..768, depths 2/2/6/2, window 8. */
    public static HtsatConfig audioSet() {
        return new HtsatConfig("htsat", 64, 256, 4, 96, new int[] {2, 2, 6, 2}, new int[] {4, 8, 16, 32}, 8, 4f);
    }

    public int freqRatio() {
        return specSize / melBins;
    }

    /** Frames the log-mel is resized to (1024 for the release: 10.24 s at HTS-AT's 10 ms hop). */
    public int targetFrames() {
        return specSize * freqRatio();
    }

    public int stages() {
        return depths.length;
    }

    public int stageDim(int stage) {
        return embedDim << stage;
    }

    public int stageResolution(int stage) {
        return (specSize / patchSize) >> stage;
    }

    public int layerCount() {
        return Arrays.stream(depths).sum();
    }

    public HtsatConfig withDepths(String newName, int... newDepths) {
        return new HtsatConfig(newName, melBins, specSize, patchSize, embedDim, newDepths, heads, window, mlpRatio);
    }
}
