package org.mettle.pretrain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mettle.backend.Backends;
import org.mettle.io.SafetensorsFile;

/** Coarse pretraining targets: labels follow the target on the same examples; wrong-modality targets fail clearly. */
class PretrainTargetTest {
    private static final String VISUAL = "swinv2_test_window4_64";
    private static final String AUDIO = "htsat_test";

    @TempDir
    Path dir;

    @Test
    void labelsOfABatchFollowTheTargetOnTheSameExamples() {
        checkTarget(VISUAL, 28, PretrainTarget.SHAPE, 7);
        checkTarget(VISUAL, 28, PretrainTarget.TEXTURE, 4);
        checkTarget(VISUAL, 10, PretrainTarget.TEXTURE, 2);
        checkTarget(AUDIO, 28, PretrainTarget.TIMBRE, 4);
        checkTarget(AUDIO, 3, PretrainTarget.TIMBRE, 3);
    }

    private static void checkTarget(String arch, int classes, PretrainTarget target, int expectedLabels) {
        PretrainExamples byClass = new PretrainExamples(arch, classes, PretrainTarget.CLASS, 9);
        PretrainExamples coarse = new PretrainExamples(arch, classes, target, 9);
        assertEquals(expectedLabels + 1, coarse.labelCount(), target + " of " + classes + " classes, + nothing");
        int n = 40;
        try (PretrainExamples.Batch a = byClass.batch(Backends.cpu(), 0, n);
             PretrainExamples.Batch b = coarse.batch(Backends.cpu(), 0, n)) {
            assertArrayEquals(a.inputs().toFloatArray(), b.inputs().toFloatArray(), "the target changes labels only, not the examples");
            boolean sawNothing = false;
            for (int i = 0; i < n; i++) {
                int k = a.labels()[i];
                assertEquals(k, byClass.classOf(i));
                int expected = switch (target) {
                    case SHAPE -> k % 7;
                    case TEXTURE -> (k / 7) % 4;
                    case TIMBRE -> k % 4;
                    case CLASS -> k;
                };
                if (k == classes) {
                    expected = expectedLabels;
                    sawNothing = true;
                }
                assertEquals(expected, b.labels()[i], target + ": example " + i + " of class " + k);
                assertEquals(expected, coarse.labelOf(i));
            }
            assertTrue(sawNothing || classes > 20, "a batch of 40 over " + (classes + 1) + " labels should hold a 'nothing' example");
        }
    }

    @Test
    void everyLabelOfACoarseTargetIsDrawn() {
        PretrainExamples e = new PretrainExamples(VISUAL, 28, PretrainTarget.SHAPE, 3);
        int[] counts = new int[8];
        for (int i = 0; i < 800; i++) {
            counts[e.labelOf(i)]++;
        }
        for (int label = 0; label < 7; label++) {
            assertTrue(counts[label] > 70, "shape " + label + " drawn " + counts[label] + " times of 800 (4 classes each)");
        }
        assertTrue(counts[7] > 10 && counts[7] < 60, "'nothing' is 1 of 29 draws, got " + counts[7] + " of 800");
    }

    @Test
    void targetsOfTheOtherModalityFailNamingTheAcceptedOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PretrainExamples(VISUAL, 28, PretrainTarget.TIMBRE, 0));
        assertTrue(e.getMessage().contains("timbre") && e.getMessage().contains(VISUAL) && e.getMessage().contains("class|shape|texture"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> PretrainOptions.of(AUDIO, 10, 4, 1e-3, 0, dir.resolve("a.safetensors")).withTarget(PretrainTarget.SHAPE));
        assertTrue(e.getMessage().contains("shape") && e.getMessage().contains("class|timbre"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> PretrainTarget.parse("colour"));
        assertTrue(e.getMessage().contains("colour") && e.getMessage().contains("class|shape|texture|timbre"), e.getMessage());
        assertEquals(PretrainTarget.TIMBRE, PretrainTarget.parse(" Timbre"));
    }

    @Test
    void checkpointMetadataRecordsTheTarget() {
        Path out = dir.resolve("shape.safetensors");
        PretrainOptions o = PretrainOptions.of(VISUAL, 2, 4, 1e-3, 1, out).withTarget(PretrainTarget.SHAPE).withValExamples(8);
        Pretrainer.Result r = Pretrainer.run(o, Pretrainer.Listener.NONE);
        assertEquals(2, r.steps());
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            Map<String, String> meta = f.metadata();
            assertEquals("shape", meta.get("target"));
            assertEquals("8", meta.get("labels"), "7 shapes + nothing");
            assertEquals("28", meta.get("classes"));
        }
    }
}
