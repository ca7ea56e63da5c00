package org.mettle.data.loader;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The media of one video: frame files grouped by segment (segment s holds the frames shown during it, in time
 * order) and the audio file.
 */
public record ClipMedia(String videoId, List<List<Path>> segmentFrames, Path audio) {
    /** Skip reasons reported by the dataset readers. */
    public static final String MISSING_FRAMES = "missing frames";
    public static final String MISSING_AUDIO = "missing audio";

    /**
     * Finds one video's frames (at least one image per segment in framesDir) and its audio file for a dataset reader.
     * Missing media is an error naming the annotation file and line, a counted skip (null is returned), or ignored,
     * as the layout's {@link MissingMedia} says.
     */
    public static ClipMedia locate(String videoId, Path framesDir, Path audio, int segments, MissingMedia mode,
                                   Path annotationFile, int line, ReadReport.Builder report) {
        if (mode == MissingMedia.IGNORE) {
            return new ClipMedia(videoId, List.of(), audio);
        }
        List<Path> frames = FrameFiles.list(framesDir);
        String problem = null;
        String reason = null;
        if (frames.size() < segments) {
            reason = MISSING_FRAMES;
            problem = Files.isDirectory(framesDir)
                    ? framesDir + " holds " + frames.size() + " image files but the " + segments + " segments need at least one each"
                    : "frame directory " + framesDir + " does not exist";
        } else if (!Files.isRegularFile(audio)) {
            reason = MISSING_AUDIO;
            problem = "audio file " + audio + " does not exist";
        }
        if (problem == null) {
            return new ClipMedia(videoId, FrameFiles.group(frames, segments), audio);
        }
        if (mode == MissingMedia.ERROR) {
            throw new DataFormatException(annotationFile, line, "video " + videoId + ": " + problem
                    + " (extract frames and audio with ffmpeg, see docs/data.md, or read with MissingMedia.SKIP)");
        }
        report.skip(reason, annotationFile, line, "video " + videoId + ": " + problem);
        return null;
    }

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
