package org.mettle.method;

import java.util.Random;
import org.mettle.backend.Backend;
import org.mettle.models.Backbone;
import org.mettle.models.LayerConsumer;
import org.mettle.nn.Init;
import org.mettle.nn.Linear;
import org.mettle.nn.Module;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;

/**
 * A memory lower bound for adapter baselines such as LAVisH, which put trainable modules inside every block so that
 * gradients flow back through the whole frozen backbone. Here the only trainable tensors before the backbone are
 * zero-initialised additive input prompts ({@code visual_prompt}, {@code audio_prompt}); that alone makes every
 * backbone op record its node and keep what its input-gradient needs, which is the bulk of an adapter method's
 * training memory. The final tokens are mean-pooled, projected to D_c ({@code visual_proj}, {@code audio_proj}) and fed
 * to the same task heads as Mettle (with K = 1). Adapters' own tensors, the cross-modal latent tokens and their
 * gradients are NOT counted, so a real LAVisH-style step needs at least this much memory.
 */
public final class BackpropBound extends Module {
    private final Task task;
    private final Backbone visual;
    private final Backbone audio;
    private final Tensor visualPrompt;
    private final Tensor audioPrompt;
    private final Linear visualProj;
    private final Linear audioProj;
    private final AveHead aveHead;
    private final AvvpHead avvpHead;

    public BackpropBound(Task task, Backbone visual, Backbone audio, int[] frameShape, int[] melShape, int commonWidth, long seed) {
        super(visual.module().backend());
        Backend be = visual.module().backend();
        Random random = new Random(seed);
        this.task = task;
        this.visual = visual;
        this.audio = audio;
        visualPrompt = parameter("visual_prompt", Init.constant(be, 0f, 1, frameShape[1], frameShape[2], frameShape[3]));
        audioPrompt = parameter("audio_prompt", Init.constant(be, 0f, 1, melShape[1], melShape[2]));
        int dv = visual.layerWidth(visual.layerCount() - 1);
        int da = audio.layerWidth(audio.layerCount() - 1);
        visualProj = child("visual_proj", new Linear(be, random, dv, commonWidth, true));
        audioProj = child("audio_proj", new Linear(be, random, da, commonWidth, true));
        if (task == Task.AVE) {
            aveHead = child("head", new AveHead(be, random, commonWidth));
            avvpHead = null;
        } else {
            avvpHead = child("head", new AvvpHead(be, random, commonWidth));
            aveHead = null;
        }
        trainable(true);
    }

    public Tensor loss(Tensor frames, Tensor audioIn, Tensor labels, int batch, int segments) {
        try (Scope s = Scope.open()) {
            Tensor mv = pooled(visual, frames.add(visualPrompt), visualProj);
            Tensor ma = pooled(audio, audioIn.add(audioPrompt), audioProj);
            if (task == Task.AVE) {
                return s.keep(AveHead.loss(aveHead.logits(ma, mv), labels));
            }
            try (AvvpHead.Output out = avvpHead.forward(ma, mv, batch, segments)) {
                return s.keep(AvvpHead.loss(out.videoProb(), labels));
            }
        }
    }

    /** Final tokens [S, N, D] -> mean over N -> D_c, as [S, 1, D_c] for the heads. */
    private static Tensor pooled(Backbone backbone, Tensor input, Linear proj) {
        Tensor tokens = backbone.forward(input, LayerConsumer.NONE);
        Tensor mean = tokens.mean(false, 1);
        Tensor projected = proj.forward(mean);
        return projected.reshape(projected.dim(0), 1, projected.dim(1));
    }

    static Shape shapeOf(int... dims) {
        return Shape.of(dims);
    }
}
