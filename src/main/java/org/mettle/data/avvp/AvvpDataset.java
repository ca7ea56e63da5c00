package org.mettle.data.avvp;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.mettle.data.loader.AnnotationLines;
import org.mettle.data.loader.ClipMedia;
import org.mettle.data.loader.DataFormatException;
import org.mettle.data.loader.MissingMedia;
import org.mettle.data.loader.ReadReport;
import org.mettle.data.loader.Split;

/**
 * Reads the LLP (AVVP) CSVs: tab-separated with a header row; {@code filename<TAB>event_labels} (a comma list of
 * class names) for the splits, and {@code filename<TAB>onset<TAB>offset<TAB>event_labels} for
 * AVVP_eval_audio.csv / AVVP_eval_visual.csv, which val and test also read. Malformed rows and unknown classes
 * are {@link DataFormatException}s naming the file and line; blank lines, evaluation rows of videos outside the
 * split and videos without media (under {@link MissingMedia#SKIP}) are counted in the {@link ReadReport}.
 */
public final class AvvpDataset {
    public static final String BLANK_LINE = "blank line";
    public static final String MISSING_FRAMES = ClipMedia.MISSING_FRAMES;
    public static final String MISSING_AUDIO = ClipMedia.MISSING_AUDIO;
    public static final String OTHER_SPLIT_EVENT = "event row of a video outside this split";

    private final List<AvvpSample> samples;
    private final ReadReport report;

    private AvvpDataset(List<AvvpSample> samples, ReadReport report) {
        this.samples = List.copyOf(samples);
        this.report = report;
    }

    public static AvvpDataset read(Path root, Split split) {
        return read(AvvpLayout.of(root), split);
    }

    public static AvvpDataset read(AvvpLayout layout, Split split) {
        Path labelFile = layout.labelFile(split);
        ReadReport.Builder report = ReadReport.builder(labelFile.toString());
        Map<String, Row> rows = readLabels(labelFile, report);
        boolean withEvents = split != Split.TRAIN;
        Map<String, List<AvvpEvent>> audio = new LinkedHashMap<>();
        Map<String, List<AvvpEvent>> visual = new LinkedHashMap<>();
        if (withEvents) {
            readEvents(layout.evalAudioFile(), layout.segments(), rows, audio, report);
            readEvents(layout.evalVisualFile(), layout.segments(), rows, visual, report);
        }
        List<AvvpSample> out = new ArrayList<>();
        for (Row r : rows.values()) {
            ClipMedia media = findMedia(layout, r, labelFile, report);
            if (media != null) {
                out.add(new AvvpSample(r.filename, r.labels, audio.getOrDefault(r.filename, List.of()),
                        visual.getOrDefault(r.filename, List.of()), withEvents, layout.segments(), media, labelFile + ":" + r.line));
            }
        }
        report.samples(out.size());
        return new AvvpDataset(out, report.build());
    }

    public List<AvvpSample> samples() {
        return samples;
    }

    public ReadReport report() {
        return report;
    }

    private record Row(String filename, int[] labels, int line) {}

    private static List<String> fields(AnnotationLines.Line line, Path file, int expected, String format) {
        List<String> f = AnnotationLines.splitCsv(line.text(), '\t', file, line.number());
        if (f.size() != expected) {
            String hint = f.size() == 1 && line.text().contains(",") && expected > 1
                    ? " (the LLP CSVs are tab-separated; this line has no tab)" : "";
            throw new DataFormatException(file, line.number(), "expected " + expected + " tab-separated fields " + format
                    + ", found " + f.size() + hint);
        }
        return f.stream().map(String::trim).toList();
    }

    /**
     * The first row must be a header with the expected number of fields starting with "filename"; the other names
     * are checked for the eval files only (the public evaluation code reads those columns by name).
     */
    private static void requireHeader(List<AnnotationLines.Line> lines, Path file, boolean checkAllNames, String... names) {
        if (lines.isEmpty()) {
            throw new DataFormatException(file, 0, "file is empty; expected a header row " + String.join("<TAB>", names));
        }
        AnnotationLines.Line first = lines.get(0);
        List<String> f = AnnotationLines.splitCsv(first.text(), '\t', file, 1);
        boolean ok = f.size() == names.length;
        for (int i = 0; ok && i < (checkAllNames ? names.length : 1); i++) {
            ok = f.get(i).trim().toLowerCase(Locale.ROOT).equals(names[i]);
        }
        if (!ok) {
            throw new DataFormatException(file, 1, "expected the header row '" + String.join("<TAB>", names) + "', found '"
                    + first.text() + "'");
        }
    }

    private static Map<String, Row> readLabels(Path file, ReadReport.Builder report) {
        List<AnnotationLines.Line> lines = AnnotationLines.read(file);
        requireHeader(lines, file, false, "filename", "event_labels");
        Map<String, Row> rows = new LinkedHashMap<>();
        for (AnnotationLines.Line line : lines) {
            report.lineRead();
            if (line.number() == 1) {
                continue;
            }
            if (line.isBlank()) {
                report.skip(BLANK_LINE, file, line.number(), null);
                continue;
            }
            List<String> f = fields(line, file, 2, "filename<TAB>event_labels");
            String name = checkFilename(f.get(0), file, line.number());
            int[] labels = parseLabels(f.get(1), file, line.number());
            Row prev = rows.put(name, new Row(name, labels, line.number()));
            if (prev != null) {
                throw new DataFormatException(file, line.number(), "video " + name + " is listed twice (first on line " + prev.line + ")");
            }
        }
        return rows;
    }

    private static String checkFilename(String name, Path file, int line) {
        if (name.isEmpty()) {
            throw new DataFormatException(file, line, "empty filename");
        }
        if (name.contains("/") || name.contains("\\") || name.equals("..")) {
            throw new DataFormatException(file, line, "filename '" + name + "' contains a path separator");
        }
        return name;
    }

    private static int[] parseLabels(String list, Path file, int line) {
        TreeSet<Integer> idx = new TreeSet<>();
        for (String raw : list.split(",", -1)) {
            String name = raw.trim();
            if (name.isEmpty()) {
                throw new DataFormatException(file, line, "empty class name in event_labels '" + list + "'");
            }
            idx.add(LlpClasses.CLASSES.require(name, file, line));
        }
        return idx.stream().mapToInt(Integer::intValue).toArray();
    }

    private static void readEvents(Path file, int segments, Map<String, Row> split, Map<String, List<AvvpEvent>> out,
                                   ReadReport.Builder report) {
        List<AnnotationLines.Line> lines = AnnotationLines.read(file);
        requireHeader(lines, file, true, "filename", "onset", "offset", "event_labels");
        for (AnnotationLines.Line line : lines) {
            report.lineRead();
            if (line.number() == 1) {
                continue;
            }
            if (line.isBlank()) {
                report.skip(BLANK_LINE, file, line.number(), null);
                continue;
            }
            List<String> f = fields(line, file, 4, "filename<TAB>onset<TAB>offset<TAB>event_labels");
            String name = checkFilename(f.get(0), file, line.number());
            double onset = parseTime(f.get(1), "onset", file, line.number());
            double offset = parseTime(f.get(2), "offset", file, line.number());
            if (onset < 0 || offset > segments || onset >= offset) {
                throw new DataFormatException(file, line.number(), "event [" + f.get(1) + ", " + f.get(2)
                        + ") must satisfy 0 <= onset < offset <= " + segments + " (seconds)");
            }
            int[] classes = parseLabels(f.get(3), file, line.number());
            if (!split.containsKey(name)) {
                report.skip(OTHER_SPLIT_EVENT, file, line.number(), "video " + name);
                continue;
            }
            for (int c : classes) {
                out.computeIfAbsent(name, k -> new ArrayList<>()).add(new AvvpEvent(c, onset, offset, file + ":" + line.number()));
            }
        }
    }

    private static double parseTime(String s, String field, Path file, int line) {
        try {
            double v = Double.parseDouble(s);
            if (!Double.isFinite(v)) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new DataFormatException(file, line, field + " '" + s + "' is not a number of seconds");
        }
    }

    private static ClipMedia findMedia(AvvpLayout layout, Row r, Path file, ReadReport.Builder report) {
        return ClipMedia.locate(r.filename, layout.framesOf(r.filename), layout.audioOf(r.filename), layout.segments(),
                layout.missingMedia(), file, r.line, report);
    }
}
