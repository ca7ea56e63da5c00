package org.mettle.data.avs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mettle.data.loader.DataFormatException;
import org.mettle.data.loader.MissingMedia;
import org.mettle.data.loader.Split;
import org.mettle.data.loader.TestFiles;

/** The AVSBench reader on hand-made S4 and MS3 trees. */
class AvsDatasetTest {
    @TempDir
    Path root;

    private void s4Clip(String split, String category, String name, int masks) {
        Path d = root.resolve("s4_data");
        for (int k = 1; k <= 5; k++) {
            TestFiles.touch(d.resolve("visual_frames").resolve(split).resolve(category).resolve(name).resolve(name + "_" + k + ".png"));
        }
        for (int k = 1; k <= masks; k++) {
            TestFiles.touch(d.resolve("gt_masks").resolve(split).resolve(category).resolve(name).resolve(name + "_" + k + ".png"));
        }
        TestFiles.touch(d.resolve("audio_wav").resolve(split).resolve(category).resolve(name + ".wav"));
    }

    @Test
    void s4TrainHasOneMaskAndTestFive() {
        // no column called "category": the third column is the category, as the AVSBench loaders index it
        TestFiles.text(root.resolve("s4_meta_data.csv"), "vid,uid,a_obj,split\n"
                + "abc,1,dog_barking,train\n"
                + "def,2,\"playing_violin\",test\n"
                + "ghi,3,cat_meowing,train\n");
        s4Clip("train", "dog_barking", "abc", 1);
        s4Clip("test", "playing_violin", "def", 5);
        s4Clip("train", "cat_meowing", "ghi", 1);
        AvsDataset train = AvsDataset.read(root, AvsSubset.S4, Split.TRAIN);
        assertEquals(2, train.samples().size());
        AvsSample a = train.samples().get(0);
        assertEquals("dog_barking", a.category());
        assertEquals(5, a.frames().size());
        assertEquals(1, a.masks().size());
        assertArrayEquals(new int[] {0}, a.maskFrames());
        assertEquals(root.resolve("s4_data/visual_frames/train/dog_barking/abc/abc_3.png"), a.frames().get(2));
        assertEquals(root.resolve("s4_data/audio_wav/train/dog_barking/abc.wav"), a.audio());
        assertEquals(1, train.report().skipped(AvsDataset.OTHER_SPLIT));

        AvsDataset test = AvsDataset.read(root, AvsSubset.S4, Split.TEST);
        AvsSample d = test.samples().get(0);
        assertEquals(5, d.masks().size());
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, d.maskFrames());
        assertEquals(root.resolve("s4_data/gt_masks/test/playing_violin/def/def_5.png"), d.masks().get(4));
    }

    @Test
    void ms3Layout() {
        TestFiles.text(root.resolve("ms3_meta_data.csv"), "video_id,split,extra\nxyz,val,whatever\n");
        Path d = root.resolve("ms3_data");
        for (int k = 1; k <= 5; k++) {
            TestFiles.touch(d.resolve("visual_frames/xyz/xyz.mp4_" + k + ".png"));
            TestFiles.touch(d.resolve("gt_masks/val/xyz/xyz_" + k + ".png"));
        }
        TestFiles.touch(d.resolve("audio_wav/val/xyz.wav"));
        AvsDataset ds = AvsDataset.read(root, AvsSubset.MS3, Split.VAL);
        AvsSample s = ds.samples().get(0);
        assertNull(s.category());
        assertEquals(5, s.masks().size());
        assertEquals(d.resolve("visual_frames/xyz/xyz.mp4_1.png"), s.frames().get(0));
        assertEquals(d.resolve("gt_masks/val/xyz/xyz_2.png"), s.masks().get(1));
    }

    @Test
    void badRowsAndMissingFiles() {
        Path csv = TestFiles.text(root.resolve("s4_meta_data.csv"), "name,uid,category,split\nabc,1,dog_barking,train\nbad,2,dog_barkng,train\n");
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> AvsDataset.read(root, AvsSubset.S4, Split.TRAIN, MissingMedia.IGNORE));
        assertEquals(3, e.line());
        assertTrue(e.getMessage().startsWith(csv + ":3: ") && e.getMessage().contains("did you mean 'dog_barking'"), e.getMessage());

        TestFiles.text(root.resolve("s4_meta_data.csv"), "name,uid,category,split\nabc,1,dog_barking\n");
        e = assertThrows(DataFormatException.class, () -> AvsDataset.read(root, AvsSubset.S4, Split.TRAIN, MissingMedia.IGNORE));
        assertTrue(e.getMessage().contains("expected 4 comma-separated fields"), e.getMessage());

        TestFiles.text(root.resolve("s4_meta_data.csv"), "name,uid,category,split\nabc,1,dog_barking,training_set\n");
        e = assertThrows(DataFormatException.class, () -> AvsDataset.read(root, AvsSubset.S4, Split.TRAIN, MissingMedia.IGNORE));
        assertTrue(e.getMessage().contains("split 'training_set'"), e.getMessage());

        TestFiles.text(root.resolve("s4_meta_data.csv"), "name,uid,category\nabc,1,dog_barking\n");
        e = assertThrows(DataFormatException.class, () -> AvsDataset.read(root, AvsSubset.S4, Split.TRAIN, MissingMedia.IGNORE));
        assertEquals(1, e.line());

        // a mask missing: error by default, a counted skip on request
        TestFiles.text(root.resolve("s4_meta_data.csv"), "name,uid,category,split\nabc,1,dog_barking,test\nok,2,dog_barking,test\n");
        s4Clip("test", "dog_barking", "abc", 4);
        s4Clip("test", "dog_barking", "ok", 5);
        e = assertThrows(DataFormatException.class, () -> AvsDataset.read(root, AvsSubset.S4, Split.TEST));
        assertTrue(e.getMessage().contains("abc_5.png") && e.getMessage().contains("does not exist"), e.getMessage());
        AvsDataset ds = AvsDataset.read(root, AvsSubset.S4, Split.TEST, MissingMedia.SKIP);
        assertEquals(1, ds.samples().size());
        assertEquals(1, ds.report().skipped(AvsDataset.MISSING_MASKS));
    }
}
