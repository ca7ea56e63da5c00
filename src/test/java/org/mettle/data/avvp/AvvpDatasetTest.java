package org.mettle.data.avvp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mettle.data.loader.DataFormatException;
import org.mettle.data.loader.MissingMedia;
import org.mettle.data.loader.Split;
import org.mettle.data.loader.TestFiles;

/** The LLP (AVVP) reader on small hand-written CSVs. */
class AvvpDatasetTest {
    @TempDir
    Path root;

    private AvvpLayout noMedia() {
        return AvvpLayout.of(root).withMissingMedia(MissingMedia.IGNORE);
    }

    @Test
    void classListIsTheDatasetsTwentyFive() {
        assertEquals(25, LlpClasses.CLASSES.size());
        assertEquals(0, LlpClasses.CLASSES.indexOf("Speech"));
        assertEquals(24, LlpClasses.CLASSES.indexOf("Clapping"));
    }

    @Test
    void trainingRowsCarryWeakLabels() {
        TestFiles.text(root.resolve("AVVP_train.csv"), "filename\tevent_labels\n"
                + "---1_cCGK4M_0_10\tSpeech,Dog\n\n"
                + "-0A9suni5YA_20_30\tCello\n");
        TestFiles.frames(root.resolve("frames/---1_cCGK4M_0_10"), 10);
        TestFiles.touch(root.resolve("audio/---1_cCGK4M_0_10.wav"));
        TestFiles.frames(root.resolve("frames/-0A9suni5YA_20_30"), 10);
        TestFiles.touch(root.resolve("audio/-0A9suni5YA_20_30.wav"));
        AvvpDataset ds = AvvpDataset.read(root, Split.TRAIN);
        assertEquals(2, ds.samples().size());
        AvvpSample a = ds.samples().get(0);
        assertArrayEquals(new int[] {0, 3}, a.labels());
        assertEquals("---1_cCGK4M", a.youtubeId());
        float[] v = a.videoLabels();
        assertEquals(1f, v[0]);
        assertEquals(1f, v[3]);
        assertEquals(2f, sum(v));
        assertFalse(a.hasEventAnnotations());
        assertEquals(0f, sum(a.audioSegments()));
        assertEquals(1, ds.report().skipped(AvvpDataset.BLANK_LINE));
        assertEquals(4, ds.report().linesRead());
    }

    @Test
    void evaluationSplitsReadAudioAndVisualEvents() {
        TestFiles.text(root.resolve("AVVP_test_pd.csv"), "filename\tevent_labels\nv1_0_10\tSpeech,Dog\nv2_0_10\tCar\n");
        TestFiles.text(root.resolve("AVVP_eval_audio.csv"), "filename\tonset\toffset\tevent_labels\n"
                + "v1_0_10\t0\t3\tSpeech\nv1_0_10\t5\t10\tDog\nv2_0_10\t2\t4\tCar\nother_0_10\t0\t10\tCat\n");
        TestFiles.text(root.resolve("AVVP_eval_visual.csv"), "filename\tonset\toffset\tevent_labels\n"
                + "v1_0_10\t1\t4\tSpeech\nv2_0_10\t0\t10\tCar\n");
        AvvpDataset ds = AvvpDataset.read(noMedia(), Split.TEST);
        AvvpSample v1 = ds.samples().get(0);
        assertTrue(v1.hasEventAnnotations());
        assertEquals(2, v1.audioEvents().size());
        assertEquals(1, v1.visualEvents().size());
        float[] a = v1.audioSegments();
        float[] vis = v1.visualSegments();
        float[] av = v1.audioVisualSegments();
        for (int s = 0; s < 10; s++) {
            assertEquals(s < 3 ? 1f : 0f, a[s * 25], "audio speech at " + s);
            assertEquals(s >= 5 ? 1f : 0f, a[s * 25 + 3], "audio dog at " + s);
            assertEquals(s >= 1 && s < 4 ? 1f : 0f, vis[s * 25], "visual speech at " + s);
            assertEquals(s >= 1 && s < 3 ? 1f : 0f, av[s * 25], "audio-visual speech at " + s);
        }
        assertEquals(1, ds.report().skipped(AvvpDataset.OTHER_SPLIT_EVENT), ds.report().format());
        assertTrue(ds.report().examples(AvvpDataset.OTHER_SPLIT_EVENT).get(0).contains("AVVP_eval_audio.csv:5"));
    }

    private DataFormatException error(String file, String content, Split split) {
        Path f = TestFiles.text(root.resolve(file), content);
        DataFormatException e = assertThrows(DataFormatException.class, () -> AvvpDataset.read(noMedia(), split));
        assertEquals(f, e.file(), e.getMessage());
        return e;
    }

    @Test
    void badRowsNameFileAndLine() {
        DataFormatException e = error("AVVP_train.csv", "filename\tevent_labels\na_0_10\tSpeech\nb_0_10,Speech\n", Split.TRAIN);
        assertEquals(3, e.line());
        assertTrue(e.getMessage().contains("tab-separated"), e.getMessage());

        e = error("AVVP_train.csv", "filename\tevent_labels\na_0_10\tSpeech,Dogg\n", Split.TRAIN);
        assertEquals(2, e.line());
        assertTrue(e.getMessage().contains("unknown LLP class 'Dogg'") && e.getMessage().contains("'Dog'"), e.getMessage());

        e = error("AVVP_train.csv", "name\tlabels\na_0_10\tSpeech\n", Split.TRAIN);
        assertEquals(1, e.line());
        assertTrue(e.getMessage().contains("header"), e.getMessage());

        e = error("AVVP_train.csv", "filename\tevent_labels\na_0_10\tSpeech,\n", Split.TRAIN);
        assertTrue(e.getMessage().contains("empty class name"), e.getMessage());

        e = error("AVVP_train.csv", "filename\tevent_labels\na_0_10\tSpeech\na_0_10\tDog\n", Split.TRAIN);
        assertTrue(e.getMessage().contains("listed twice"), e.getMessage());

        TestFiles.text(root.resolve("AVVP_val_pd.csv"), "filename\tevent_labels\na_0_10\tSpeech\n");
        TestFiles.text(root.resolve("AVVP_eval_visual.csv"), "filename\tonset\toffset\tevent_labels\n");
        e = error("AVVP_eval_audio.csv", "filename\tonset\toffset\tevent_labels\na_0_10\t4\t2\tSpeech\n", Split.VAL);
        assertEquals(2, e.line());
        assertTrue(e.getMessage().contains("onset < offset"), e.getMessage());
        e = error("AVVP_eval_audio.csv", "filename\tonset\toffset\tevent_labels\na_0_10\tx\t2\tSpeech\n", Split.VAL);
        assertTrue(e.getMessage().contains("onset 'x'"), e.getMessage());
    }

    @Test
    void missingMediaSkippedAndCounted() {
        TestFiles.text(root.resolve("AVVP_train.csv"), "filename\tevent_labels\na_0_10\tSpeech\nb_0_10\tDog\n");
        TestFiles.frames(root.resolve("frames/a_0_10"), 10);
        TestFiles.touch(root.resolve("audio/a_0_10.wav"));
        DataFormatException e = assertThrows(DataFormatException.class, () -> AvvpDataset.read(root, Split.TRAIN));
        assertEquals(3, e.line());
        AvvpDataset ds = AvvpDataset.read(AvvpLayout.of(root).withMissingMedia(MissingMedia.SKIP), Split.TRAIN);
        assertEquals(1, ds.samples().size());
        assertEquals(1, ds.report().skipped(AvvpDataset.MISSING_FRAMES));
    }

    private static float sum(float[] a) {
        float s = 0;
        for (float x : a) {
            s += x;
        }
        return s;
    }
}
