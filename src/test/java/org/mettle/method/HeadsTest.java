package org.mettle.method;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Tensor;

/** AVE and AVVP heads: forward against hand-written references, gradients against finite differences. */
class HeadsTest {
    private static final int BATCH = 2;
    private static final int SEGMENTS = 3;
    private static final int K = 2;
    private static final int DC = 4;

    private static Tensor input(Random r) {
        float[] v = new float[BATCH * SEGMENTS * K * DC];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return Tensor.of(v, BATCH * SEGMENTS, K, DC).requiresGrad(true);
    }

    @Test
    void aveGradientsMatchFiniteDifferences() {
        Backend be = Backends.cpu();
        Random r = new Random(31);
        try (Scope s = Scope.open(); AveHead head = new AveHead(be, r, DC, 5, AveHead.CLASSES)) {
            Tensor audio = input(r);
            Tensor visual = input(r);
            Tensor labels = Tensor.ofInts(new int[] {0, 28, 3, 3, 17, 0}, 6);
            Map<String, Tensor> params = new LinkedHashMap<>(head.namedParameters());
            params.put("audio", audio);
            params.put("visual", visual);
            GradientCheck.check("AVE head", () -> AveHead.loss(head.logits(audio, visual), labels), params, 1e-2f, 2e-2, 1e-4, 30);
        }
    }

    @Test
    void aveLogitsPoolBothModalities() {
        Backend be = Backends.cpu();
        Random r = new Random(32);
        try (Scope s = Scope.open(); AveHead head = new AveHead(be, r, DC, 5, 3)) {
            Tensor audio = input(r);
            Tensor visual = input(r);
            float[] out = head.logits(audio, visual).toFloatArray();
            float[] a = audio.toFloatArray();
            float[] v = visual.toFloatArray();
            Map<String, Tensor> p = head.namedParameters();
            float[] w1 = p.get("fc1.weight").toFloatArray();
            float[] b1 = p.get("fc1.bias").toFloatArray();
            float[] w2 = p.get("fc2.weight").toFloatArray();
            float[] b2 = p.get("fc2.bias").toFloatArray();
            for (int row = 0; row < BATCH * SEGMENTS; row++) {
                double[] pooled = new double[2 * DC];
                for (int k = 0; k < K; k++) {
                    for (int c = 0; c < DC; c++) {
                        pooled[c] += a[(row * K + k) * DC + c] / (double) K;
                        pooled[DC + c] += v[(row * K + k) * DC + c] / (double) K;
                    }
                }
                double[] hidden = new double[5];
                for (int h = 0; h < 5; h++) {
                    double acc = b1[h];
                    for (int i = 0; i < 2 * DC; i++) {
                        acc += w1[h * 2 * DC + i] * pooled[i];
                    }
                    hidden[h] = org.mettle.backend.UnaryOp.GELU.apply((float) acc);
                }
                for (int c = 0; c < 3; c++) {
                    double acc = b2[c];
                    for (int h = 0; h < 5; h++) {
                        acc += w2[c * 5 + h] * hidden[h];
                    }
                    assertEquals(acc, out[row * 3 + c], 1e-5, "logit " + row + "," + c);
                }
            }
        }
    }

    @Test
    void avvpGradientsMatchFiniteDifferences() {
        Backend be = Backends.cpu();
        Random r = new Random(33);
        try (Scope s = Scope.open(); AvvpHead head = new AvvpHead(be, r, DC, 5)) {
            Tensor audio = input(r);
            Tensor visual = input(r);
            Tensor labels = Tensor.of(new float[] {1, 0, 0, 1, 0, 0, 0, 1, 0, 0}, BATCH, 5);
            Map<String, Tensor> params = new LinkedHashMap<>(head.namedParameters());
            params.put("audio", audio);
            params.put("visual", visual);
            GradientCheck.check("AVVP head", () -> {
                AvvpHead.Output out = head.forward(audio, visual, BATCH, SEGMENTS);
                return AvvpHead.loss(out.videoProb(), labels);
            }, params, 1e-2f, 2e-2, 1e-4, 30);
        }
    }

    /** Video probability = sum over (segment, modality) of softmax(att) * sigmoid(prob), per class; BCE by hand. */
    @Test
    void avvpPoolingAndLossMatchHandComputation() {
        Backend be = Backends.cpu();
        Random r = new Random(34);
        int classes = 3;
        try (Scope s = Scope.open(); AvvpHead head = new AvvpHead(be, r, DC, classes)) {
            Tensor audio = input(r);
            Tensor visual = input(r);
            AvvpHead.Output out = head.forward(audio, visual, BATCH, SEGMENTS);
            float[] a = audio.toFloatArray();
            float[] v = visual.toFloatArray();
            Map<String, Tensor> p = head.namedParameters();
            float[] wp = p.get("prob.weight").toFloatArray();
            float[] bp = p.get("prob.bias").toFloatArray();
            float[] wa = p.get("att.weight").toFloatArray();
            float[] ba = p.get("att.bias").toFloatArray();
            float[] video = out.videoProb().toFloatArray();
            float[] audioProb = out.audioProb().toFloatArray();
            float[] visualProb = out.visualProb().toFloatArray();
            float[] labels = {1, 0, 1, 0, 0, 1};
            double expectedLoss = 0;
            for (int b = 0; b < BATCH; b++) {
                for (int c = 0; c < classes; c++) {
                    double[] prob = new double[2 * SEGMENTS];
                    double[] att = new double[2 * SEGMENTS];
                    double total = 0;
                    for (int t = 0; t < SEGMENTS; t++) {
                        for (int m = 0; m < 2; m++) {
                            float[] src = m == 0 ? a : v;
                            double lp = bp[c];
                            double la = ba[c];
                            for (int e = 0; e < DC; e++) {
                                double x = 0;
                                for (int k = 0; k < K; k++) {
                                    x += src[(((b * SEGMENTS + t) * K) + k) * DC + e] / (double) K;
                                }
                                lp += wp[c * DC + e] * x;
                                la += wa[c * DC + e] * x;
                            }
                            prob[t * 2 + m] = 1 / (1 + Math.exp(-lp));
                            att[t * 2 + m] = Math.exp(la);
                            total += att[t * 2 + m];
                        }
                        assertEquals(prob[t * 2], audioProb[(b * SEGMENTS + t) * classes + c], 1e-5, "audio segment score");
                        assertEquals(prob[t * 2 + 1], visualProb[(b * SEGMENTS + t) * classes + c], 1e-5, "visual segment score");
                    }
                    double pooled = 0;
                    for (int i = 0; i < prob.length; i++) {
                        pooled += att[i] / total * prob[i];
                    }
                    assertEquals(pooled, video[b * classes + c], 1e-5, "video probability " + b + "," + c);
                    double y = labels[b * classes + c];
                    double q = pooled * (1 - 2 * AvvpHead.EPS) + AvvpHead.EPS;
                    expectedLoss -= (y * Math.log(q) + (1 - y) * Math.log(1 - q)) / (BATCH * classes);
                }
            }
            float loss = AvvpHead.loss(out.videoProb(), Tensor.of(labels, BATCH, classes)).item();
            assertEquals(expectedLoss, loss, 1e-5, "BCE on the pooled probabilities");
        }
    }

    /** Saturated scores stay finite: the loss squeezes probabilities away from 0 and 1. */
    @Test
    void avvpLossIsFiniteAtCertainty() {
        try (Scope s = Scope.open()) {
            float loss = AvvpHead.loss(Tensor.of(new float[] {1f, 0f, 1f, 0f}, 2, 2), Tensor.of(new float[] {0f, 1f, 1f, 0f}, 2, 2)).item();
            assertEquals(-Math.log(AvvpHead.EPS) / 2, loss, 0.05, "two of four maximally wrong");
        }
    }
}
