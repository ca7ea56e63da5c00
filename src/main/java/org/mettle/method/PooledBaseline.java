package org.mettle.method;

import java.util.Locale;
import java.util.Random;
import org.mettle.autograd.GradMode;
import org.mettle.backend.Backend;
import org.mettle.models.Backbone;
import org.mettle.models.LayerConsumer;
import org.mettle.nn.Init;
import org.mettle.nn.Linear;
import org.mettle.nn.Module;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Tensor;

/**
 * Baselines that read each backbone's final tokens: mean-pooled over tokens, projected to D_c ({@code visual_proj},
 * {@code audio_proj}) and fed to the same task heads as Mettle (with K = 1).
 * <ul>
 *   <li>{@link Kind#LINEAR}: linear probe; backbones frozen and run under no-grad, only projections and head train.</li>
 *   <li>{@link Kind#FULL}: full fine-tuning; every backbone parameter trains.</li>
 *   <li>{@link Kind#BACKPROP_BOUND}: a memory lower bound of adapter methods such as LAVisH, whose trainable modules
 *       inside every block make gradients flow back through the whole frozen backbone. Here zero-initialised additive
 *       input prompts ({@code visual_prompt}, {@code audio_prompt}) are the only trainable tensors in front of the
 *       backbones, which alone makes every backbone op record its node and keep what its input gradient needs; the
 *       adapters' own tensors, latent tokens and their gradients are not counted, so a real LAVisH-style step needs
 *       at least this much.</li>
 * </ul>
 * Parameters of this module exclude the backbones (for FULL the caller also optimises the backbones' parameters).
 */
public final class PooledBaseline extends Module implements AvModel {
    public enum Kind {
        LINEAR("linear"), FULL("full"), BACKPROP_BOUND("backprop-bound");

        private final String cliName;

        Kind(String cliName) {
            this.cliName = cliName;
        }

        public String cliName() {
            return cliName;
        }

        /** The kind named on the command line, or null when the name is none of them. */
        public static Kind byName(String name) {
            for (Kind k : values()) {
                if (k.cliName.equals(name.toLowerCase(Locale.ROOT))) {
                    return k;
                }
            }
            return null;
        }
    }

    private final Kind kind;
    private final Task task;
    private final Backbone visual;
    private final Backbone audio;
    private final Tensor visualPrompt;
    private final Tensor audioPrompt;
    private final Linear visualProj;
    private final Linear audioProj;
    private final AveHead aveHead;
    private final AvvpHead avvpHead;

    /**
     * @param frameShape the frames' shape [rows, 3, H, W] and melShape the log-mel's [rows, frames, mel] (prompt sizes)
     */
    public PooledBaseline(Kind kind, Task task, Backbone visual, Backbone audio, int[] frameShape, int[] melShape, int commonWidth, long seed) {
        super(visual.module().backend());
        Backend be = visual.module().backend();
        Random random = new Random(seed);
        this.kind = kind;
        this.task = task;
        this.visual = visual;
        this.audio = audio;
        boolean prompts = kind == Kind.BACKPROP_BOUND;
        visualPrompt = prompts ? parameter("visual_prompt", Init.constant(be, 0f, 1, frameShape[1], frameShape[2], frameShape[3])) : null;
        audioPrompt = prompts ? parameter("audio_prompt", Init.constant(be, 0f, 1, melShape[1], melShape[2])) : null;
        visualProj = child("visual_proj", new Linear(be, random, visual.layerWidth(visual.layerCount() - 1), commonWidth, true));
        audioProj = child("audio_proj", new Linear(be, random, audio.layerWidth(audio.layerCount() - 1), commonWidth, true));
        if (task == Task.AVE) {
            aveHead = child("head", new AveHead(be, random, commonWidth));
            avvpHead = null;
        } else {
            avvpHead = child("head", new AvvpHead(be, random, commonWidth));
            aveHead = null;
        }
        trainable(true);
        for (Backbone b : new Backbone[] {visual, audio}) {
            b.module().namedParameters().forEach((name, t) -> t.requiresGrad(kind == Kind.FULL && !isBuffer(name)));
        }
    }

    /** Batch-norm running statistics are registered as parameters but are buffers in PyTorch: never trained. */
    static boolean isBuffer(String name) {
        return name.contains("running_mean") || name.contains("running_var");
    }

    public Kind kind() {
        return kind;
    }

    @Override
    public String method() {
        return kind.cliName();
    }

    @Override
    public Task task() {
        return task;
    }

    /** This module's trainable tensors, then (full fine-tuning) the backbones' as {@code visual.*} and {@code audio.*}. */
    @Override
    public java.util.Map<String, Tensor> trainableTensors() {
        java.util.Map<String, Tensor> out = new java.util.LinkedHashMap<>();
        namedParameters().forEach((name, t) -> {
            if (t.requiresGrad()) {
                out.put(name, t);
            }
        });
        visual.module().namedParameters().forEach((name, t) -> {
            if (t.requiresGrad()) {
                out.put("visual." + name, t);
            }
        });
        audio.module().namedParameters().forEach((name, t) -> {
            if (t.requiresGrad()) {
                out.put("audio." + name, t);
            }
        });
        return out;
    }

    @Override
    public Group group(String name) {
        if (name.startsWith("visual.") || name.startsWith("audio.")) {
            return Group.BACKBONE;
        }
        return name.endsWith("_prompt") ? Group.METHOD : Group.HEAD;
    }

    @Override
    public Tensor aveLogits(Tensor frames, Tensor audioIn) {
        if (aveHead == null) {
            throw new IllegalStateException("this model was built for " + task + ", not AVE");
        }
        try (var g = GradMode.noGrad(); Scope s = Scope.open()) {
            Tensor mv = pooled(visual, visualPrompt == null ? frames : frames.add(visualPrompt), visualProj);
            Tensor ma = pooled(audio, audioPrompt == null ? audioIn : audioIn.add(audioPrompt), audioProj);
            return s.keep(aveHead.logits(ma, mv));
        }
    }

    @Override
    public AvvpHead.Output avvpOutput(Tensor frames, Tensor audioIn, int batch, int segments) {
        if (avvpHead == null) {
            throw new IllegalStateException("this model was built for " + task + ", not AVVP");
        }
        try (var g = GradMode.noGrad(); Scope s = Scope.open()) {
            Tensor mv = pooled(visual, visualPrompt == null ? frames : frames.add(visualPrompt), visualProj);
            Tensor ma = pooled(audio, audioPrompt == null ? audioIn : audioIn.add(audioPrompt), audioProj);
            AvvpHead.Output out = avvpHead.forward(ma, mv, batch, segments);
            s.keep(out.videoProb());
            s.keep(out.audioProb());
            s.keep(out.visualProb());
            return out;
        }
    }

    /** The loss of one batch (inputs and labels as {@link MettleModel#loss}). */
    @Override
    public Tensor loss(Tensor frames, Tensor audioIn, Tensor labels, int batch, int segments) {
        try (Scope s = Scope.open()) {
            Tensor mv = pooled(visual, visualPrompt == null ? frames : frames.add(visualPrompt), visualProj);
            Tensor ma = pooled(audio, audioPrompt == null ? audioIn : audioIn.add(audioPrompt), audioProj);
            if (task == Task.AVE) {
                return s.keep(AveHead.loss(aveHead.logits(ma, mv), labels));
            }
            try (AvvpHead.Output out = avvpHead.forward(ma, mv, batch, segments)) {
                return s.keep(AvvpHead.loss(out.videoProb(), labels));
            }
        }
    }

    /** Final tokens [S, N, D] -> mean over N -> D_c, as [S, 1, D_c] for the heads. */
    private Tensor pooled(Backbone backbone, Tensor input, Linear proj) {
        Tensor mean;
        if (kind == Kind.LINEAR) {
            try (var g = GradMode.noGrad()) {
                Tensor tokens = backbone.forward(input, LayerConsumer.NONE);
                mean = tokens.mean(false, 1);
                tokens.close();
            }
        } else {
            mean = backbone.forward(input, LayerConsumer.NONE).mean(false, 1);
        }
        Tensor projected = proj.forward(mean);
        return projected.reshape(projected.dim(0), 1, projected.dim(1));
    }
}
