package org.mettle.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.mettle.autograd.LossOps;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.nn.Linear;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Tensor;

/** Schedules, clipping, accumulation and the resumable RNG against hand-computed values. */
class TrainUtilsTest {
    private final Backend be = Backends.cpu();

    @Test
    void cosineWarmupThenDecayToFloor() {
        LrSchedule s = LrSchedule.cosine(1e-3, 4, 14, 1e-5);
        assertEquals(0.25e-3, s.lr(0), 1e-15);
        assertEquals(1e-3, s.lr(3), 1e-15);
        assertEquals(1e-3, s.lr(4), 1e-15); // decay starts at progress 0
        assertEquals(1e-5 + (1e-3 - 1e-5) * 0.5, s.lr(9), 1e-15); // halfway: cos(pi/2) = 0
        assertEquals(1e-5, s.lr(14), 1e-15);
        assertEquals(1e-5, s.lr(100), 1e-15);
        assertEquals(1e-2, s.lr(4, 10), 1e-14); // group multiplier
        for (long k = 4; k < 14; k++) {
            assertTrue(s.lr(k + 1) < s.lr(k), "cosine must decrease after warm-up, step " + k);
        }
    }

    @Test
    void stepDecayAtMilestones() {
        LrSchedule s = LrSchedule.step(0.1, 0, new long[] {3, 6}, 0.5);
        double[] expected = {0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025};
        for (int k = 0; k < expected.length; k++) {
            assertEquals(expected[k], s.lr(k), 1e-15, "step " + k);
        }
        LrSchedule warm = LrSchedule.step(0.1, 2, new long[] {3}, 0.1);
        assertEquals(0.05, warm.lr(0), 1e-15);
        assertEquals(0.1, warm.lr(1), 1e-15);
        assertEquals(0.01, warm.lr(3), 1e-15);
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.step(0.1, 0, new long[] {5, 5}, 0.5));
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.cosine(0.1, 10, 5, 0));
    }

    @Test
    void applyToSetsGroupLearningRate() {
        try (Tensor p = Tensor.zeros(be, org.mettle.tensor.Shape.of(2)).requiresGrad(true); AdamW opt = new AdamW(List.of(p), 1f, 0f)) {
            LrSchedule.constant(2e-3, 0).applyTo(opt, 7, 5);
            assertEquals(1e-2f, opt.learningRate(), 0f);
        }
    }

    @Test
    void clippingMatchesClipGradNormSemantics() {
        Tensor a = Tensor.zeros(be, org.mettle.tensor.Shape.of(2)).requiresGrad(true);
        Tensor b = Tensor.zeros(be, org.mettle.tensor.Shape.of(1)).requiresGrad(true);
        Tensor c = Tensor.zeros(be, org.mettle.tensor.Shape.of(1)).requiresGrad(true); // no grad: skipped
        a.setGrad(Tensor.of(be, new float[] {3, 0}, 2));
        b.setGrad(Tensor.of(be, new float[] {4}, 1));
        List<Tensor> params = List.of(a, b, c);
        assertEquals(5.0, GradClipping.globalNorm(params), 0);
        assertEquals(5.0, GradClipping.clipByGlobalNorm(params, 1.0), 0);
        float scale = (float) (1.0 / (5.0 + 1e-6));
        assertArrayEquals(new float[] {3 * scale, 0}, a.grad().toFloatArray(), 0f);
        assertArrayEquals(new float[] {4 * scale}, b.grad().toFloatArray(), 0f);
        // Under the limit: untouched.
        assertEquals(5.0 * scale, GradClipping.clipByGlobalNorm(params, 10.0), 1e-7);
        assertArrayEquals(new float[] {4 * scale}, b.grad().toFloatArray(), 0f);
        b.setGrad(Tensor.of(be, new float[] {Float.NaN}, 1));
        assertTrue(Double.isNaN(GradClipping.clipByGlobalNorm(params, 1.0)));
        assertEquals(3 * scale, a.grad().toFloatArray()[0], 0f);
        for (Tensor t : params) {
            t.zeroGrad();
            t.close();
        }
    }

    @Test
    void accumulatedGradientsEqualFullBatchGradients() {
        Random init = new Random(3);
        float[] x = new float[4 * 5];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) init.nextGaussian();
        }
        int[] y = {0, 2, 1, 2};
        try (Linear full = new Linear(be, new Random(11), 5, 3, true); Linear acc = new Linear(be, new Random(11), 5, 3, true)) {
            full.trainable(true);
            acc.trainable(true);
            try (Scope s = Scope.open()) {
                LossOps.crossEntropy(full.forward(Tensor.of(be, x, 4, 5)), Tensor.ofInts(y, 4)).backward();
            }
            GradAccumulator accumulator = new GradAccumulator(2);
            boolean[] done = new boolean[2];
            for (int m = 0; m < 2; m++) {
                float[] part = java.util.Arrays.copyOfRange(x, m * 10, m * 10 + 10);
                try (Scope s = Scope.open()) {
                    Tensor loss = LossOps.crossEntropy(acc.forward(Tensor.of(be, part, 2, 5)), Tensor.ofInts(new int[] {y[2 * m], y[2 * m + 1]}, 2));
                    accumulator.scale(loss).backward();
                }
                done[m] = accumulator.microBatchDone();
            }
            assertFalse(done[0]);
            assertTrue(done[1]);
            assertFalse(accumulator.flushNeeded());
            for (int i = 0; i < 2; i++) {
                assertArrayEquals(full.parameters().get(i).grad().toFloatArray(), acc.parameters().get(i).grad().toFloatArray(), 1e-6f);
            }
            full.zeroGrad();
            acc.zeroGrad();
        }
        assertThrows(IllegalArgumentException.class, () -> new GradAccumulator(0));
    }

    @Test
    void resumableRandomMatchesJavaRandomAndRestoresMidGaussianPair() {
        Random reference = new Random(42);
        ResumableRandom r = new ResumableRandom(42);
        for (int i = 0; i < 50; i++) {
            assertEquals(reference.nextInt(1000), r.nextInt(1000));
            assertEquals(reference.nextGaussian(), r.nextGaussian(), 0.0);
            assertEquals(reference.nextFloat(), r.nextFloat(), 0f);
            assertEquals(reference.nextLong(), r.nextLong());
        }
        r.nextGaussian(); // leaves the second of a pair cached
        String state = r.state();
        double[] expected = {r.nextGaussian(), r.nextGaussian(), r.nextDouble()};
        ResumableRandom other = new ResumableRandom(7);
        other.restore(state);
        assertArrayEquals(expected, new double[] {other.nextGaussian(), other.nextGaussian(), other.nextDouble()}, 0.0);
        assertThrows(IllegalArgumentException.class, () -> other.restore("garbage"));
        assertThrows(IllegalArgumentException.class, () -> other.restore("lcg48:zz:-"));
    }
}
