package org.mettle.models.swin;

import java.util.Arrays;

/**
 * A Swin-V2 configuration with timm's meaning of each field. Stage s has width embedDim * 2^s, heads[s] heads and
 * depths[s] blocks; stages 1.. start with a patch merging. pretrainedWindows[s] (0 = none) is timm's
 * pretrained_window_sizes, which only changes how the relative coordinates are normalised.
 */
public record SwinV2Config(String name, int imgSize, int patchSize, int inChans, int embedDim, int[] depths, int[] heads,
                           int window, float mlpRatio, int[] pretrainedWindows) {
    public SwinV2Config {
        if (depths.length != heads.length || depths.length != pretrainedWindows.length || depths.length == 0) {
            throw new IllegalArgumentException(name + ": depths " + Arrays.toString(depths) + ", heads " + Arrays.toString(heads)
                    + " and pretrained windows " + Arrays.toString(pretrainedWindows) + " must have one entry per stage");
        }
        if (imgSize % patchSize != 0) {
            throw new IllegalArgumentException(name + ": image size " + imgSize + " is not a multiple of the patch size " + patchSize);
        }
        for (int s = 0; s < depths.length; s++) {
            if (stageDim(embedDim, s) % heads[s] != 0) {
                throw new IllegalArgumentException(name + ": stage " + s + " width " + stageDim(embedDim, s) + " is not divisible by "
                        + heads[s] + " heads");
            }
        }
    }

    private static int stageDim(int embed, int stage) {
        return embed << stage;
    }

    /** timm's swinv2_large_window12_192: 192x192, window 12, widths 192..1536, depths 2/2/18/2. */
    public static SwinV2Config largeWindow12At192() {
        return new SwinV2Config("swinv2_large_window12_192", 192, 4, 3, 192, new int[] {2, 2, 18, 2}, new int[] {6, 12, 24, 48},
                12, 4f, new int[4]);
    }

    public int stages() {
        return depths.length;
    }

    public int stageDim(int stage) {
        return stageDim(embedDim, stage);
    }

    /** Token grid side at a stage (the patch grid halves at the start of every stage after the first). */
    public int stageResolution(int stage) {
        return (imgSize / patchSize) >> stage;
    }

    public int layerCount() {
        return Arrays.stream(depths).sum();
    }

    /** The same model with other depths (e.g. to show that peak memory does not depend on depth). */
    public SwinV2Config withDepths(String newName, int... newDepths) {
        return new SwinV2Config(newName, imgSize, patchSize, inChans, embedDim, newDepths, heads, window, mlpRatio, pretrainedWindows);
    }

    @Override
    public String toString() {
        return name + " (" + imgSize + "px, patch " + patchSize + ", window " + window + ", dims " + embedDim + "..." + stageDim(stages() - 1)
                + ", depths " + Arrays.toString(depths) + ", heads " + Arrays.toString(heads) + ")";
    }
}
