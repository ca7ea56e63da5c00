package org.mettle.backend.cpu;

import java.util.Arrays;

/**
 * Losses of the CPU backend with their gradients, following torch.nn.functional semantics. Each row (or element
 * block) is computed in double and the partial losses are added in a fixed order, so results do not depend on the
 * thread count. Gradient arrays (dLogits) are indexed from 0 and overwritten; pass null to skip the gradient.
 * Scalar code: the losses are small next to the layers that feed them.
 *
 * <p>Where torch returns NaN because nothing counts (every row ignored, or all counted weights zero) these return 0
 * with a zero gradient, so one fully-masked batch does not poison training.
 */
public final class CpuLoss {
    /** Elements per parallel task. */
    static final int GRAIN = 1 << 13;
    /** Fixed element block of {@link #bceWithLogits} partial sums. */
    static final int BCE_BLOCK = 1 << 14;

    private CpuLoss() {}

    /**
     * Mean cross-entropy over rows whose target != ignoreIndex, with optional label smoothing (torch semantics);
     * optional class weights nullable (torch semantics for the weighted mean). Returns the loss; writes dLogits
     * (gradient of the returned loss, may be null to skip). Targets out of range (other than ignoreIndex) ->
     * IllegalArgumentException naming the row, the value and the class count.
     *
     * <p>With w = classWeights (or all 1), W = sum of w[target] over counted rows and eps = labelSmoothing:
     * loss = sum_rows [(1 - eps) w[t] (-logp[t]) + eps / C * sum_c w[c] (-logp[c])] / W, as torch 1.13 computes it.
     */
    public static float crossEntropy(float[] logits, int off, int rows, int classes, int[] targets, int ignoreIndex,
            float labelSmoothing, float[] classWeights, float[] dLogits) {
        checkLogits("crossEntropy", logits, off, rows, classes, dLogits);
        if (targets.length < rows) {
            throw new IllegalArgumentException("crossEntropy: targets has " + targets.length + " entries for " + rows
                    + " rows");
        }
        if (!(labelSmoothing >= 0f && labelSmoothing <= 1f)) {
            throw new IllegalArgumentException("crossEntropy: labelSmoothing = " + labelSmoothing
                    + ", expected a value in [0, 1]");
        }
        if (classWeights != null && classWeights.length != classes) {
            throw new IllegalArgumentException("crossEntropy: classWeights has " + classWeights.length
                    + " entries, expected one per class (" + classes + ")");
        }
        double weightTotal = 0;
        for (int r = 0; r < rows; r++) {
            int t = targets[r];
            if (t == ignoreIndex) {
                continue;
            }
            if (t < 0 || t >= classes) {
                throw new IllegalArgumentException("crossEntropy: target " + t + " at row " + r
                        + " is out of range for " + classes + " classes (expected 0.." + (classes - 1)
                        + " or ignoreIndex " + ignoreIndex + ")");
            }
            weightTotal += classWeights != null ? classWeights[t] : 1.0;
        }
        if (weightTotal == 0) {
            if (dLogits != null) {
                Arrays.fill(dLogits, 0, rows * classes, 0f);
            }
            return 0f;
        }
        double classWeightSum = classes;
        if (classWeights != null) {
            classWeightSum = 0;
            for (float w : classWeights) {
                classWeightSum += w;
            }
        }
        double smooth = labelSmoothing;
        double hard = 1.0 - smooth;
        double smoothPerClass = smooth / classes;
        double invTotal = 1.0 / weightTotal;
        double sumWeights = classWeightSum;
        double[] rowLoss = new double[rows];
        CpuParallel.parallelFor(rows, Math.max(1, GRAIN / classes), (from, to) -> {
            double[] lp = new double[classes];
            for (int r = from; r < to; r++) {
                int t = targets[r];
                int base = off + r * classes;
                if (t == ignoreIndex) {
                    if (dLogits != null) {
                        Arrays.fill(dLogits, r * classes, (r + 1) * classes, 0f);
                    }
                    continue;
                }
                logSoftmaxRow(logits, base, classes, lp);
                double wt = classWeights != null ? classWeights[t] : 1.0;
                double smoothSum = 0;
                if (smooth != 0) {
                    for (int c = 0; c < classes; c++) {
                        smoothSum -= (classWeights != null ? classWeights[c] : 1.0) * lp[c];
                    }
                }
                rowLoss[r] = hard * wt * -lp[t] + (smooth != 0 ? smoothPerClass * smoothSum : 0.0);
                if (dLogits != null) {
                    for (int c = 0; c < classes; c++) {
                        double p = Math.exp(lp[c]);
                        double g = hard * wt * (c == t ? p - 1.0 : p);
                        if (smooth != 0) {
                            g += smoothPerClass * (p * sumWeights - (classWeights != null ? classWeights[c] : 1.0));
                        }
                        dLogits[r * classes + c] = (float) (g * invTotal);
                    }
                }
            }
        });
        return (float) (sumInOrder(rowLoss) * invTotal);
    }

    /**
     * Soft-target cross-entropy (targets are distributions, rows x classes from index 0), mean over rows:
     * loss = sum_rows sum_c -q[c] logp[c] / rows, gradient (p * sum_c q[c] - q) / rows (torch's probability-target
     * cross_entropy).
     */
    public static float softCrossEntropy(float[] logits, int off, int rows, int classes, float[] targetProbs,
            float[] dLogits) {
        checkLogits("softCrossEntropy", logits, off, rows, classes, dLogits);
        if (targetProbs.length < rows * classes) {
            throw new IllegalArgumentException("softCrossEntropy: targetProbs has " + targetProbs.length
                    + " entries, expected rows x classes = " + rows + " x " + classes);
        }
        if (rows == 0) {
            return 0f;
        }
        double invRows = 1.0 / rows;
        double[] rowLoss = new double[rows];
        CpuParallel.parallelFor(rows, Math.max(1, GRAIN / classes), (from, to) -> {
            double[] lp = new double[classes];
            for (int r = from; r < to; r++) {
                int base = off + r * classes;
                int tb = r * classes;
                logSoftmaxRow(logits, base, classes, lp);
                double loss = 0;
                double qSum = 0;
                for (int c = 0; c < classes; c++) {
                    double q = targetProbs[tb + c];
                    if (q != 0) { // 0 * -inf (a masked class) counts as 0
                        loss -= q * lp[c];
                    }
                    qSum += q;
                }
                rowLoss[r] = loss;
                if (dLogits != null) {
                    for (int c = 0; c < classes; c++) {
                        dLogits[tb + c] = (float) ((Math.exp(lp[c]) * qSum - targetProbs[tb + c]) * invRows);
                    }
                }
            }
        });
        return (float) (sumInOrder(rowLoss) * invRows);
    }

    /**
     * Mean BCE with logits over n elements (torch's stable form): loss_i = w_i [(1 - y) x + lw (log1p(exp(-|x|)) +
     * max(-x, 0))] with lw = 1 + (posWeight[i % classes] - 1) y. posWeight (length classes) and the elementwise
     * weight (length n) are nullable; targets and dLogits are indexed from 0.
     */
    public static float bceWithLogits(float[] logits, int off, float[] targets, int n, int classes, float[] posWeight,
            float[] weight, float[] dLogits) {
        if (n < 0 || classes < 1 || n % classes != 0) {
            throw new IllegalArgumentException("bceWithLogits: n = " + n + " must be a non-negative multiple of classes = "
                    + classes);
        }
        if (targets.length < n || (weight != null && weight.length < n) || (dLogits != null && dLogits.length < n)) {
            throw new IllegalArgumentException("bceWithLogits: targets, weight and dLogits need n = " + n
                    + " entries, got " + targets.length + ", " + (weight == null ? "null" : weight.length) + ", "
                    + (dLogits == null ? "null" : dLogits.length));
        }
        if (posWeight != null && posWeight.length != classes) {
            throw new IllegalArgumentException("bceWithLogits: posWeight has " + posWeight.length
                    + " entries, expected one per class (" + classes + ")");
        }
        if (n == 0) {
            return 0f;
        }
        double invN = 1.0 / n;
        int blocks = (n + BCE_BLOCK - 1) / BCE_BLOCK;
        double[] partial = new double[blocks];
        CpuParallel.parallelFor(blocks, 1, (fromBlock, toBlock) -> {
            for (int b = fromBlock; b < toBlock; b++) {
                double acc = 0;
                int end = Math.min(n, (b + 1) * BCE_BLOCK);
                for (int i = b * BCE_BLOCK; i < end; i++) {
                    double x = logits[off + i];
                    double y = targets[i];
                    double lw = posWeight != null ? 1.0 + (posWeight[i % classes] - 1.0) * y : 1.0;
                    double w = weight != null ? weight[i] : 1.0;
                    double softplusNeg = Math.log1p(Math.exp(-Math.abs(x))) + Math.max(-x, 0.0);
                    acc += w * ((1.0 - y) * x + lw * softplusNeg);
                    if (dLogits != null) {
                        double sigmoidNeg = 1.0 / (1.0 + Math.exp(x));
                        dLogits[i] = (float) (w * ((1.0 - y) - lw * sigmoidNeg) * invN);
                    }
                }
                partial[b] = acc;
            }
        });
        return (float) (sumInOrder(partial) * invN);
    }

    /** log-softmax of one row into lp, in double. */
    static void logSoftmaxRow(float[] logits, int base, int classes, double[] lp) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < classes; c++) {
            max = Math.max(max, logits[base + c]);
        }
        double sum = 0;
        for (int c = 0; c < classes; c++) {
            sum += Math.exp(logits[base + c] - max);
        }
        double lse = max + Math.log(sum);
        for (int c = 0; c < classes; c++) {
            lp[c] = logits[base + c] - lse;
        }
    }

    private static double sumInOrder(double[] values) {
        double s = 0;
        for (double v : values) {
            s += v;
        }
        return s;
    }

    private static void checkLogits(String what, float[] logits, int off, int rows, int classes, float[] dLogits) {
        if (rows < 0 || classes < 1) {
            throw new IllegalArgumentException(what + ": need rows >= 0 and classes >= 1, got rows = " + rows
                    + ", classes = " + classes);
        }
        long need = (long) rows * classes;
        if (off < 0 || off + need > logits.length) {
            throw new IllegalArgumentException(what + ": logits needs rows x classes = " + rows + " x " + classes
                    + " elements from offset " + off + ", array has " + logits.length);
        }
        if (dLogits != null && dLogits.length < need) {
            throw new IllegalArgumentException(what + ": dLogits has " + dLogits.length + " elements, expected "
                    + need);
        }
    }
}
