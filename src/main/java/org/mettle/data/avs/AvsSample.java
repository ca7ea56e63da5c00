package org.mettle.data.avs;

import java.nio.file.Path;
import java.util.List;
import org.mettle.data.loader.Split;

/**
 * One AVSBench clip: 5 frames (one per second), its ground-truth masks and its audio. maskFrames[i] is the index
 * (0-based) of the frame masks[i] belongs to: S4 train has a mask for the first frame only, everything else one per
 * frame. category is null for MS3.
 */
public record AvsSample(String name, String category, AvsSubset subset, Split split, List<Path> frames, List<Path> masks,
                        int[] maskFrames, Path audio, String source) {
    public AvsSample {
        frames = List.copyOf(frames);
        masks = List.copyOf(masks);
        maskFrames = maskFrames.clone();
    }

    @Override
    public int[] maskFrames() {
        return maskFrames.clone();
    }
}
