package org.mettle.method;

import java.util.Random;
import org.mettle.autograd.GradMode;
import org.mettle.backend.Backend;
import org.mettle.models.Backbone;
import org.mettle.nn.Module;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Tensor;
import org.mettle.train.AdamW;

/**
 * Mettle for AVE or AVVP: two frozen backbones (visual, audio), an {@link Lcd} on each and the task head. This module
 * holds only the trainable parts, named {@code visual_lcd.*}, {@code audio_lcd.*} and {@code head.*}; the backbones
 * are borrowed (not closed here) and must be frozen.
 *
 * <p>Inputs are per one-second segment with the segments folded into the batch: frames [B * T, 3, H, W], audio
 * log-mel [B * T, frames, mel]. Labels: AVE I32 [B * T] (class per segment), AVVP F32 [B, 25] (weak video labels).
 */
public final class MettleModel extends Module implements AvModel {
    private final Task task;
    private final Backbone visual;
    private final Backbone audio;
    private final Lcd visualLcd;
    private final Lcd audioLcd;
    private final AveHead aveHead;
    private final AvvpHead avvpHead;

    public MettleModel(Task task, Backbone visual, Backbone audio, LcdConfig config, long seed) {
        super(visual.module().backend());
        Backend be = visual.module().backend();
        for (Backbone b : new Backbone[] {visual, audio}) {
            if (!b.module().trainableParameters().isEmpty()) {
                throw new IllegalArgumentException("Mettle keeps the backbone frozen, but " + b.arch() + " has trainable parameters;"
                        + " call module().trainable(false) first");
            }
        }
        Random random = new Random(seed);
        this.task = task;
        this.visual = visual;
        this.audio = audio;
        visualLcd = child("visual_lcd", new Lcd(be, random, visual, config));
        audioLcd = child("audio_lcd", new Lcd(be, random, audio, config));
        if (task == Task.AVE) {
            aveHead = child("head", new AveHead(be, random, config.commonWidth()));
            avvpHead = null;
        } else {
            avvpHead = child("head", new AvvpHead(be, random, config.commonWidth()));
            aveHead = null;
        }
    }

    @Override
    public String method() {
        return "mettle";
    }

    @Override
    public Task task() {
        return task;
    }

    @Override
    public java.util.Map<String, Tensor> trainableTensors() {
        java.util.Map<String, Tensor> out = new java.util.LinkedHashMap<>();
        namedParameters().forEach((name, t) -> {
            if (t.requiresGrad()) {
                out.put(name, t);
            }
        });
        return out;
    }

    @Override
    public Group group(String name) {
        return name.startsWith("head.") ? Group.HEAD : Group.METHOD;
    }

    public Lcd visualLcd() {
        return visualLcd;
    }

    public Lcd audioLcd() {
        return audioLcd;
    }

    /** The task head (AVE or AVVP). */
    public Module head() {
        return aveHead != null ? aveHead : avvpHead;
    }

    /** The loss of one batch, with a graph over the LCD and head parameters when grad mode is on. */
    @Override
    public Tensor loss(Tensor frames, Tensor audioIn, Tensor labels, int batch, int segments) {
        checkSegments(frames, audioIn, batch, segments);
        try (Scope s = Scope.open()) {
            Tensor mv = visualLcd.distill(visual, frames);
            Tensor ma = audioLcd.distill(audio, audioIn);
            return s.keep(headLoss(ma, mv, labels, batch, segments));
        }
    }

    /** AVE logits [B * T, 29] (forward only, no graph). */
    @Override
    public Tensor aveLogits(Tensor frames, Tensor audioIn) {
        if (aveHead == null) {
            throw new IllegalStateException("this model was built for " + task + ", not AVE");
        }
        try (var g = GradMode.noGrad(); Scope s = Scope.open()) {
            return s.keep(aveHead.logits(audioLcd.distill(audio, audioIn), visualLcd.distill(visual, frames)));
        }
    }

    /** AVVP probabilities (forward only, no graph); the caller closes the output. */
    @Override
    public AvvpHead.Output avvpOutput(Tensor frames, Tensor audioIn, int batch, int segments) {
        if (avvpHead == null) {
            throw new IllegalStateException("this model was built for " + task + ", not AVVP");
        }
        try (var g = GradMode.noGrad(); Scope s = Scope.open()) {
            AvvpHead.Output out = avvpHead.forward(audioLcd.distill(audio, audioIn), visualLcd.distill(visual, frames), batch, segments);
            s.keep(out.videoProb());
            s.keep(out.audioProb());
            s.keep(out.visualProb());
            return out;
        }
    }

    private Tensor headLoss(Tensor ma, Tensor mv, Tensor labels, int batch, int segments) {
        if (task == Task.AVE) {
            return AveHead.loss(aveHead.logits(ma, mv), labels);
        }
        try (AvvpHead.Output out = avvpHead.forward(ma, mv, batch, segments)) {
            return AvvpHead.loss(out.videoProb(), labels);
        }
    }

    /**
     * One optimisation step; returns the loss. lowMemory: DESIGN §5's two-pass mode: a no-grad forward, the head's
     * gradient with respect to the averaged meta-tokens, then a second backbone forward in which each chosen layer
     * runs its LCD forward and backward at once, so no layer's keys and values outlive its callback.
     */
    public float trainStep(AdamW optimizer, Tensor frames, Tensor audioIn, Tensor labels, int batch, int segments, boolean lowMemory) {
        optimizer.zeroGrad();
        float value;
        if (!lowMemory) {
            try (Scope s = Scope.open()) {
                Tensor loss = loss(frames, audioIn, labels, batch, segments);
                loss.backward();
                value = readScalar(loss);
            }
        } else {
            checkSegments(frames, audioIn, batch, segments);
            try (Scope s = Scope.open()) {
                Tensor mv;
                Tensor ma;
                try (var g = GradMode.noGrad()) {
                    mv = visualLcd.distill(visual, frames);
                    ma = audioLcd.distill(audio, audioIn);
                }
                mv.requiresGrad(true);
                ma.requiresGrad(true);
                Tensor loss = headLoss(ma, mv, labels, batch, segments);
                loss.backward();
                value = readScalar(loss);
                visualLcd.backwardByLayer(visual, frames, mv.grad());
                audioLcd.backwardByLayer(audio, audioIn, ma.grad());
                mv.zeroGrad();
                ma.zeroGrad();
            }
        }
        optimizer.step();
        return value;
    }

    /**
     * The low-memory step with layer-wise updates: as the two-pass step of {@link #trainStep}, but the head is updated
     * as soon as its gradients exist and each LCD layer right after its backward in the second pass, its gradients
     * freed at once; so neither saved tensors nor gradients of more than one layer are ever live. Same result as
     * AdamW over all parameters.
     */
    public float trainStepLayerwise(LayerwiseAdamW optimizer, Tensor frames, Tensor audioIn, Tensor labels, int batch, int segments) {
        checkSegments(frames, audioIn, batch, segments);
        optimizer.zeroGrad();
        try (Scope s = Scope.open()) {
            Tensor mv;
            Tensor ma;
            try (var g = GradMode.noGrad()) {
                mv = visualLcd.distill(visual, frames);
                ma = audioLcd.distill(audio, audioIn);
            }
            mv.requiresGrad(true);
            ma.requiresGrad(true);
            Tensor loss = headLoss(ma, mv, labels, batch, segments);
            loss.backward();
            float value = readScalar(loss);
            optimizer.stepAndRelease(head());
            visualLcd.backwardByLayer(visual, frames, mv.grad(), optimizer::stepAndRelease);
            audioLcd.backwardByLayer(audio, audioIn, ma.grad(), optimizer::stepAndRelease);
            mv.zeroGrad();
            ma.zeroGrad();
            return value;
        }
    }

    private static float readScalar(Tensor t) {
        return t.device() == org.mettle.tensor.Device.META ? Float.NaN : t.item();
    }

    private void checkSegments(Tensor frames, Tensor audioIn, int batch, int segments) {
        if (frames.dim(0) != batch * segments || audioIn.dim(0) != batch * segments) {
            throw new IllegalArgumentException("frames " + frames.describeShort() + " and audio " + audioIn.describeShort()
                    + " must both hold batch x segments = " + batch + " x " + segments + " = " + batch * segments + " rows (segments fold into the batch)");
        }
    }

    /** Leaves the borrowed backbones open. */
    @Override
    public void close() {
        super.close();
    }
}
