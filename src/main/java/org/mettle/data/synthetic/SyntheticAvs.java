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
import org.mettle.data.avs.AvsClasses;
import org.mettle.data.avs.AvsSubset;
import org.mettle.data.image.BinaryMask;
import org.mettle.data.image.ImageEncoder;
import org.mettle.data.loader.Split;

/**
 * Synthetic AVSBench data in the released layouts (see {@link org.mettle.data.avs.AvsDataset}): 5 one-second frames
 * per clip with several objects, of which the sounding ones are marked in the masks.
 * <ul>
 *   <li>S4: one sounding object heard the whole clip, one or two silent objects of other classes, sometimes a quiet
 *   off-screen sound (no pixels). Masks are 8-bit gray 0/255; train clips have the first frame's mask only.</li>
 *   <li>MS3: two sounding objects (the second heard for part of the clip, so masks change from frame to frame), one
 *   silent object, sometimes an off-screen sound. Masks are palette PNGs.</li>
 * </ul>
 */
public final class SyntheticAvs {
    /** What the generator intended: per frame the classes both seen and heard, and the masks of their pixels. */
    public record Video(String name, AvsSubset subset, Split split, String category, List<TreeSet<Integer>> sounding,
                        List<BinaryMask> masks) {}

    public record Result(Path root, List<Video> videos) {}

    private static final int FRAMES = AvsClasses.FRAMES;

    private SyntheticAvs() {}

    /** Writes out/Single-source (S4) or out/Multi-sources (MS3); subset null writes both. */
    public static Result generate(Path out, AvsSubset subset, SynthOptions o) {
        int classes = o.classCount(AvsClasses.S4_CATEGORIES.size());
        if (classes < 3) {
            throw new IllegalArgumentException("AVS synthesis needs at least 3 classes (sounding objects and distractors), got " + classes);
        }
        try (SynthOutput output = new SynthOutput(out)) {
            List<Video> videos = new ArrayList<>();
            for (AvsSubset s : subset == null ? List.of(AvsSubset.S4, AvsSubset.MS3) : List.of(subset)) {
                videos.addAll(subset(output.root().resolve(s == AvsSubset.S4 ? "Single-source" : "Multi-sources"), s, classes, o));
            }
            SynthOutput.writeText(output.root().resolve("README.txt"), SyntheticAve.readme(o, classes).replace("--task ave", "--task avs")
                    .replace("AVE-format", "AVSBench-format"));
            output.commit();
            return new Result(out, videos);
        }
    }

    private static List<Video> subset(Path root, AvsSubset subset, int classes, SynthOptions o) {
        Split[] splits = SynthOutput.assignSplits(o.videos(), o.heldOut(), o.seed() + subset.ordinal());
        List<Video> videos = IntStream.range(0, o.videos()).parallel()
                .mapToObj(i -> video(root.resolve(subset.dataDir()), subset, i, splits[i], classes, o)).toList();
        StringBuilder csv = new StringBuilder(subset == AvsSubset.S4 ? "name,video_index,category,split\n" : "name,video_index,split\n");
        for (int i = 0; i < videos.size(); i++) {
            Video v = videos.get(i);
            csv.append(v.name()).append(',').append(i).append(',');
            if (subset == AvsSubset.S4) {
                csv.append(v.category()).append(',');
            }
            csv.append(v.split().id()).append('\n');
        }
        SynthOutput.writeText(root.resolve(subset.metaFile()), csv.toString());
        return videos;
    }

    private static Video video(Path data, AvsSubset subset, int index, Split split, int classes, SynthOptions o) {
        SplittableRandom rng = o.random(index, subset == AvsSubset.S4 ? 0x54 : 0x33);
        String name = SynthOutput.videoId(index);
        // classes: sounding ones first, then silent distractors, then the off-screen one
        int soundingCount = subset == AvsSubset.S4 ? 1 : 2;
        int silentCount = subset == AvsSubset.S4 ? 1 + rng.nextInt(2) : 1;
        List<Integer> pool = new ArrayList<>(IntStream.range(0, classes).boxed().toList());
        List<Integer> picked = new ArrayList<>();
        int wanted = Math.min(classes, soundingCount + silentCount + 1);
        for (int i = 0; i < wanted; i++) {
            picked.add(pool.remove(rng.nextInt(pool.size())));
        }
        List<Integer> sounding = picked.subList(0, soundingCount);
        List<Integer> silent = picked.subList(soundingCount, Math.min(picked.size(), soundingCount + silentCount));
        int offScreen = picked.size() > soundingCount + silentCount && rng.nextInt(10) < 3 ? picked.get(soundingCount + silentCount) : -1;
        // when each sounding object is heard: the first always, the second (MS3) over a random interval
        boolean[][] heard = new boolean[soundingCount][FRAMES];
        java.util.Arrays.fill(heard[0], true);
        if (soundingCount > 1) {
            int on = rng.nextInt(FRAMES);
            int off = on + 1 + rng.nextInt(FRAMES - on);
            for (int k = on; k < off; k++) {
                heard[1][k] = true;
            }
        }
        double radius = Math.min(o.width(), o.height()) * 0.17;
        int objects = soundingCount + silent.size();
        List<double[]> spots = Scene.place(objects, radius, o.width(), o.height(), rng);
        List<Motion> motions = new ArrayList<>();
        for (double[] spot : spots) {
            motions.add(Motion.random(spot, radius, o.width(), o.height(), rng));
        }
        Scene scene = new Scene(o.width(), o.height(), rng);

        List<TreeSet<Integer>> soundingPerFrame = new ArrayList<>();
        List<BinaryMask> masks = new ArrayList<>();
        List<List<ToneSynth.Voice>> voices = new ArrayList<>();
        String category = subset == AvsSubset.S4 ? AvsClasses.S4_CATEGORIES.name(sounding.get(0)) : null;
        try {
            for (int k = 0; k < FRAMES; k++) {
                double t = k + 0.5;
                // silent objects first, sounding ones on top, so a sounding object is never hidden
                List<Scene.Item> items = new ArrayList<>();
                List<Boolean> selected = new ArrayList<>();
                for (int i = 0; i < silent.size(); i++) {
                    items.add(motions.get(soundingCount + i).at(silent.get(i), t));
                    selected.add(false);
                }
                TreeSet<Integer> on = new TreeSet<>();
                List<ToneSynth.Voice> voice = new ArrayList<>();
                for (int i = 0; i < soundingCount; i++) {
                    items.add(motions.get(i).at(sounding.get(i), t));
                    selected.add(heard[i][k]);
                    if (heard[i][k]) {
                        on.add(sounding.get(i));
                        voice.add(new ToneSynth.Voice(sounding.get(i), subset == AvsSubset.S4 ? 0.5 : 0.35));
                    }
                }
                if (offScreen >= 0) {
                    voice.add(new ToneSynth.Voice(offScreen, 0.15));
                }
                BinaryMask mask = scene.mask(items, selected);
                soundingPerFrame.add(on);
                masks.add(mask);
                voices.add(voice);
                writeFrame(data, subset, split, category, name, k + 1, scene, items, mask);
            }
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot write frames of " + name + ": " + ex.getMessage(), ex);
        }
        float[] audio = ToneSynth.render(voices, 1.0, o.sampleRate(), o.noise(), rng, classes);
        Path wav = subset == AvsSubset.S4
                ? data.resolve("audio_wav").resolve(split.id()).resolve(category).resolve(name + ".wav")
                : data.resolve("audio_wav").resolve(split.id()).resolve(name + ".wav");
        ToneSynth.writeWav(wav, audio, o.sampleRate());
        return new Video(name, subset, split, category, soundingPerFrame, masks);
    }

    private static void writeFrame(Path data, AvsSubset subset, Split split, String category, String name, int k, Scene scene,
                                   List<Scene.Item> items, BinaryMask mask) throws IOException {
        if (subset == AvsSubset.S4) {
            Path frames = data.resolve("visual_frames").resolve(split.id()).resolve(category).resolve(name);
            ImageEncoder.writePng(scene.render(items), frames.resolve(name + "_" + k + ".png"));
            if (split != Split.TRAIN || k == 1) {
                Path masks = data.resolve("gt_masks").resolve(split.id()).resolve(category).resolve(name);
                ImageEncoder.writeMaskGray(mask, masks.resolve(name + "_" + k + ".png"));
            }
        } else {
            ImageEncoder.writePng(scene.render(items), data.resolve("visual_frames").resolve(name).resolve(
                    String.format(Locale.ROOT, "%s.mp4_%d.png", name, k)));
            ImageEncoder.writeMaskPalette(mask, data.resolve("gt_masks").resolve(split.id()).resolve(name).resolve(name + "_" + k + ".png"));
        }
    }
}
