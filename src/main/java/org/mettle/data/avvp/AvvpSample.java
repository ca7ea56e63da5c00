package org.mettle.data.avvp;

import java.util.List;
import org.mettle.data.loader.ClipMedia;

/**
 * One LLP video: its weak video-level labels and, for val/test, its audio and visual events. filename is the
 * first column of the CSVs (YouTube id, start, end, e.g. "-0A9suni5YA_20_30").
 */
public record AvvpSample(String filename, int[] labels, List<AvvpEvent> audioEvents, List<AvvpEvent> visualEvents,
                         boolean hasEventAnnotations, int segments, ClipMedia media, String source) {
    public AvvpSample {
        labels = labels.clone();
        audioEvents = List.copyOf(audioEvents);
        visualEvents = List.copyOf(visualEvents);
    }

    @Override
    public int[] labels() {
        return labels.clone();
    }

    /** The 11-character YouTube id at the start of the filename (what the public AVVP code keys features by). */
    public String youtubeId() {
        return filename.length() > 11 ? filename.substring(0, 11) : filename;
    }

    /** Multi-hot weak labels [25]. */
    public float[] videoLabels() {
        float[] out = new float[LlpClasses.COUNT];
        for (int c : labels) {
            out[c] = 1f;
        }
        return out;
    }

    /** Per-segment audio targets [segments, 25] (row-major), as the public evaluation builds them. */
    public float[] audioSegments() {
        return segmentMatrix(audioEvents);
    }

    /** Per-segment visual targets [segments, 25]. */
    public float[] visualSegments() {
        return segmentMatrix(visualEvents);
    }

    /** Audio-visual targets: an event counts where both its audio and its visual label are on. */
    public float[] audioVisualSegments() {
        float[] a = audioSegments();
        float[] v = visualSegments();
        for (int i = 0; i < a.length; i++) {
            a[i] *= v[i];
        }
        return a;
    }

    /** Segments [int(onset), int(offset)) are on, like the reference eval code's GT[idx, x1:x2] = 1. */
    private float[] segmentMatrix(List<AvvpEvent> events) {
        float[] out = new float[segments * LlpClasses.COUNT];
        for (AvvpEvent e : events) {
            int from = Math.max(0, (int) e.onset());
            int to = Math.min(segments, (int) e.offset());
            for (int s = from; s < to; s++) {
                out[s * LlpClasses.COUNT + e.classIndex()] = 1f;
            }
        }
        return out;
    }
}
