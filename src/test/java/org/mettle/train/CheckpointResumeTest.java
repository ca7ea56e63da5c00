package org.mettle.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mettle.autograd.LossOps;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.io.SafetensorsException;
import org.mettle.nn.Init;
import org.mettle.nn.Linear;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Tensor;

/**
 * --resume exactness: 6 steps straight vs 3 steps, checkpoint, reload into fresh objects, 3 more steps must give
 * bit-identical parameters and losses. The loop uses everything a real run does: two optimizer groups with their own
 * learning-rate multipliers, warm-up + cosine, clipping, 2-way accumulation, and RNG-drawn minibatches and noise.
 */
class CheckpointResumeTest {
    private static final int FEATURES = 6;
    private static final int CLASSES = 4;
    private static final int EXAMPLES = 32;
    private static final int MICRO_BATCH = 4;
    private static final LrSchedule SCHEDULE = LrSchedule.cosine(0.05, 2, 6, 0.001);
    private static final String CONFIG = "{\"task\":\"ave\",\"lr\":0.05}";

    private final Backend be = Backends.cpu();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @TempDir
    Path dir;

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    /** A tiny model: a learned "meta" offset added to the input, then a linear head. */
    private final class Run {
        final Tensor meta;
        final Linear head;
        final AdamW metaOpt;
        final AdamW headOpt;
        final ResumableRandom rng;
        final List<Float> losses = new ArrayList<>();
        long step;

        Run(long initSeed) {
            Random init = new Random(initSeed);
            meta = Init.uniformFanIn(be, init, FEATURES, 1, FEATURES).requiresGrad(true);
            head = new Linear(be, init, FEATURES, CLASSES, true);
            head.trainable(true);
            metaOpt = new AdamW(List.of(meta), 1f, 0.01f);
            headOpt = new AdamW(head.parameters(), 1f, 0.01f);
            rng = new ResumableRandom(1234);
            toClose.add(meta);
            toClose.add(head);
            toClose.add(metaOpt);
            toClose.add(headOpt);
        }

        Map<String, Tensor> trainable() {
            Map<String, Tensor> out = new LinkedHashMap<>();
            out.put("meta_tokens", meta);
            head.namedParameters().forEach((n, t) -> out.put("head." + n, t));
            return out;
        }

        Map<String, AdamW> optimizers() {
            Map<String, AdamW> out = new LinkedHashMap<>();
            out.put("meta", metaOpt);
            out.put("heads", headOpt);
            return out;
        }

        void train(int steps, float[] data, int[] labels) {
            GradAccumulator acc = new GradAccumulator(2);
            List<Tensor> params = new ArrayList<>(trainable().values());
            for (int k = 0; k < steps; k++) {
                boolean done = false;
                while (!done) {
                    float[] x = new float[MICRO_BATCH * FEATURES];
                    int[] y = new int[MICRO_BATCH];
                    for (int r = 0; r < MICRO_BATCH; r++) {
                        int i = rng.nextInt(EXAMPLES);
                        y[r] = labels[i];
                        for (int f = 0; f < FEATURES; f++) {
                            x[r * FEATURES + f] = data[i * FEATURES + f] + 0.1f * (float) rng.nextGaussian();
                        }
                    }
                    try (Scope s = Scope.open()) {
                        Tensor input = Tensor.of(be, x, MICRO_BATCH, FEATURES).add(meta);
                        Tensor loss = LossOps.crossEntropy(head.forward(input), Tensor.ofInts(y, MICRO_BATCH));
                        losses.add(loss.item());
                        acc.scale(loss).backward();
                    }
                    done = acc.microBatchDone();
                }
                GradClipping.clipByGlobalNorm(params, 0.5);
                SCHEDULE.applyTo(metaOpt, step, 10);
                SCHEDULE.applyTo(headOpt, step, 1);
                metaOpt.step();
                headOpt.step();
                metaOpt.zeroGrad();
                headOpt.zeroGrad();
                step++;
            }
        }

        RunState state(int epoch) {
            return new RunState(epoch, step, rng.state(), 0.75, CONFIG);
        }

        void restore(RunState s) {
            step = s.globalStep();
            rng.restore(s.rngState());
        }

        float[] flatParams() {
            List<Float> all = new ArrayList<>();
            for (Tensor t : trainable().values()) {
                for (float v : t.toFloatArray()) {
                    all.add(v);
                }
            }
            float[] out = new float[all.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = all.get(i);
            }
            return out;
        }
    }

    private static float[] data() {
        Random r = new Random(5);
        float[] x = new float[EXAMPLES * FEATURES];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    private static int[] labels() {
        int[] y = new int[EXAMPLES];
        for (int i = 0; i < EXAMPLES; i++) {
            y[i] = i % CLASSES;
        }
        return y;
    }

    private static void assertBitIdentical(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]), "element " + i);
        }
    }

    private static float[] toArray(List<Float> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }

    private Path trainedCheckpoint(Run run) {
        run.train(3, data(), labels());
        Path file = dir.resolve("last.safetensors");
        Checkpoint.save(file, run.trainable(), run.optimizers(), run.state(1));
        return file;
    }

    @Test
    void resumeIsBitIdenticalToAnUninterruptedRun() {
        Run straight = new Run(77);
        straight.train(6, data(), labels());

        Run first = new Run(77);
        Path file = trainedCheckpoint(first);
        Run resumed = new Run(999); // different init: everything must come from the checkpoint
        RunState state = Checkpoint.load(file, resumed.trainable(), resumed.optimizers());
        resumed.restore(state);
        assertEquals(1, state.epoch());
        assertEquals(3, state.globalStep());
        assertEquals(0.75, state.bestMetric(), 0);
        assertEquals(CONFIG, state.configJson());
        assertEquals(3, resumed.metaOpt.stepCount());
        resumed.train(3, data(), labels());

        List<Float> joined = new ArrayList<>(first.losses);
        joined.addAll(resumed.losses);
        assertBitIdentical(toArray(straight.losses), toArray(joined));
        assertBitIdentical(straight.flatParams(), resumed.flatParams());
        assertEquals(CONFIG, Checkpoint.readState(file).configJson());
    }

    @Test
    void truncatedOrCorruptedCheckpointIsRejectedAndNothingChanges() throws IOException {
        Path good = trainedCheckpoint(new Run(77));
        byte[] original = Files.readAllBytes(good);
        Run target = new Run(999);
        float[] before = target.flatParams();

        Path truncated = dir.resolve("truncated.safetensors");
        Files.write(truncated, java.util.Arrays.copyOf(original, original.length - 7));
        SafetensorsException e1 = assertThrows(SafetensorsException.class, () -> Checkpoint.load(truncated, target.trainable(), target.optimizers()));
        assertTrue(e1.getMessage().contains("truncated.safetensors"), e1.getMessage());

        Path flipped = dir.resolve("flipped.safetensors");
        byte[] bad = original.clone();
        bad[bad.length - 3] ^= 0x10; // inside the last tensor's data
        Files.write(flipped, bad);
        SafetensorsException e2 = assertThrows(SafetensorsException.class, () -> Checkpoint.load(flipped, target.trainable(), target.optimizers()));
        assertTrue(e2.getMessage().contains("checksum mismatch"), e2.getMessage());

        assertBitIdentical(before, target.flatParams());
        assertEquals(0, target.metaOpt.stepCount());
        assertArrayEquals(original, Files.readAllBytes(good));
        Checkpoint.load(good, target.trainable(), target.optimizers()); // the intact file still loads
    }

    @Test
    void failedSaveLeavesThePreviousCheckpointIntact() throws IOException {
        Run run = new Run(77);
        Path good = trainedCheckpoint(run);
        byte[] original = Files.readAllBytes(good);
        Map<String, Tensor> broken = new LinkedHashMap<>(run.trainable());
        Tensor closed = Tensor.zeros(be, org.mettle.tensor.Shape.of(3));
        closed.close();
        broken.put("extra", closed);
        assertThrows(RuntimeException.class, () -> Checkpoint.save(good, broken, run.optimizers(), run.state(2)));
        assertArrayEquals(original, Files.readAllBytes(good));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temp file left behind");
        }
    }

    @Test
    void mismatchedModelIsRejectedNamingTheTensor() {
        Path good = trainedCheckpoint(new Run(77));
        Run other = new Run(1);
        Map<String, Tensor> wrongShape = new LinkedHashMap<>(other.trainable());
        Tensor wide = Tensor.zeros(be, org.mettle.tensor.Shape.of(1, FEATURES + 1));
        toClose.add(wide);
        wrongShape.put("meta_tokens", wide);
        SafetensorsException shape = assertThrows(SafetensorsException.class, () -> Checkpoint.load(good, wrongShape, null));
        assertTrue(shape.getMessage().contains("params/meta_tokens") && shape.getMessage().contains("[1, 7]"), shape.getMessage());

        Map<String, Tensor> missing = new LinkedHashMap<>(other.trainable());
        missing.remove("meta_tokens");
        SafetensorsException extra = assertThrows(SafetensorsException.class, () -> Checkpoint.load(good, missing, null));
        assertTrue(extra.getMessage().contains("params/meta_tokens"), extra.getMessage());

        Map<String, AdamW> oneGroup = Map.of("heads", other.headOpt);
        SafetensorsException group = assertThrows(SafetensorsException.class, () -> Checkpoint.load(good, other.trainable(), oneGroup));
        assertTrue(group.getMessage().contains("optim/meta"), group.getMessage());

        // Parameters only (evaluation): optimizer entries are ignored.
        Checkpoint.load(good, other.trainable(), null);
        assertEquals(0, other.headOpt.stepCount());
    }

    @Test
    void notACheckpointIsRejected() throws IOException {
        Path plain = dir.resolve("weights.safetensors");
        new org.mettle.io.SafetensorsWriter().addFloats("w", new int[] {1}, new float[] {1}).write(plain);
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> Checkpoint.readState(plain));
        assertTrue(e.getMessage().contains("not a Mettle training checkpoint"), e.getMessage());
        try (FileChannel ch = FileChannel.open(plain, StandardOpenOption.WRITE)) {
            ch.truncate(4);
        }
        assertThrows(SafetensorsException.class, () -> Checkpoint.readState(plain));
    }
}
