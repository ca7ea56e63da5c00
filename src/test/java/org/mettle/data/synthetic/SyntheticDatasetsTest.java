package org.mettle.data.synthetic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mettle.data.audio.WavReader;
import org.mettle.data.ave.AveClasses;
import org.mettle.data.ave.AveDataset;
import org.mettle.data.ave.AveSample;
import org.mettle.data.avs.AvsDataset;
import org.mettle.data.avs.AvsSample;
import org.mettle.data.avs.AvsSubset;
import org.mettle.data.avvp.AvvpDataset;
import org.mettle.data.avvp.AvvpEvent;
import org.mettle.data.avvp.AvvpSample;
import org.mettle.data.image.BinaryMask;
import org.mettle.data.image.ImageDecoder;
import org.mettle.data.image.RgbImage;
import org.mettle.data.loader.Split;

/** Round trips: generate in a temp dir, read back with the real readers, compare with what the generator intended. */
class SyntheticDatasetsTest {
    @TempDir
    Path dir;

    @Test
    void aveRoundTripAndEventsNeedBothModalities() {
        SynthOptions o = SynthOptions.defaults(12, 7).withClasses(6);
        SyntheticAve.Result r = SyntheticAve.generate(dir.resolve("ave"), o);
        Map<String, SyntheticAve.Video> intended = new HashMap<>();
        r.videos().forEach(v -> intended.put(v.videoId(), v));
        int read = 0;
        for (Split split : Split.values()) {
            AveDataset ds = AveDataset.read(dir.resolve("ave"), split);
            assertEquals(0, ds.report().skippedTotal(), ds.report().format());
            for (AveSample s : ds.samples()) {
                SyntheticAve.Video v = intended.get(s.videoId());
                assertEquals(split, v.split());
                assertEquals(v.classIndex(), s.classIndex());
                assertEquals(v.start(), s.start());
                assertEquals(v.end(), s.end());
                assertArrayEquals(v.segmentLabels(), s.segmentLabels());
                assertEquals(10, s.media().segments());
                read++;
            }
        }
        assertEquals(12, read);
        assertEquals(12, AveDataset.readFile(org.mettle.data.ave.AveLayout.of(dir.resolve("ave")),
                dir.resolve("ave/Annotations.txt")).samples().size());
        for (SyntheticAve.Video v : r.videos()) {
            assertTrue(v.end() - v.start() >= 2, "events last at least 2 s");
            for (int s = 0; s < 10; s++) {
                TreeSet<Integer> both = new TreeSet<>(v.visible().get(s));
                both.retainAll(v.audible().get(s));
                boolean event = v.segmentLabels()[s] != AveClasses.BACKGROUND;
                assertEquals(event ? new TreeSet<>(List.of(v.classIndex())) : new TreeSet<>(), both,
                        v.videoId() + " segment " + s + ": only the event class may be both seen and heard");
            }
        }
    }

    @Test
    void aveFramesShowAndAudioPlaysWhatTheLabelsSay() {
        SynthOptions o = SynthOptions.defaults(6, 3).withClasses(5);
        SyntheticAve.Result r = SyntheticAve.generate(dir.resolve("ave"), o);
        int checkedSilent = 0;
        for (SyntheticAve.Video v : r.videos()) {
            int c = v.classIndex();
            int rgb = ClassLook.of(c).rgb();
            float[] audio = WavReader.read(dir.resolve("ave/audio/" + v.videoId() + ".wav")).samples();
            assertEquals(10 * 16000, audio.length);
            double f0 = ClassSound.of(c).fundamental();
            double heardPower = Double.MAX_VALUE;
            double silentPower = 0;
            for (int s = 0; s < 10; s++) {
                RgbImage frame = ImageDecoder.read(dir.resolve("ave/frames/" + v.videoId() + String.format("/%04d.png", s)));
                int pixels = countColour(frame, rgb);
                assertEquals(v.visible().get(s).contains(c), pixels >= 10, v.videoId() + " segment " + s + ": " + pixels + " pixels of class " + c);
                // skip the first and last 20 ms of the segment: the on/off ramps
                double p = goertzel(audio, s * 16000 + 320, 16000 - 640, f0, 16000);
                if (v.audible().get(s).contains(c)) {
                    heardPower = Math.min(heardPower, p);
                } else {
                    silentPower = Math.max(silentPower, p);
                    checkedSilent++;
                }
            }
            if (heardPower != Double.MAX_VALUE && silentPower > 0) {
                assertTrue(heardPower > 50 * silentPower, v.videoId() + ": class tone power heard " + heardPower + " vs silent " + silentPower);
            }
        }
        assertTrue(checkedSilent > 0);
    }

    @Test
    void sameSeedSameBytesOtherSeedOtherData() throws IOException {
        SynthOptions o = SynthOptions.defaults(4, 11).withClasses(4);
        SyntheticAve.generate(dir.resolve("a"), o);
        SyntheticAve.generate(dir.resolve("b"), o);
        SyntheticAve.generate(dir.resolve("c"), SynthOptions.defaults(4, 12).withClasses(4));
        List<Path> files = listFiles(dir.resolve("a"));
        assertEquals(listFiles(dir.resolve("b")).size(), files.size());
        boolean anyDifferent = false;
        for (Path f : files) {
            Path rel = dir.resolve("a").relativize(f);
            assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(dir.resolve("b").resolve(rel)), rel.toString());
            Path other = dir.resolve("c").resolve(rel);
            anyDifferent |= !Files.exists(other) || !java.util.Arrays.equals(Files.readAllBytes(f), Files.readAllBytes(other));
        }
        assertTrue(anyDifferent, "another seed must give other data");
    }

    @Test
    void avvpRoundTrip() {
        SynthOptions o = SynthOptions.defaults(14, 5).withClasses(8);
        SyntheticAvvp.Result r = SyntheticAvvp.generate(dir.resolve("llp"), o);
        Map<String, SyntheticAvvp.Video> intended = new HashMap<>();
        r.videos().forEach(v -> intended.put(v.filename(), v));
        int read = 0;
        for (Split split : Split.values()) {
            AvvpDataset ds = AvvpDataset.read(dir.resolve("llp"), split);
            for (AvvpSample s : ds.samples()) {
                SyntheticAvvp.Video v = intended.get(s.filename());
                assertEquals(split, v.split());
                assertArrayEquals(v.labels(), s.labels());
                if (split == Split.TRAIN) {
                    assertTrue(s.audioEvents().isEmpty() && s.visualEvents().isEmpty());
                } else {
                    assertEquals(simplify(v.audioEvents()), simplifyRead(s.audioEvents()));
                    assertEquals(simplify(v.visualEvents()), simplifyRead(s.visualEvents()));
                }
                // every weak label comes from an audio or a visual event
                TreeSet<Integer> fromEvents = new TreeSet<>();
                v.audioEvents().forEach(e -> fromEvents.add(e.classIndex()));
                v.visualEvents().forEach(e -> fromEvents.add(e.classIndex()));
                assertEquals(fromEvents, new TreeSet<>(java.util.Arrays.stream(s.labels()).boxed().toList()));
                read++;
            }
            // evaluation rows of the other evaluation split are reported, never silently dropped
            if (split != Split.TRAIN) {
                long otherRows = r.videos().stream().filter(v -> v.split() != split && v.split() != Split.TRAIN)
                        .mapToLong(v -> v.audioEvents().size() + v.visualEvents().size()).sum();
                assertEquals(otherRows, ds.report().skipped(AvvpDataset.OTHER_SPLIT_EVENT), ds.report().format());
            }
        }
        assertEquals(14, read);
    }

    @Test
    void avsRoundTripMasksMarkTheSoundingObjects() {
        SynthOptions o = SynthOptions.defaults(7, 9).withClasses(10).withSize(80, 64);
        SyntheticAvs.Result r = SyntheticAvs.generate(dir.resolve("avs"), null, o);
        Map<String, SyntheticAvs.Video> intended = new HashMap<>();
        r.videos().forEach(v -> intended.put(v.subset() + "/" + v.name(), v));
        int read = 0;
        for (AvsSubset subset : AvsSubset.values()) {
            Path root = dir.resolve("avs").resolve(subset == AvsSubset.S4 ? "Single-source" : "Multi-sources");
            for (Split split : Split.values()) {
                AvsDataset ds = AvsDataset.read(root, subset, split);
                for (AvsSample s : ds.samples()) {
                    SyntheticAvs.Video v = intended.get(subset + "/" + s.name());
                    assertEquals(split, v.split());
                    assertEquals(v.category(), s.category());
                    int expectedMasks = subset == AvsSubset.S4 && split == Split.TRAIN ? 1 : 5;
                    assertEquals(expectedMasks, s.masks().size());
                    for (int i = 0; i < s.masks().size(); i++) {
                        BinaryMask m = ImageDecoder.readMask(s.masks().get(i));
                        BinaryMask want = v.masks().get(s.maskFrames()[i]);
                        assertArrayEquals(want.toBytes(), m.toBytes(), s.name() + " mask " + i);
                        assertEquals(v.sounding().get(s.maskFrames()[i]).isEmpty(), m.count() == 0);
                        // the masked pixels show the sounding class (textures darken some of them)
                        RgbImage frame = ImageDecoder.read(s.frames().get(s.maskFrames()[i]));
                        for (int k : v.sounding().get(s.maskFrames()[i])) {
                            assertTrue(countColour(frame, ClassLook.of(k).rgb()) > 0, "class " + k + " visible");
                        }
                    }
                    assertEquals(5.0, WavReader.read(s.audio()).durationSeconds(), 1e-9);
                    read++;
                }
            }
        }
        assertEquals(14, read);
        // S4 always has exactly one sounding object, MS3 at least one and sometimes two
        for (SyntheticAvs.Video v : r.videos()) {
            for (TreeSet<Integer> on : v.sounding()) {
                assertTrue(v.subset() == AvsSubset.S4 ? on.size() == 1 : on.size() >= 1 && on.size() <= 2);
            }
        }
    }

    @Test
    void outputMustBeNewAndNothingTemporaryRemains() throws IOException {
        Path out = Files.createDirectories(dir.resolve("used"));
        Files.writeString(out.resolve("keep.txt"), "mine");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SyntheticAve.generate(out, SynthOptions.defaults(2, 1)));
        assertTrue(e.getMessage().contains("not empty"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SyntheticAve.generate(dir.resolve("x"), SynthOptions.defaults(2, 1).withClasses(40)));
        SyntheticAvvp.generate(dir.resolve("fine"), SynthOptions.defaults(3, 1));
        try (Stream<Path> s = Files.list(dir)) {
            List<String> names = s.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(List.of("fine", "used"), names, "no temporary directories left behind");
        }
        assertFalse(Files.exists(dir.resolve("x")));
    }

    @Test
    void splitsCoverEveryVideoOnce() {
        for (int n : new int[] {1, 2, 3, 10, 37}) {
            Split[] s = SynthOutput.assignSplits(n, 42);
            assertEquals(n, s.length);
            if (n >= 3) {
                for (Split want : Split.values()) {
                    assertTrue(java.util.Arrays.asList(s).contains(want), n + " videos: no " + want);
                }
            }
        }
        assertNotEquals(List.of(SynthOutput.assignSplits(37, 1)), List.of(SynthOutput.assignSplits(37, 2)));
    }

    @Test
    void heldOutPutsExactlyThatManyVideosInValAndTest() {
        Split[] s = SynthOutput.assignSplits(240, 64, 0);
        long val = java.util.Arrays.stream(s).filter(x -> x == Split.VAL).count();
        long test = java.util.Arrays.stream(s).filter(x -> x == Split.TEST).count();
        assertEquals(64, val);
        assertEquals(64, test);
        assertEquals(112, s.length - val - test);
        assertEquals(List.of(SynthOutput.assignSplits(37, 1)), List.of(SynthOutput.assignSplits(37, 0, 1)), "0 keeps the 15 % split");
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> SynthOptions.defaults(10, 0).withHeldOut(5));
        assertTrue(e.getMessage().contains("--held-out"), e.getMessage());
    }

    private static List<String> simplify(List<SyntheticAvvp.Event> events) {
        return events.stream().map(e -> e.classIndex() + ":" + e.onset() + "-" + e.offset()).sorted().toList();
    }

    private static List<String> simplifyRead(List<AvvpEvent> events) {
        return events.stream().map(e -> e.classIndex() + ":" + (int) e.onset() + "-" + (int) e.offset()).sorted().toList();
    }

    private static int countColour(RgbImage img, int rgb) {
        int n = 0;
        for (int y = 0; y < img.height(); y++) {
            for (int x = 0; x < img.width(); x++) {
                if (img.get(x, y, 0) == ((rgb >> 16) & 0xFF) && img.get(x, y, 1) == ((rgb >> 8) & 0xFF) && img.get(x, y, 2) == (rgb & 0xFF)) {
                    n++;
                }
            }
        }
        return n;
    }

    /** Power of frequency f in x[from, from + n). */
    private static double goertzel(float[] x, int from, int n, double f, int rate) {
        double w = 2 * Math.PI * f / rate;
        double coeff = 2 * Math.cos(w);
        double s1 = 0;
        double s2 = 0;
        for (int i = from; i < from + n; i++) {
            double s0 = x[i] + coeff * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        return (s1 * s1 + s2 * s2 - coeff * s1 * s2) / ((double) n * n);
    }

    private static List<Path> listFiles(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return new ArrayList<>(s.filter(Files::isRegularFile).sorted().toList());
        }
    }
}
