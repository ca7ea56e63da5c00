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
import org.mettle.data.avvp.LlpClasses;
import org.mettle.data.image.ImageEncoder;
import org.mettle.data.loader.Split;

/**
 * A synthetic LLP (AVVP) dataset in the real layout: AVVP_train.csv / AVVP_val_pd.csv / AVVP_test_pd.csv with weak
 * video labels, AVVP_eval_audio.csv / AVVP_eval_visual.csv with the audio and visual events of the val and test
 * videos, frames/FILENAME/ and audio/FILENAME.wav. A video holds 1 to 3 classes; each is heard only (an off-screen
 * sound), seen only (a silent object) or both, each modality over its own interval; the weak label is every class
 * present in either modality, as in LLP.
 */
public final class SyntheticAvvp {
    /** One annotated interval [onset, offset) in seconds. */
    public record Event(int classIndex, int onset, int offset) {}

    /** What the generator intended for one video. */
    public record Video(String filename, Split split, int[] labels, List<Event> audioEvents, List<Event> visualEvents) {}

    public record Result(Path root, List<Video> videos) {}

    private static final int SEGMENTS = LlpClasses.SEGMENTS;

    private SyntheticAvvp() {}

    public static Result generate(Path out, SynthOptions o) {
        int classes = o.classCount(LlpClasses.COUNT);
        Split[] splits = SynthOutput.assignSplits(o.videos(), o.heldOut(), o.seed());
        try (SynthOutput output = new SynthOutput(out)) {
            Path root = output.root();
            List<Video> videos = IntStream.range(0, o.videos()).parallel()
                    .mapToObj(i -> video(root, i, splits[i], classes, o)).toList();
            String header = "filename\tevent_labels\n";
            StringBuilder[] perSplit = {new StringBuilder(header), new StringBuilder(header), new StringBuilder(header)};
            StringBuilder audio = new StringBuilder("filename\tonset\toffset\tevent_labels\n");
            StringBuilder visual = new StringBuilder("filename\tonset\toffset\tevent_labels\n");
            for (Video v : videos) {
                List<String> names = IntStream.of(v.labels()).mapToObj(LlpClasses.CLASSES::name).toList();
                perSplit[v.split().ordinal()].append(v.filename()).append('\t').append(String.join(",", names)).append('\n');
                if (v.split() != Split.TRAIN) {
                    for (Event e : v.audioEvents()) {
                        audio.append(eventLine(v.filename(), e));
                    }
                    for (Event e : v.visualEvents()) {
                        visual.append(eventLine(v.filename(), e));
                    }
                }
            }
            SynthOutput.writeText(root.resolve("AVVP_train.csv"), perSplit[0].toString());
            SynthOutput.writeText(root.resolve("AVVP_val_pd.csv"), perSplit[1].toString());
            SynthOutput.writeText(root.resolve("AVVP_test_pd.csv"), perSplit[2].toString());
            SynthOutput.writeText(root.resolve("AVVP_eval_audio.csv"), audio.toString());
            SynthOutput.writeText(root.resolve("AVVP_eval_visual.csv"), visual.toString());
            SynthOutput.writeText(root.resolve("README.txt"), SyntheticAve.readme(o, classes).replace("--task ave", "--task avvp")
                    .replace("AVE-format", "LLP (AVVP)-format"));
            output.commit();
            return new Result(out, videos);
        }
    }

    private static String eventLine(String filename, Event e) {
        return filename + "\t" + e.onset() + "\t" + e.offset() + "\t" + LlpClasses.CLASSES.name(e.classIndex()) + "\n";
    }

    private static Event interval(SplittableRandom rng, int k) {
        int onset = rng.nextInt(SEGMENTS);
        int offset = onset + 1 + rng.nextInt(SEGMENTS - onset);
        return new Event(k, onset, offset);
    }

    private static Video video(Path root, int index, Split split, int classes, SynthOptions o) {
        SplittableRandom rng = o.random(index, 0xA77);
        String filename = SynthOutput.videoId(index) + "_0_10";
        int count = 1 + rng.nextInt(Math.min(3, classes));
        TreeSet<Integer> chosen = new TreeSet<>();
        while (chosen.size() < count) {
            chosen.add(rng.nextInt(classes));
        }
        List<Event> audioEvents = new ArrayList<>();
        List<Event> visualEvents = new ArrayList<>();
        for (int k : chosen) {
            int pattern = rng.nextInt(3); // 0 heard only, 1 seen only, 2 both
            if (pattern != 1) {
                audioEvents.add(interval(rng, k));
            }
            if (pattern != 0) {
                visualEvents.add(interval(rng, k));
            }
        }
        double radius = Math.min(o.width(), o.height()) * 0.16;
        List<double[]> spots = Scene.place(visualEvents.size(), radius, o.width(), o.height(), rng);
        List<Motion> motions = new ArrayList<>();
        for (double[] spot : spots) {
            motions.add(Motion.random(spot, radius, o.width(), o.height(), rng));
        }
        Scene scene = new Scene(o.width(), o.height(), rng);
        List<List<ToneSynth.Voice>> voices = new ArrayList<>();
        for (int s = 0; s < SEGMENTS; s++) {
            List<ToneSynth.Voice> v = new ArrayList<>();
            for (Event e : audioEvents) {
                if (s >= e.onset() && s < e.offset()) {
                    v.add(new ToneSynth.Voice(e.classIndex(), 0.3));
                }
            }
            voices.add(v);
        }
        try {
            Path frames = root.resolve("frames").resolve(filename);
            int fps = o.framesPerSegment();
            for (int s = 0; s < SEGMENTS; s++) {
                for (int j = 0; j < fps; j++) {
                    double t = s + (j + 0.5) / fps;
                    List<Scene.Item> items = new ArrayList<>();
                    for (int i = 0; i < visualEvents.size(); i++) {
                        Event e = visualEvents.get(i);
                        if (s >= e.onset() && s < e.offset()) {
                            items.add(motions.get(i).at(e.classIndex(), t));
                        }
                    }
                    ImageEncoder.writePng(scene.render(items), frames.resolve(String.format(Locale.ROOT, "%04d.png", s * fps + j)));
                }
            }
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot write frames of " + filename + ": " + ex.getMessage(), ex);
        }
        ToneSynth.writeWav(root.resolve("audio").resolve(filename + ".wav"), ToneSynth.render(voices, 1.0, o.sampleRate(), o.noise(), rng, classes),
                o.sampleRate());
        return new Video(filename, split, chosen.stream().mapToInt(Integer::intValue).toArray(), audioEvents, visualEvents);
    }
}
