package org.mettle.method;

import java.util.Random;
import org.mettle.autograd.ShapeOps;
import org.mettle.backend.Backend;
import org.mettle.nn.Linear;
import org.mettle.nn.Module;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Tensor;

/**
 * Audio-visual video parsing head (DESIGN §5) with attentive MIL pooling: the K-pooled audio and visual meta-tokens of
 * every segment x [B, T, 2, D_c] give per-segment, per-modality class probabilities p = sigmoid({@code prob}(x)) and
 * attention logits {@code att}(x); per class one softmax over all 2T (segment, modality) instances gives weights w,
 * and the video probability is sum of w * p, trained with binary cross-entropy on the weak video labels. (HAN's
 * product of a temporal and a modality softmax can exceed 1; the joint softmax keeps the video score a convex
 * combination of instance scores.)
 */
public final class AvvpHead extends Module {
    public static final int CLASSES = 25;
    /** Probabilities are squeezed into [EPS, 1 - EPS] before the log so the loss stays finite. */
    static final float EPS = 1e-6f;

    private final Linear prob;
    private final Linear att;

    /** videoProb [B, C]; audioProb and visualProb [B, T, C] (segment-level scores for evaluation). */
    public record Output(Tensor videoProb, Tensor audioProb, Tensor visualProb) implements AutoCloseable {
        @Override
        public void close() {
            videoProb.close();
            audioProb.close();
            visualProb.close();
        }
    }

    public AvvpHead(Backend backend, Random random, int commonWidth, int classes) {
        super(backend);
        prob = child("prob", new Linear(backend, random, commonWidth, classes, true));
        att = child("att", new Linear(backend, random, commonWidth, classes, true));
        trainable(true);
    }

    public AvvpHead(Backend backend, Random random, int commonWidth) {
        this(backend, random, commonWidth, CLASSES);
    }

    /** From audio and visual meta-tokens [B * T, K, D_c] (segments of a video consecutive). */
    public Output forward(Tensor audio, Tensor visual, int batch, int segments) {
        if (audio.rank() != 3 || !audio.shape().equals(visual.shape()) || audio.dim(0) != batch * segments) {
            throw new IllegalArgumentException("AVVP head takes audio and visual meta-tokens [" + batch + " x " + segments
                    + " segments, K, D_c], got " + audio.describeShort() + " and " + visual.describeShort());
        }
        int width = audio.dim(2);
        try (Scope s = Scope.open()) {
            Tensor a = audio.mean(false, 1).reshape(batch, segments, 1, width);
            Tensor v = visual.mean(false, 1).reshape(batch, segments, 1, width);
            Tensor x = ShapeOps.cat(2, a, v);
            Tensor p = prob.forward(x).sigmoid();
            int classes = p.dim(3);
            // softmax runs over the last axis: bring (segment, modality) last, flattened
            Tensor logits = att.forward(x).permute(0, 3, 1, 2).reshape(batch, classes, 2 * segments);
            Tensor weights = logits.softmax(2).reshape(batch, classes, segments, 2).permute(0, 2, 3, 1);
            Tensor video = weights.mul(p).sum(false, 1, 2);
            Tensor audioProb = p.slice(2, 0, 1).reshape(batch, segments, p.dim(3));
            Tensor visualProb = p.slice(2, 1, 2).reshape(batch, segments, p.dim(3));
            return new Output(s.keep(video), s.keep(audioProb), s.keep(visualProb));
        }
    }

    /** Mean binary cross-entropy of video probabilities [B, C] against weak labels in {0, 1} [B, C]. */
    public static Tensor loss(Tensor videoProb, Tensor labels) {
        if (!videoProb.shape().equals(labels.shape())) {
            throw new IllegalArgumentException("AVVP loss: labels " + labels.describeShort() + " must match probabilities " + videoProb.describeShort());
        }
        try (Scope s = Scope.open()) {
            Tensor p = videoProb.mul(1f - 2 * EPS).add(EPS);
            Tensor positive = labels.mul(p.log());
            Tensor negative = labels.neg().add(1f).mul(p.neg().add(1f).log());
            return s.keep(positive.add(negative).mean().neg());
        }
    }
}
