package org.mettle.data.ave;

import org.mettle.data.loader.ClipMedia;

/**
 * One AVE video: its event class, the event's [start, end) in whole seconds, the per-segment labels (the class
 * inside the event, {@link AveClasses#BACKGROUND} outside) and its media. source is "file:line" of its annotation.
 */
public record AveSample(String videoId, int classIndex, String quality, int start, int end, int[] segmentLabels,
                        ClipMedia media, String source) {
    public AveSample {
        segmentLabels = segmentLabels.clone();
    }

    public String className() {
        return AveClasses.CLASSES.name(classIndex);
    }

    @Override
    public int[] segmentLabels() {
        return segmentLabels.clone();
    }

    /** One-hot targets [segments, 29], row-major (the 29th column is background). */
    public float[] oneHot() {
        int k = AveClasses.COUNT + 1;
        float[] out = new float[segmentLabels.length * k];
        for (int s = 0; s < segmentLabels.length; s++) {
            out[s * k + segmentLabels[s]] = 1f;
        }
        return out;
    }

    /** Per-segment event presence: 1 inside the event, 0 in background segments. */
    public float[] eventMask() {
        float[] out = new float[segmentLabels.length];
        for (int s = 0; s < out.length; s++) {
            out[s] = segmentLabels[s] == AveClasses.BACKGROUND ? 0f : 1f;
        }
        return out;
    }
}
