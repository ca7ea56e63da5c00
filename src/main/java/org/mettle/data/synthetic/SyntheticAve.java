package org.mettle.data.synthetic;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.IntStream;
import org.mettle.data.ave.AveClasses;
import org.mettle.data.image.ImageEncoder;
import org.mettle.data.loader.Split;

/**
 * A synthetic AVE dataset in the real layout (Annotations.txt, trainSet/valSet/testSet.txt, frames/VID/, audio/VID.wav).
 * Each video has one class c and one event [start, end), at least 2 s long. Inside the event c is both seen and
 * heard; outside it never is: a segment may show c silently, play c off-screen, or neither. Every video may also
 * hold a silent object of another class and an off-screen sound of a third class, on and off by segment, so no
 * single modality tells where the event is.
 */
public final class SyntheticAve {
    /** What the generator intended for one video (the ground truth the reader must give back). */
    public record Video(String videoId, Split split, int classIndex, int start, int end, int[] segmentLabels,
                        List<TreeSet<Integer>> visible, List<TreeSet<Integer>> audible) {}

    public record Result(Path root, List<Video> videos) {}

    private static final int SEGMENTS = AveClasses.SEGMENTS;

    private SyntheticAve() {}

    public static Result generate(Path out, SynthOptions o) {
        int classes = o.classCount(AveClasses.COUNT);
        Split[] splits = SynthOutput.assignSplits(o.videos(), o.heldOut(), o.seed());
        try (SynthOutput output = new SynthOutput(out)) {
            Path root = output.root();
            List<Video> videos = IntStream.range(0, o.videos()).parallel()
                    .mapToObj(i -> video(root, i, splits[i], classes, o)).toList();
            StringBuilder all = new StringBuilder("Category&VideoID&Quality&StartTime&EndTime\n");
            StringBuilder[] perSplit = {new StringBuilder(), new StringBuilder(), new StringBuilder()};
            for (Video v : videos) {
                String line = AveClasses.CLASSES.name(v.classIndex()) + "&" + v.videoId() + "&good&" + v.start() + "&" + v.end() + "\n";
                all.append(line);
                perSplit[v.split().ordinal()].append(line);
            }
            SynthOutput.writeText(root.resolve("Annotations.txt"), all.toString());
            SynthOutput.writeText(root.resolve("trainSet.txt"), perSplit[0].toString());
            SynthOutput.writeText(root.resolve("valSet.txt"), perSplit[1].toString());
            SynthOutput.writeText(root.resolve("testSet.txt"), perSplit[2].toString());
            SynthOutput.writeText(root.resolve("README.txt"), readme(o, classes));
            output.commit();
            return new Result(out, videos);
        }
    }

    static String readme(SynthOptions o, int classes) {
        return String.format(Locale.ROOT, "Synthetic AVE-format dataset made by Mettle (mettle synth --task ave --videos %d --seed %d"
                + " --size %dx%d --sample-rate %d --frames-per-segment %d --classes %d).%n"
                + "Same seed and options give the same files. Layout: see docs/data.md.%n",
                o.videos(), o.seed(), o.width(), o.height(), o.sampleRate(), o.framesPerSegment(), classes);
    }

    private static Video video(Path root, int index, Split split, int classes, SynthOptions o) {
        SplittableRandom rng = o.random(index, 0xA7E);
        String vid = SynthOutput.videoId(index);
        int c = rng.nextInt(classes);
        int start = rng.nextInt(SEGMENTS - 1);
        int end = start + 2 + rng.nextInt(SEGMENTS - start - 1);
        // distractor classes: d is only ever seen, e only ever heard (when there are enough classes)
        int d = classes >= 2 ? other(rng, classes, c, -1) : -1;
        int e = classes >= 3 ? other(rng, classes, c, d) : -1;

        double radius = Math.min(o.width(), o.height()) * 0.18;
        List<double[]> spots = Scene.place(2, radius, o.width(), o.height(), rng);
        Motion mc = Motion.random(spots.get(0), radius, o.width(), o.height(), rng);
        Motion md = Motion.random(spots.get(1), radius * 0.85, o.width(), o.height(), rng);
        Scene scene = new Scene(o.width(), o.height(), rng);

        int[] labels = new int[SEGMENTS];
        List<TreeSet<Integer>> visible = new ArrayList<>();
        List<TreeSet<Integer>> audible = new ArrayList<>();
        List<List<ToneSynth.Voice>> voices = new ArrayList<>();
        for (int s = 0; s < SEGMENTS; s++) {
            TreeSet<Integer> vis = new TreeSet<>();
            TreeSet<Integer> aud = new TreeSet<>();
            List<ToneSynth.Voice> voice = new ArrayList<>();
            boolean event = s >= start && s < end;
            int mode = event ? -1 : rng.nextInt(4); // 0 nothing, 1 c seen silent, 2 c heard off-screen, 3 nothing
            if (event || mode == 1) {
                vis.add(c);
            }
            if (event || mode == 2) {
                aud.add(c);
                voice.add(new ToneSynth.Voice(c, 0.45));
            }
            if (d >= 0 && rng.nextInt(2) == 0) {
                vis.add(d);
            }
            if (e >= 0 && rng.nextInt(10) < 3) {
                aud.add(e);
                voice.add(new ToneSynth.Voice(e, 0.2));
            }
            labels[s] = event ? c : AveClasses.BACKGROUND;
            visible.add(vis);
            audible.add(aud);
            voices.add(voice);
        }
        try {
            Path frames = root.resolve("frames").resolve(vid);
            int fps = o.framesPerSegment();
            for (int s = 0; s < SEGMENTS; s++) {
                for (int j = 0; j < fps; j++) {
                    double t = s + (j + 0.5) / fps;
                    List<Scene.Item> items = new ArrayList<>();
                    if (visible.get(s).contains(d)) {
                        items.add(md.at(d, t));
                    }
                    if (visible.get(s).contains(c)) {
                        items.add(mc.at(c, t));
                    }
                    ImageEncoder.writePng(scene.render(items), frames.resolve(String.format(Locale.ROOT, "%04d.png", s * fps + j)));
                }
            }
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot write frames of " + vid + ": " + ex.getMessage(), ex);
        }
        float[] audio = ToneSynth.render(voices, 1.0, o.sampleRate(), o.noise(), rng, classes);
        ToneSynth.writeWav(root.resolve("audio").resolve(vid + ".wav"), audio, o.sampleRate());
        return new Video(vid, split, c, start, end, labels, visible, audible);
    }

    /** A class other than a and b. */
    static int other(SplittableRandom rng, int classes, int a, int b) {
        int[] pool = IntStream.range(0, classes).filter(k -> k != a && k != b).toArray();
        return pool[rng.nextInt(pool.length)];
    }
}
