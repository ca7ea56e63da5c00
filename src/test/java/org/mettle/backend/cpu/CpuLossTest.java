package org.mettle.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mettle.backend.cpu.RowsTestSupport.assertClose;
import static org.mettle.backend.cpu.RowsTestSupport.gaussian;
import static org.mettle.backend.cpu.RowsTestSupport.golden;
import static org.mettle.backend.cpu.RowsTestSupport.goldenInts;
import static org.mettle.backend.cpu.RowsTestSupport.toDouble;
import static org.mettle.backend.cpu.RowsTestSupport.uniform;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Losses against textbook double references, finite differences of those references, and torch golden outputs. */
class CpuLossTest {
    static final int IGNORE = -100;
    static final double H = 1e-5;

    /** Mean cross-entropy as torch defines it, written from the definition (log of softmax probabilities). */
    static double crossEntropyRef(double[] z, int rows, int classes, int[] t, double eps, float[] w) {
        double num = 0;
        double den = 0;
        for (int r = 0; r < rows; r++) {
            if (t[r] == IGNORE) {
                continue;
            }
            double sum = 0;
            for (int c = 0; c < classes; c++) {
                sum += Math.exp(z[r * classes + c]);
            }
            double wt = w != null ? w[t[r]] : 1;
            double nll = -Math.log(Math.exp(z[r * classes + t[r]]) / sum);
            double smooth = 0;
            for (int c = 0; c < classes; c++) {
                smooth += (w != null ? w[c] : 1) * -Math.log(Math.exp(z[r * classes + c]) / sum);
            }
            num += (1 - eps) * wt * nll + eps / classes * smooth;
            den += wt;
        }
        return num / den;
    }

    static double softCrossEntropyRef(double[] z, int rows, int classes, float[] q) {
        double total = 0;
        for (int r = 0; r < rows; r++) {
            double sum = 0;
            for (int c = 0; c < classes; c++) {
                sum += Math.exp(z[r * classes + c]);
            }
            for (int c = 0; c < classes; c++) {
                total -= q[r * classes + c] * Math.log(Math.exp(z[r * classes + c]) / sum);
            }
        }
        return total / rows;
    }

    static double bceRef(double[] x, float[] y, int classes, float[] posWeight, float[] weight) {
        double total = 0;
        for (int i = 0; i < x.length; i++) {
            double s = 1 / (1 + Math.exp(-x[i]));
            double pw = posWeight != null ? posWeight[i % classes] : 1;
            double l = -(pw * y[i] * Math.log(s) + (1 - y[i]) * Math.log(1 - s));
            total += (weight != null ? weight[i] : 1) * l;
        }
        return total / x.length;
    }

    @Test
    void crossEntropyMatchesReferenceAndFiniteDifferences() {
        Random rnd = new Random(31);
        for (int rows : new int[] {1, 3, 17, 60}) {
            for (int classes : new int[] {1, 7, 29}) {
                float[] logits = gaussian(rnd, rows * classes + 1, 3);
                int[] targets = new int[rows];
                for (int r = 0; r < rows; r++) {
                    targets[r] = r % 4 == 2 ? IGNORE : rnd.nextInt(classes);
                }
                float[] weights = uniform(rnd, classes, 0.2, 2);
                for (float smoothing : new float[] {0f, 0.1f}) {
                    for (boolean weighted : new boolean[] {false, true}) {
                        float[] w = weighted ? weights : null;
                        float[] grad = new float[rows * classes];
                        float loss = CpuLoss.crossEntropy(logits, 1, rows, classes, targets, IGNORE, smoothing, w, grad);
                        double[] z = toDouble(java.util.Arrays.copyOfRange(logits, 1, logits.length));
                        String what = "crossEntropy " + rows + "x" + classes + " smoothing " + smoothing
                                + (weighted ? " weighted" : "");
                        if (rows == 1 && targets[0] == IGNORE) {
                            continue;
                        }
                        assertClose(what, crossEntropyRef(z, rows, classes, targets, smoothing, w), loss, 1e-6, 1e-6);
                        double[] fd = RowsTestSupport.numericGradient(
                                v -> crossEntropyRef(v, rows, classes, targets, smoothing, w), z, H);
                        assertClose(what + " gradient", fd, grad, 1e-7, 1e-5);
                    }
                }
            }
        }
    }

    @Test
    void crossEntropyMatchesTorch() {
        float[] logits = golden("ce_logits");
        int[] targets = goldenInts("ce_targets");
        float[] weights = golden("ce_weights");
        int rows = 9;
        int classes = 7;
        String[] cases = {"ce_plain", "ce_smooth", "ce_weighted", "ce_weighted_smooth"};
        float[] smoothing = {0f, 0.15f, 0f, 0.15f};
        boolean[] weighted = {false, false, true, true};
        for (int i = 0; i < cases.length; i++) {
            float[] grad = new float[rows * classes];
            float loss = CpuLoss.crossEntropy(logits, 0, rows, classes, targets, IGNORE, smoothing[i],
                    weighted[i] ? weights : null, grad);
            assertClose(cases[i] + " loss vs torch", golden(cases[i] + "_loss")[0], loss, 1e-6, 1e-6);
            assertClose(cases[i] + " gradient vs torch", golden(cases[i] + "_dlogits"), grad, 1e-7, 1e-5);
        }
    }

    @Test
    void crossEntropyRejectsOutOfRangeTargetsNamingRowValueAndClasses() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CpuLoss.crossEntropy(new float[12], 0, 4, 3, new int[] {0, 2, 3, IGNORE}, IGNORE, 0f, null, null));
        String m = e.getMessage();
        assertTrue(m.contains("target 3") && m.contains("row 2") && m.contains("3 classes"), m);
        e = assertThrows(IllegalArgumentException.class,
                () -> CpuLoss.crossEntropy(new float[12], 0, 4, 3, new int[] {0, -1, 1, 1}, IGNORE, 0f, null, null));
        assertTrue(e.getMessage().contains("target -1") && e.getMessage().contains("row 1"), e.getMessage());
    }

    @Test
    void crossEntropyWithEveryRowIgnoredIsZero() {
        float[] grad = new float[6];
        java.util.Arrays.fill(grad, 9f);
        float loss = CpuLoss.crossEntropy(new float[] {1, 2, 3, 4, 5, 6}, 0, 2, 3, new int[] {IGNORE, IGNORE}, IGNORE,
                0.1f, null, grad);
        assertEquals(0f, loss);
        for (float g : grad) {
            assertEquals(0f, g);
        }
    }

    @Test
    void softCrossEntropyMatchesReferenceFiniteDifferencesAndTorch() {
        Random rnd = new Random(32);
        for (int rows : new int[] {1, 3, 17, 200}) {
            int classes = 11;
            float[] logits = gaussian(rnd, rows * classes, 2);
            float[] q = uniform(rnd, rows * classes, 0, 1);
            for (int r = 0; r < rows; r++) { // rows are distributions
                double s = 0;
                for (int c = 0; c < classes; c++) {
                    s += q[r * classes + c];
                }
                for (int c = 0; c < classes; c++) {
                    q[r * classes + c] /= s;
                }
            }
            float[] grad = new float[rows * classes];
            float loss = CpuLoss.softCrossEntropy(logits, 0, rows, classes, q, grad);
            double[] z = toDouble(logits);
            assertClose("softCrossEntropy rows " + rows, softCrossEntropyRef(z, rows, classes, q), loss, 1e-6, 1e-6);
            double[] fd = RowsTestSupport.numericGradient(v -> softCrossEntropyRef(v, rows, classes, q), z, H);
            assertClose("softCrossEntropy gradient rows " + rows, fd, grad, 1e-7, 1e-5);
        }
        float[] grad = new float[9 * 7];
        float loss = CpuLoss.softCrossEntropy(golden("ce_logits"), 0, 9, 7, golden("soft_ce_probs"), grad);
        assertClose("soft cross-entropy vs torch", golden("soft_ce_loss")[0], loss, 1e-6, 1e-6);
        assertClose("soft cross-entropy gradient vs torch", golden("soft_ce_dlogits"), grad, 1e-7, 1e-5);
    }

    @Test
    void bceWithLogitsMatchesReferenceAndFiniteDifferences() {
        Random rnd = new Random(33);
        for (int n : new int[] {1, 3, 17, 1000}) {
            int classes = n % 17 == 0 ? 17 : 1;
            float[] x = gaussian(rnd, n + 2, 4);
            float[] y = uniform(rnd, n, 0, 1);
            for (int i = 0; i < n; i += 2) {
                y[i] = y[i] > 0.5f ? 1f : 0f;
            }
            float[] pw = uniform(rnd, classes, 0.1, 3);
            float[] w = uniform(rnd, n, 0, 2);
            for (int variant = 0; variant < 3; variant++) {
                float[] posWeight = variant >= 1 ? pw : null;
                float[] weight = variant == 2 ? w : null;
                float[] grad = new float[n];
                float loss = CpuLoss.bceWithLogits(x, 2, y, n, classes, posWeight, weight, grad);
                double[] xd = toDouble(java.util.Arrays.copyOfRange(x, 2, x.length));
                String what = "bceWithLogits n=" + n + " variant " + variant;
                assertClose(what, bceRef(xd, y, classes, posWeight, weight), loss, 1e-6, 1e-6);
                double[] fd = RowsTestSupport.numericGradient(v -> bceRef(v, y, classes, posWeight, weight), xd, H);
                assertClose(what + " gradient", fd, grad, 1e-8, 1e-5);
            }
        }
    }

    @Test
    void bceWithLogitsIsStableForLargeLogits() {
        float[] x = {-200f, 200f, -200f, 200f};
        float[] y = {0f, 1f, 1f, 0f};
        float[] grad = new float[4];
        float loss = CpuLoss.bceWithLogits(x, 0, y, 4, 1, null, null, grad);
        assertEquals(100f, loss, 1e-4f); // two exact hits, two misses costing 200 each
        assertEquals(0f, grad[0], 0f);
        assertEquals(-0.25f, grad[2], 1e-7f);
        assertEquals(0.25f, grad[3], 1e-7f);
    }

    @Test
    void bceWithLogitsMatchesTorch() {
        float[] logits = golden("bce_logits");
        float[] targets = golden("bce_targets");
        float[] posWeight = golden("bce_pos_weight");
        float[] weight = golden("bce_weight");
        String[] cases = {"bce_plain", "bce_pos", "bce_pos_weighted"};
        for (int i = 0; i < cases.length; i++) {
            float[] grad = new float[30];
            float loss = CpuLoss.bceWithLogits(logits, 0, targets, 30, 6, i >= 1 ? posWeight : null,
                    i == 2 ? weight : null, grad);
            assertClose(cases[i] + " loss vs torch", golden(cases[i] + "_loss")[0], loss, 1e-6, 1e-6);
            assertClose(cases[i] + " gradient vs torch", golden(cases[i] + "_dlogits"), grad, 1e-8, 1e-5);
        }
    }
}
