package org.mettle.method;

import java.util.Random;
import org.mettle.autograd.LossOps;
import org.mettle.autograd.ShapeOps;
import org.mettle.backend.Backend;
import org.mettle.nn.Linear;
import org.mettle.nn.Module;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Tensor;

/**
 * Audio-visual event localization head (DESIGN §5): per one-second segment, the audio and visual meta-tokens
 * [S, K, D_c] (S = batch x segments) are mean-pooled over K, concatenated and classified by an MLP
 * ({@code fc1} 2 D_c -> hidden, GELU, {@code fc2} hidden -> 29: 28 events + background).
 */
public final class AveHead extends Module {
    public static final int CLASSES = 29;

    private final Linear fc1;
    private final Linear fc2;

    public AveHead(Backend backend, Random random, int commonWidth, int hidden, int classes) {
        super(backend);
        fc1 = child("fc1", new Linear(backend, random, 2 * commonWidth, hidden, true));
        fc2 = child("fc2", new Linear(backend, random, hidden, classes, true));
        trainable(true);
    }

    public AveHead(Backend backend, Random random, int commonWidth) {
        this(backend, random, commonWidth, commonWidth, CLASSES);
    }

    /** Logits [S, classes] from audio and visual meta-tokens [S, K, D_c] each. */
    public Tensor logits(Tensor audio, Tensor visual) {
        if (audio.rank() != 3 || !audio.shape().equals(visual.shape())) {
            throw new IllegalArgumentException("AVE head takes audio and visual meta-tokens of one shape [segments, K, D_c], got "
                    + audio.describeShort() + " and " + visual.describeShort());
        }
        try (Scope s = Scope.open()) {
            Tensor pooled = ShapeOps.cat(1, audio.mean(false, 1), visual.mean(false, 1));
            return s.keep(fc2.forward(fc1.forward(pooled).gelu()));
        }
    }

    /** Mean cross-entropy of the logits against I32 segment labels [S]. */
    public static Tensor loss(Tensor logits, Tensor labels) {
        return LossOps.crossEntropy(logits, labels);
    }
}
