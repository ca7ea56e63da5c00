package org.mettle.data.ave;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mettle.data.loader.DataFormatException;
import org.mettle.data.loader.MissingMedia;
import org.mettle.data.loader.Split;
import org.mettle.data.loader.TestFiles;

/** The AVE reader on small hand-written annotation files. */
class AveDatasetTest {
    @TempDir
    Path root;

    private void media(String vid, int frames) {
        TestFiles.frames(root.resolve("frames").resolve(vid), frames);
        TestFiles.touch(root.resolve("audio").resolve(vid + ".wav"));
    }

    @Test
    void classListIsTheDatasetsTwentyEight() {
        assertEquals(28, AveClasses.CLASSES.size());
        assertEquals(0, AveClasses.CLASSES.indexOf("Church bell"));
        assertEquals(27, AveClasses.CLASSES.indexOf("Mandolin"));
        assertEquals(10, AveClasses.CLASSES.indexOf("Frying (food)"));
    }

    @Test
    void readsEventsLabelsAndMedia() {
        TestFiles.text(root.resolve("trainSet.txt"), String.join("\n",
                "Category&VideoID&Quality&StartTime&EndTime",
                "Church bell&RUhOCu3LNXM&good&0&10",
                "",
                "Male speech, man speaking&-0MQFmVXbR0&good&3&7\r",
                "Frying (food)&vid_three&bad&8&10") + "\n");
        media("RUhOCu3LNXM", 10);
        media("-0MQFmVXbR0", 20);
        media("vid_three", 10);
        AveDataset ds = AveDataset.read(root, Split.TRAIN);
        List<AveSample> s = ds.samples();
        assertEquals(3, s.size());
        assertEquals("RUhOCu3LNXM", s.get(0).videoId());
        assertArrayEquals(new int[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, s.get(0).segmentLabels());
        int bg = AveClasses.BACKGROUND;
        assertArrayEquals(new int[] {bg, bg, bg, 1, 1, 1, 1, bg, bg, bg}, s.get(1).segmentLabels());
        assertEquals("Male speech, man speaking", s.get(1).className());
        assertEquals(3, s.get(1).start());
        assertEquals(7, s.get(1).end());
        assertArrayEquals(new int[] {bg, bg, bg, bg, bg, bg, bg, bg, 10, 10}, s.get(2).segmentLabels());
        assertEquals("bad", s.get(2).quality());
        float[] oneHot = s.get(1).oneHot();
        assertEquals(10 * 29, oneHot.length);
        assertEquals(1f, oneHot[3 * 29 + 1]);
        assertEquals(1f, oneHot[0 * 29 + 28]);
        assertArrayEquals(new float[] {0, 0, 0, 1, 1, 1, 1, 0, 0, 0}, s.get(1).eventMask());
        // 20 frames: two per segment, in natural order
        List<List<Path>> seg = s.get(1).media().segmentFrames();
        assertEquals(10, seg.size());
        assertEquals(List.of("1.jpg", "2.jpg"), seg.get(0).stream().map(p -> p.getFileName().toString()).toList());
        assertEquals(List.of("19.jpg", "20.jpg"), seg.get(9).stream().map(p -> p.getFileName().toString()).toList());
        assertEquals(root.resolve("audio/vid_three.wav"), s.get(2).media().audio());
        assertTrue(s.get(1).source().endsWith("trainSet.txt:4"), s.get(1).source());

        assertEquals(5, ds.report().linesRead());
        assertEquals(1, ds.report().skipped(AveDataset.HEADER_LINE));
        assertEquals(1, ds.report().skipped(AveDataset.BLANK_LINE));
        assertEquals(3, ds.report().samples());
        assertTrue(ds.report().format().contains("trainSet.txt:3"), ds.report().format());
    }

    private DataFormatException readError(String content) {
        Path f = TestFiles.text(root.resolve("testSet.txt"), content);
        DataFormatException e = assertThrows(DataFormatException.class, () -> AveDataset.read(AveLayout.of(root)
                .withMissingMedia(MissingMedia.IGNORE), Split.TEST));
        assertEquals(f, e.file());
        assertTrue(e.getMessage().startsWith(f + ":" + e.line() + ": "), e.getMessage());
        return e;
    }

    @Test
    void malformedLinesAreErrorsNamingFileAndLine() {
        DataFormatException e = readError("Bark&abc&good&0&10\nBark&def&good&0\n");
        assertEquals(2, e.line());
        assertTrue(e.getMessage().contains("expected 5 fields"), e.getMessage());

        e = readError("Bark&abc&good&zero&10\n");
        assertEquals(1, e.line());
        assertTrue(e.getMessage().contains("StartTime 'zero'"), e.getMessage());

        e = readError("Bark&abc&good&5&5\n");
        assertTrue(e.getMessage().contains("0 <= StartTime < EndTime <= 10"), e.getMessage());

        e = readError("Bark&abc&good&2&11\n");
        assertTrue(e.getMessage().contains("<= 10"), e.getMessage());

        e = readError("Bark&&good&2&4\n");
        assertTrue(e.getMessage().contains("empty VideoID"), e.getMessage());

        e = readError("Bark&../etc&good&2&4\n");
        assertTrue(e.getMessage().contains("path separator"), e.getMessage());
    }

    @Test
    void unknownClassIsAnErrorWithASuggestion() {
        DataFormatException e = readError("Bark&a&good&0&10\n\nChurch Bell&b&good&0&10\n");
        assertEquals(3, e.line());
        assertTrue(e.getMessage().contains("unknown AVE class 'Church Bell'") && e.getMessage().contains("did you mean 'Church bell'"),
                e.getMessage());
        e = readError("Submarine&b&good&0&10\n");
        assertTrue(e.getMessage().contains("unknown AVE class 'Submarine'"), e.getMessage());
    }

    @Test
    void repeatedVideos() {
        DataFormatException e = readError("Bark&a&good&0&3\nCat&a&good&5&7\n");
        assertEquals(2, e.line());
        assertTrue(e.getMessage().contains("on line 1"), e.getMessage());

        TestFiles.text(root.resolve("valSet.txt"), "Bark&a&good&0&3\nBark&a&good&5&7\n");
        AveDataset ds = AveDataset.read(AveLayout.of(root).withMissingMedia(MissingMedia.IGNORE), Split.VAL);
        assertEquals(1, ds.samples().size());
        int bg = AveClasses.BACKGROUND;
        assertArrayEquals(new int[] {2, 2, 2, bg, bg, 2, 2, bg, bg, bg}, ds.samples().get(0).segmentLabels());
        assertEquals(1, ds.report().notes().size(), ds.report().format());
    }

    @Test
    void missingFramesAreAnErrorOrCountedSkips() {
        Path f = TestFiles.text(root.resolve("trainSet.txt"), "Bark&a&good&0&10\nBark&b&good&0&10\nBark&c&good&0&10\n");
        media("a", 10);
        TestFiles.frames(root.resolve("frames/b"), 7); // too few
        TestFiles.touch(root.resolve("audio/b.wav"));
        TestFiles.frames(root.resolve("frames/c"), 10); // no audio

        DataFormatException e = assertThrows(DataFormatException.class, () -> AveDataset.read(root, Split.TRAIN));
        assertEquals(2, e.line());
        assertTrue(e.getMessage().contains("holds 7 image files") && e.getMessage().contains(root.resolve("frames/b").toString()),
                e.getMessage());

        AveDataset ds = AveDataset.read(AveLayout.of(root).withMissingMedia(MissingMedia.SKIP), Split.TRAIN);
        assertEquals(List.of("a"), ds.samples().stream().map(AveSample::videoId).toList());
        assertEquals(1, ds.report().skipped(AveDataset.MISSING_FRAMES));
        assertEquals(1, ds.report().skipped(AveDataset.MISSING_AUDIO));
        assertEquals(2, ds.report().skippedTotal());
        assertTrue(ds.report().examples(AveDataset.MISSING_AUDIO).get(0).startsWith(f + ":3: video c"), ds.report().format());
    }

    @Test
    void missingAnnotationFileSaysWhereItLooked() {
        DataFormatException e = assertThrows(DataFormatException.class, () -> AveDataset.read(root, Split.VAL));
        assertTrue(e.getMessage().contains("valSet.txt") && e.getMessage().contains("does not exist"), e.getMessage());
    }
}
