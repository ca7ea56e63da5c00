package org.mettle.pretrain;

import java.util.List;
import java.util.Random;
import org.mettle.autograd.GradMode;
import org.mettle.autograd.LossOps;
import org.mettle.backend.Backend;
import org.mettle.models.Backbone;
import org.mettle.models.LayerConsumer;
import org.mettle.nn.Linear;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Tensor;
import org.mettle.train.AdamW;

/**
 * How useful a FROZEN backbone's features are: mean-pooled final tokens of fresh examples, standardised per feature
 * (statistics of the training examples), a fresh linear classifier fitted by full-batch AdamW, accuracy on other
 * examples. This is what the linear baseline and Mettle's heads start from.
 */
public final class LinearProbe {
    private static final int CHUNK = 64;

    /** Accuracy on the test examples and on the training examples the probe was fitted to. */
    public record Score(double testAccuracy, double trainAccuracy, int trainExamples, int testExamples, int width) {}

    private LinearProbe() {}

    public static Score fit(Backbone frozen, PretrainExamples train, int trainExamples, PretrainExamples test, int testExamples,
                            int iterations, long seed) {
        if (trainExamples < 1 || testExamples < 1 || iterations < 1) {
            throw new IllegalArgumentException("probe examples and iterations must be positive, got " + trainExamples + ", "
                    + testExamples + ", " + iterations);
        }
        int[] trainLabels = new int[trainExamples];
        int[] testLabels = new int[testExamples];
        float[] xTrain = features(frozen, train, trainExamples, trainLabels);
        float[] xTest = features(frozen, test, testExamples, testLabels);
        return fitFeatures(frozen.module().backend(), xTrain, trainLabels, xTest, testLabels, train.labelCount(), iterations, seed);
    }

    /** Fits the probe to features [n, D] (row-major) with labels in 0..labels-1 and scores it on the test rows. */
    public static Score fitFeatures(Backend be, float[] xTrain, int[] trainLabels, float[] xTest, int[] testLabels, int labels,
                                    int iterations, long seed) {
        int trainExamples = trainLabels.length;
        int testExamples = testLabels.length;
        int d = xTrain.length / trainExamples;
        if (trainExamples < 1 || testExamples < 1 || xTrain.length != trainExamples * d || xTest.length != testExamples * d) {
            throw new IllegalArgumentException("probe features: " + xTrain.length + " train floats for " + trainExamples + " labels, "
                    + xTest.length + " test floats for " + testExamples + " labels");
        }
        standardise(xTrain, xTest, d);
        try (Linear probe = new Linear(be, new Random(seed), d, labels, true);
             Tensor x = Tensor.of(be, xTrain, trainExamples, d).untrack();
             Tensor y = Tensor.ofInts(trainLabels, trainExamples).untrack();
             AdamW opt = new AdamW(probe.trainable(true).parameters(), 1e-2f, 1e-4f)) {
            for (int i = 0; i < iterations; i++) {
                try (Scope s = Scope.open()) {
                    LossOps.crossEntropy(probe.forward(x), y).backward();
                }
                opt.step();
                opt.zeroGrad();
            }
            try (Tensor xt = Tensor.of(be, xTest, testExamples, d).untrack()) {
                return new Score(accuracy(probe, xt, testLabels), accuracy(probe, x, trainLabels), trainExamples, testExamples, d);
            }
        }
    }

    /** Mean-pooled final tokens [n, D] of a frozen backbone on inputs [n, ...], in chunks, under no-grad. */
    public static float[] pooledFeatures(Backbone frozen, Tensor inputs) {
        int n = inputs.dim(0);
        float[] out = null;
        int d = 0;
        try (var g = GradMode.noGrad()) {
            for (int first = 0; first < n; first += CHUNK) {
                int m = Math.min(CHUNK, n - first);
                try (Scope s = Scope.open()) {
                    float[] f = frozen.forward(inputs.slice(0, first, first + m), LayerConsumer.NONE).mean(false, 1).toFloatArray();
                    if (out == null) {
                        d = f.length / m;
                        out = new float[n * d];
                    }
                    System.arraycopy(f, 0, out, first * d, m * d);
                }
            }
        }
        return out;
    }

    /** Mean-pooled final tokens [n, D] of examples 0..n-1 (labels filled in). */
    static float[] features(Backbone frozen, PretrainExamples examples, int n, int[] labelsOut) {
        float[] out = null;
        int d = 0;
        try (var g = GradMode.noGrad()) {
            for (int first = 0; first < n; first += CHUNK) {
                int m = Math.min(CHUNK, n - first);
                try (PretrainExamples.Batch b = examples.batch(frozen.module().backend(), first, m); Scope s = Scope.open()) {
                    float[] f = frozen.forward(b.inputs(), LayerConsumer.NONE).mean(false, 1).toFloatArray();
                    if (out == null) {
                        d = f.length / m;
                        out = new float[n * d];
                    }
                    System.arraycopy(f, 0, out, first * d, m * d);
                    System.arraycopy(b.labels(), 0, labelsOut, first, m);
                }
            }
        }
        return out;
    }

    private static void standardise(float[] train, float[] test, int d) {
        int n = train.length / d;
        for (int j = 0; j < d; j++) {
            double s = 0;
            double sq = 0;
            for (int i = 0; i < n; i++) {
                s += train[i * d + j];
                sq += (double) train[i * d + j] * train[i * d + j];
            }
            double mu = s / n;
            double sd = Math.sqrt(Math.max(1e-12, sq / n - mu * mu));
            for (float[] x : List.of(train, test)) {
                for (int i = 0; i < x.length / d; i++) {
                    x[i * d + j] = (float) ((x[i * d + j] - mu) / sd);
                }
            }
        }
    }

    private static double accuracy(Linear probe, Tensor x, int[] labels) {
        float[] z;
        try (var g = GradMode.noGrad(); Scope s = Scope.open()) {
            z = probe.forward(x).toFloatArray();
        }
        int k = z.length / labels.length;
        int right = 0;
        for (int i = 0; i < labels.length; i++) {
            int best = 0;
            for (int c = 1; c < k; c++) {
                if (z[i * k + c] > z[i * k + best]) {
                    best = c;
                }
            }
            right += best == labels[i] ? 1 : 0;
        }
        return (double) right / labels.length;
    }
}
