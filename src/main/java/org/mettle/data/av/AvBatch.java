package org.mettle.data.av;

import java.util.List;

/**
 * A batch of clips as flat arrays, the segments folded into the batch: frames [B * T, 3, S, S] and audio features
 * [B * T, frames, mel] (row-major), built by {@link AvBatches}. Tensors are made by the consumer's thread.
 */
public record AvBatch(List<AvClip> clips, int segments, float[] frames, int[] frameShape, float[] audio, int[] audioShape) {
    public int size() {
        return clips.size();
    }
}
