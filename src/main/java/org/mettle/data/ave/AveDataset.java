package org.mettle.data.ave;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mettle.data.loader.AnnotationLines;
import org.mettle.data.loader.ClipMedia;
import org.mettle.data.loader.DataFormatException;
import org.mettle.data.loader.MissingMedia;
import org.mettle.data.loader.ReadReport;
import org.mettle.data.loader.Split;

/**
 * Reads AVE annotation files ({@code Category&VideoID&Quality&StartTime&EndTime}, one event per line, an optional
 * header line) and finds each video's frames and audio. A malformed line or an unknown class is a
 * {@link DataFormatException} naming the file and line; header and blank lines, and videos left out for missing
 * media under {@link MissingMedia#SKIP}, are counted in the {@link ReadReport}. A video listed twice with the
 * same class has its event ranges merged (noted in the report); with different classes it is an error.
 */
public final class AveDataset {
    public static final String HEADER_LINE = "header line";
    public static final String BLANK_LINE = "blank line";
    public static final String MISSING_FRAMES = ClipMedia.MISSING_FRAMES;
    public static final String MISSING_AUDIO = ClipMedia.MISSING_AUDIO;

    private final List<AveSample> samples;
    private final ReadReport report;

    private AveDataset(List<AveSample> samples, ReadReport report) {
        this.samples = List.copyOf(samples);
        this.report = report;
    }

    /** The split file (trainSet.txt, valSet.txt, testSet.txt) of the standard layout under root. */
    public static AveDataset read(Path root, Split split) {
        return read(AveLayout.of(root), split);
    }

    public static AveDataset read(AveLayout layout, Split split) {
        return readFile(layout, layout.splitFile(split));
    }

    /** Any file in the annotation format (Annotations.txt for all videos). */
    public static AveDataset readFile(AveLayout layout, Path annotationFile) {
        ReadReport.Builder report = ReadReport.builder(annotationFile.toString());
        Map<String, Entry> byVideo = new LinkedHashMap<>();
        boolean seenContent = false;
        for (AnnotationLines.Line line : AnnotationLines.read(annotationFile)) {
            report.lineRead();
            if (line.isBlank()) {
                report.skip(BLANK_LINE, annotationFile, line.number(), null);
                continue;
            }
            String[] f = line.text().split("&", -1);
            if (!seenContent && f.length >= 2 && f[0].trim().equalsIgnoreCase("Category") && f[1].trim().equalsIgnoreCase("VideoID")) {
                report.skip(HEADER_LINE, annotationFile, line.number(), null);
                seenContent = true;
                continue;
            }
            seenContent = true;
            Entry e = parse(f, annotationFile, line.number(), layout.segments());
            Entry prev = byVideo.get(e.videoId);
            if (prev == null) {
                byVideo.put(e.videoId, e);
            } else if (prev.classIndex != e.classIndex) {
                throw new DataFormatException(annotationFile, line.number(), "video " + e.videoId + " is labelled '"
                        + AveClasses.CLASSES.name(e.classIndex) + "' here but '" + AveClasses.CLASSES.name(prev.classIndex)
                        + "' on line " + prev.line + "; an AVE video has one event class");
            } else {
                prev.merge(e);
                report.note("video " + e.videoId + " listed again on line " + line.number() + " (first on line " + prev.line
                        + "); its event ranges were merged");
            }
        }
        List<AveSample> out = new ArrayList<>();
        for (Entry e : byVideo.values()) {
            ClipMedia media = findMedia(layout, e, annotationFile, report);
            if (media != null) {
                out.add(new AveSample(e.videoId, e.classIndex, e.quality, e.start, e.end, e.labels, media,
                        annotationFile + ":" + e.line));
            }
        }
        report.samples(out.size());
        return new AveDataset(out, report.build());
    }

    public List<AveSample> samples() {
        return samples;
    }

    public ReadReport report() {
        return report;
    }

    private static final class Entry {
        final String videoId;
        final int classIndex;
        final String quality;
        int start;
        int end;
        final int[] labels;
        final int line;

        Entry(String videoId, int classIndex, String quality, int start, int end, int segments, int line) {
            this.videoId = videoId;
            this.classIndex = classIndex;
            this.quality = quality;
            this.start = start;
            this.end = end;
            this.line = line;
            this.labels = new int[segments];
            java.util.Arrays.fill(labels, AveClasses.BACKGROUND);
            for (int s = start; s < end; s++) {
                labels[s] = classIndex;
            }
        }

        void merge(Entry other) {
            for (int s = other.start; s < other.end; s++) {
                labels[s] = classIndex;
            }
            start = Math.min(start, other.start);
            end = Math.max(end, other.end);
        }
    }

    private static Entry parse(String[] f, Path file, int line, int segments) {
        if (f.length != 5) {
            throw new DataFormatException(file, line, "expected 5 fields Category&VideoID&Quality&StartTime&EndTime separated by '&', found "
                    + f.length);
        }
        String category = f[0].trim();
        String videoId = f[1].trim();
        String quality = f[2].trim();
        if (videoId.isEmpty()) {
            throw new DataFormatException(file, line, "empty VideoID");
        }
        if (videoId.contains("/") || videoId.contains("\\") || videoId.equals("..")) {
            throw new DataFormatException(file, line, "VideoID '" + videoId + "' contains a path separator");
        }
        int classIndex = AveClasses.CLASSES.require(category, file, line);
        int start = parseSecond(f[3], "StartTime", file, line);
        int end = parseSecond(f[4], "EndTime", file, line);
        if (start < 0 || end > segments || start >= end) {
            throw new DataFormatException(file, line, "event [" + start + ", " + end + ") must satisfy 0 <= StartTime < EndTime <= "
                    + segments + " (seconds)");
        }
        return new Entry(videoId, classIndex, quality, start, end, segments, line);
    }

    private static int parseSecond(String s, String field, Path file, int line) {
        String t = s.trim();
        try {
            return Integer.parseInt(t);
        } catch (NumberFormatException e) {
            throw new DataFormatException(file, line, field + " '" + t + "' is not a whole number of seconds");
        }
    }

    private static ClipMedia findMedia(AveLayout layout, Entry e, Path file, ReadReport.Builder report) {
        return ClipMedia.locate(e.videoId, layout.framesOf(e.videoId), layout.audioOf(e.videoId), layout.segments(),
                layout.missingMedia(), file, e.line, report);
    }
}
