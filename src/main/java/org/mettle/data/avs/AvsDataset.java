package org.mettle.data.avs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.mettle.data.loader.AnnotationLines;
import org.mettle.data.loader.DataFormatException;
import org.mettle.data.loader.MissingMedia;
import org.mettle.data.loader.ReadReport;
import org.mettle.data.loader.Split;

/**
 * Reads AVSBench S4 and MS3 in the released layout. root is the subset folder ({@code Single-source} or
 * {@code Multi-sources}) holding the meta CSV (comma-separated, header row; video name in the first column, the
 * split in the column named {@code split}, the S4 category in the column named {@code category} or else the third
 * column, as the AVSBench loaders index it) and the data folder:
 * <pre>
 * S4:  s4_data/visual_frames/{split}/{category}/{name}/{name}_{k}.png     k = 1..5
 *      s4_data/gt_masks/{split}/{category}/{name}/{name}_{k}.png          k = 1 (train) or 1..5 (val, test)
 *      s4_data/audio_wav/{split}/{category}/{name}.wav
 * MS3: ms3_data/visual_frames/{name}/{name}.mp4_{k}.png                   k = 1..5
 *      ms3_data/gt_masks/{split}/{name}/{name}_{k}.png                    k = 1..5
 *      ms3_data/audio_wav/{split}/{name}.wav
 * </pre>
 * Rows of other splits are counted in the report; malformed rows and unknown S4 categories are
 * {@link DataFormatException}s naming the CSV line; missing files are errors unless {@link MissingMedia#SKIP}.
 */
public final class AvsDataset {
    public static final String BLANK_LINE = "blank line";
    public static final String OTHER_SPLIT = "row of another split";
    public static final String MISSING_FRAMES = "missing frames";
    public static final String MISSING_MASKS = "missing masks";
    public static final String MISSING_AUDIO = "missing audio";

    private final List<AvsSample> samples;
    private final ReadReport report;

    private AvsDataset(List<AvsSample> samples, ReadReport report) {
        this.samples = List.copyOf(samples);
        this.report = report;
    }

    public static AvsDataset read(Path root, AvsSubset subset, Split split) {
        return read(root, subset, split, MissingMedia.ERROR);
    }

    public static AvsDataset read(Path root, AvsSubset subset, Split split, MissingMedia missing) {
        Path csv = root.resolve(subset.metaFile());
        Path data = root.resolve(subset.dataDir());
        ReadReport.Builder report = ReadReport.builder(csv + " [" + split.id() + "]");
        List<AnnotationLines.Line> lines = AnnotationLines.read(csv);
        if (lines.isEmpty()) {
            throw new DataFormatException(csv, 0, "file is empty; expected a header row with a 'split' column");
        }
        List<String> header = AnnotationLines.splitCsv(lines.get(0).text(), ',', csv, 1).stream()
                .map(s -> s.trim().toLowerCase(Locale.ROOT)).toList();
        int splitCol = header.indexOf("split");
        if (splitCol < 0) {
            throw new DataFormatException(csv, 1, "header row '" + lines.get(0).text() + "' has no 'split' column");
        }
        int categoryCol = header.indexOf("category") >= 0 ? header.indexOf("category") : 2;
        if (subset == AvsSubset.S4 && categoryCol >= header.size()) {
            throw new DataFormatException(csv, 1, "header row '" + lines.get(0).text()
                    + "' has no 'category' column and fewer than 3 columns");
        }
        Map<String, Integer> seen = new HashMap<>();
        List<AvsSample> out = new ArrayList<>();
        for (AnnotationLines.Line line : lines) {
            report.lineRead();
            if (line.number() == 1) {
                continue;
            }
            if (line.isBlank()) {
                report.skip(BLANK_LINE, csv, line.number(), null);
                continue;
            }
            List<String> f = AnnotationLines.splitCsv(line.text(), ',', csv, line.number()).stream().map(String::trim).toList();
            if (f.size() != header.size()) {
                throw new DataFormatException(csv, line.number(), "expected " + header.size() + " comma-separated fields like the header, found " + f.size());
            }
            String name = f.get(0);
            if (name.isEmpty() || name.contains("/") || name.contains("\\") || name.equals("..")) {
                throw new DataFormatException(csv, line.number(), "video name '" + name + "' is empty or contains a path separator");
            }
            Split rowSplit;
            try {
                rowSplit = Split.parse(f.get(splitCol));
            } catch (IllegalArgumentException e) {
                throw new DataFormatException(csv, line.number(), "split '" + f.get(splitCol) + "' is not train, val or test");
            }
            String category = null;
            if (subset == AvsSubset.S4) {
                category = f.get(categoryCol);
                AvsClasses.S4_CATEGORIES.require(category, csv, line.number());
            }
            if (rowSplit != split) {
                report.skip(OTHER_SPLIT, csv, line.number(), "video " + name + " (" + rowSplit.id() + ")");
                continue;
            }
            Integer prev = seen.put(name, line.number());
            if (prev != null) {
                throw new DataFormatException(csv, line.number(), "video " + name + " is listed twice in split " + split.id()
                        + " (first on line " + prev + ")");
            }
            AvsSample s = sample(data, subset, split, name, category, csv + ":" + line.number());
            Missing problem = missingFile(s, missing);
            if (problem == null) {
                out.add(s);
            } else if (missing == MissingMedia.ERROR) {
                throw new DataFormatException(csv, line.number(), "video " + name + ": " + problem.detail
                        + " (check the AVSBench layout in docs/data.md, or read with MissingMedia.SKIP)");
            } else {
                report.skip(problem.reason, csv, line.number(), "video " + name + ": " + problem.detail);
            }
        }
        report.samples(out.size());
        return new AvsDataset(out, report.build());
    }

    public List<AvsSample> samples() {
        return samples;
    }

    public ReadReport report() {
        return report;
    }

    /** Paths of one clip in the released layout. */
    static AvsSample sample(Path data, AvsSubset subset, Split split, String name, String category, String source) {
        List<Path> frames = new ArrayList<>();
        List<Path> masks = new ArrayList<>();
        int maskCount = subset == AvsSubset.S4 && split == Split.TRAIN ? 1 : AvsClasses.FRAMES;
        int[] maskFrames = new int[maskCount];
        Path audio;
        if (subset == AvsSubset.S4) {
            Path frameDir = data.resolve("visual_frames").resolve(split.id()).resolve(category).resolve(name);
            Path maskDir = data.resolve("gt_masks").resolve(split.id()).resolve(category).resolve(name);
            for (int k = 1; k <= AvsClasses.FRAMES; k++) {
                frames.add(frameDir.resolve(name + "_" + k + ".png"));
            }
            for (int k = 1; k <= maskCount; k++) {
                masks.add(maskDir.resolve(name + "_" + k + ".png"));
                maskFrames[k - 1] = k - 1;
            }
            audio = data.resolve("audio_wav").resolve(split.id()).resolve(category).resolve(name + ".wav");
        } else {
            Path frameDir = data.resolve("visual_frames").resolve(name);
            Path maskDir = data.resolve("gt_masks").resolve(split.id()).resolve(name);
            for (int k = 1; k <= AvsClasses.FRAMES; k++) {
                frames.add(frameDir.resolve(name + ".mp4_" + k + ".png"));
                masks.add(maskDir.resolve(name + "_" + k + ".png"));
                maskFrames[k - 1] = k - 1;
            }
            audio = data.resolve("audio_wav").resolve(split.id()).resolve(name + ".wav");
        }
        return new AvsSample(name, category, subset, split, frames, masks, maskFrames, audio, source);
    }

    private record Missing(String reason, String detail) {}

    /** The first missing file of the clip, or null. */
    private static Missing missingFile(AvsSample s, MissingMedia policy) {
        if (policy == MissingMedia.IGNORE) {
            return null;
        }
        for (Path p : s.frames()) {
            if (!Files.isRegularFile(p)) {
                return new Missing(MISSING_FRAMES, "frame " + p + " does not exist");
            }
        }
        for (Path p : s.masks()) {
            if (!Files.isRegularFile(p)) {
                return new Missing(MISSING_MASKS, "mask " + p + " does not exist");
            }
        }
        if (!Files.isRegularFile(s.audio())) {
            return new Missing(MISSING_AUDIO, "audio file " + s.audio() + " does not exist");
        }
        return null;
    }
}
