package org.mettle.data.loader;

import java.nio.file.Path;
import java.util.List;

/**
 * The media of one video: frame files grouped by segment (segment s holds the frames shown during it, in time
 * order) and the audio file.
 */
public record ClipMedia(String videoId, List<List<Path>> segmentFrames, Path audio) {
    public ClipMedia {
        segmentFrames = segmentFrames.stream().map(List::copyOf).toList();
    }

    public int segments() {
        return segmentFrames.size();
    }

    /** The middle frame of every segment (the usual one frame per second). */
    public List<Path> middleFrames() {
        return segmentFrames.stream().filter(f -> !f.isEmpty()).map(f -> f.get(f.size() / 2)).toList();
    }

    /** All frames in time order. */
    public List<Path> allFrames() {
        return segmentFrames.stream().flatMap(List::stream).toList();
    }
}
