package org.mettle.pretrain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.mettle.autograd.GradMode;
import org.mettle.backend.Backends;
import org.mettle.io.SafetensorsFile;
import org.mettle.models.Architectures;
import org.mettle.models.Backbone;
import org.mettle.models.LayerConsumer;
import org.mettle.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pretraining loop on the tiny test archs: the loss falls, the file holds exactly the backbone and loads strictly. */
class PretrainerTest {
    @TempDir
    Path dir;

    @Test
    void visualLoopLearnsAndSavesALoadableBackbone() {
        Path out = dir.resolve("sub").resolve("swin.safetensors");
        PretrainOptions o = PretrainOptions.of("swinv2_test_window4_64", 40, 16, 3e-3, 7, out).withClasses(3).withValExamples(48)
                .withEvalEvery(20);
        AtomicReference<float[]> trainedOutput = new AtomicReference<>();
        Tensor probe = probeInput("swinv2_test_window4_64");
        Pretrainer.Result r = Pretrainer.run(o, Pretrainer.Listener.NONE, (backbone, head) -> trainedOutput.set(finalTokens(backbone, probe)));

        assertEquals(40, r.losses().length);
        double first = mean(r.losses(), 0, 8);
        double last = mean(r.losses(), 32, 40);
        assertTrue(last < first - 0.2, "loss should fall: first 8 steps " + first + ", last 8 " + last);
        assertEquals(2, r.evals().size());
        assertEquals(40, r.evals().get(1).step());
        assertTrue(r.valAccuracy() > 0.25 + 0.1, "4 labels: accuracy should beat chance 0.25, got " + r.valAccuracy());

        try (Backbone fresh = Architectures.create("swinv2_test_window4_64", Backends.cpu(), 12345)) {
            assertFalse(java.util.Arrays.equals(trainedOutput.get(), finalTokens(fresh, probe)), "a fresh model differs before loading");
            Architectures.loadWeights(fresh, out); // strict: every tensor present, nothing extra
            assertArrayEquals(trainedOutput.get(), finalTokens(fresh, probe), "loaded model must give the trained outputs exactly");
        }
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            assertTrue(f.names().stream().noneMatch(n -> n.startsWith("head.")), "the classifier is not saved: " + f.names());
            Map<String, String> meta = f.metadata();
            assertEquals("swinv2_test_window4_64", meta.get("arch"));
            assertEquals("40", meta.get("steps"));
            assertEquals("7", meta.get("seed"));
            assertEquals(r.valAccuracy(), Double.parseDouble(meta.get("val_accuracy")), 1e-4);
        }
        probe.close();
    }

    @Test
    void audioLoopCalibratesMelNormAndKeepsItFixed() {
        Path out = dir.resolve("htsat.safetensors");
        PretrainOptions o = PretrainOptions.of("htsat_test", 12, 8, 2e-3, 3, out).withClasses(3).withValExamples(16);
        AtomicReference<float[]> trainedOutput = new AtomicReference<>();
        Tensor probe = probeInput("htsat_test");
        Pretrainer.Result r = Pretrainer.run(o, Pretrainer.Listener.NONE, (backbone, head) -> trainedOutput.set(finalTokens(backbone, probe)));
        assertTrue(Float.isFinite(r.losses()[11]));

        // the saved running statistics are the calibration batch's per-bin statistics (training never touched them)
        float[] expectedMean = new float[16];
        float[] expectedVar = new float[16];
        PretrainExamples calibration = new PretrainExamples("htsat_test", 3, 3 + 0xCA11B8A7EL);
        try (PretrainExamples.Batch b = calibration.batch(Backends.cpu(), 0, Pretrainer.BN_CALIBRATION_EXAMPLES)) {
            float[] x = b.inputs().toFloatArray();
            int rows = x.length / 16;
            for (int f = 0; f < 16; f++) {
                double s = 0;
                double sq = 0;
                for (int i = 0; i < rows; i++) {
                    s += x[i * 16 + f];
                    sq += (double) x[i * 16 + f] * x[i * 16 + f];
                }
                expectedMean[f] = (float) (s / rows);
                expectedVar[f] = (float) (sq / rows - (s / rows) * (s / rows));
            }
        }
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            assertArrayEquals(expectedMean, f.readFloats("bn0.running_mean"), 1e-4f);
            assertArrayEquals(expectedVar, f.readFloats("bn0.running_var"), 1e-3f);
            assertTrue(expectedVar[0] > 1e-3 && Math.abs(expectedMean[0]) > 1e-3, "statistics are data's, not the 0/1 defaults");
        }
        try (Backbone fresh = Architectures.create("htsat_test", Backends.cpu(), 99)) {
            Architectures.loadWeights(fresh, out);
            assertArrayEquals(trainedOutput.get(), finalTokens(fresh, probe));
        }
        probe.close();
    }

    /**
     * Not bit-identical: the engine's float reductions may round differently once the JIT has compiled them (seen:
     * 1e-9 after one step, and up to 1e-4 on attention key biases, whose true gradient is 0 and which AdamW's
     * normalisation amplifies). So: same losses and weights to a tolerance.
     */
    @Test
    void sameOptionsGiveTheSameRunUpToRounding() {
        Pretrainer.Result[] runs = new Pretrainer.Result[2];
        for (int run = 0; run < 2; run++) {
            Path out = dir.resolve("run" + run + ".safetensors");
            runs[run] = Pretrainer.run(PretrainOptions.of("htsat_test", 4, 8, 2e-3, 21, out).withClasses(3).withValExamples(8),
                    Pretrainer.Listener.NONE);
        }
        assertArrayEquals(runs[0].losses(), runs[1].losses(), 1e-4f);
        try (SafetensorsFile a = SafetensorsFile.open(dir.resolve("run0.safetensors"));
             SafetensorsFile b = SafetensorsFile.open(dir.resolve("run1.safetensors"))) {
            assertEquals(a.names(), b.names());
            for (String name : a.names()) {
                assertArrayEquals(a.readFloats(name), b.readFloats(name), 1e-3f, name);
            }
        }
    }

    @Test
    void examplesAreDeterministicPerSeedAndIndependentOfBatching() {
        for (String arch : new String[] {"swinv2_test_window4_64", "htsat_test"}) {
            PretrainExamples a = new PretrainExamples(arch, 28, 5);
            PretrainExamples b = new PretrainExamples(arch, 28, 5);
            PretrainExamples c = new PretrainExamples(arch, 28, 6);
            try (PretrainExamples.Batch whole = a.batch(Backends.cpu(), 0, 8);
                 PretrainExamples.Batch again = b.batch(Backends.cpu(), 0, 8);
                 PretrainExamples.Batch part = b.batch(Backends.cpu(), 5, 3);
                 PretrainExamples.Batch other = c.batch(Backends.cpu(), 0, 8)) {
                float[] w = whole.inputs().toFloatArray();
                assertArrayEquals(w, again.inputs().toFloatArray(), arch);
                assertArrayEquals(whole.labels(), again.labels(), arch);
                int per = w.length / 8;
                assertArrayEquals(java.util.Arrays.copyOfRange(w, 5 * per, 8 * per), part.inputs().toFloatArray(), arch + ": example 5.. alone");
                assertArrayEquals(java.util.Arrays.copyOfRange(whole.labels(), 5, 8), part.labels());
                assertFalse(java.util.Arrays.equals(w, other.inputs().toFloatArray()), arch + ": another seed, other examples");
                for (int label : whole.labels()) {
                    assertTrue(label >= 0 && label <= 28);
                }
                for (int i = 0; i < 8; i++) {
                    assertEquals(whole.labels()[i], a.labelOf(i));
                }
            }
        }
    }

    @Test
    void labelsCoverEveryClassAndNothing() {
        PretrainExamples e = new PretrainExamples("swinv2_test_window4_64", 4, 1);
        int[] counts = new int[5];
        for (int i = 0; i < 500; i++) {
            counts[e.labelOf(i)]++;
        }
        for (int k = 0; k < 5; k++) {
            assertTrue(counts[k] > 60, "label " + k + " drawn " + counts[k] + " times of 500");
        }
        // a "nothing" sound is noise only: far quieter than any class sound
        PretrainExamples audio = new PretrainExamples("htsat_test", 4, 1);
        for (int i = 0; i < 40; i++) {
            float[] s = audio.soundOf(i);
            assertEquals(16000, s.length);
            double rms = Math.sqrt(java.util.stream.IntStream.range(0, s.length).mapToDouble(j -> s[j] * (double) s[j]).sum() / s.length);
            if (audio.labelOf(i) == 4) {
                assertTrue(rms < 0.03, "noise only, rms " + rms);
            } else {
                assertTrue(rms > 0.035, "class " + audio.labelOf(i) + " rms " + rms);
            }
        }
    }

    private static Tensor probeInput(String arch) {
        PretrainExamples e = new PretrainExamples(arch, 3, 424242);
        PretrainExamples.Batch b = e.batch(Backends.cpu(), 0, 3);
        return b.inputs();
    }

    private static float[] finalTokens(Backbone model, Tensor input) {
        try (var g = GradMode.noGrad(); Tensor t = model.forward(input, LayerConsumer.NONE)) {
            return t.toFloatArray();
        }
    }

    private static double mean(float[] x, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += x[i];
        }
        return s / (to - from);
    }
}
