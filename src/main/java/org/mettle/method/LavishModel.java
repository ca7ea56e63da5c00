package org.mettle.method;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.mettle.autograd.GradMode;
import org.mettle.backend.Backend;
import org.mettle.models.Backbone;
import org.mettle.models.BlockCursor;
import org.mettle.models.LayerOutput;
import org.mettle.nn.Linear;
import org.mettle.nn.Module;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Tensor;

/**
 * The LAVisH-style baseline: a {@link LavishAdapter} after every block of both frozen backbones, the two backbones
 * stepped in lock-step by depth fraction (the one with the smaller fraction of its blocks done goes next; ties go to
 * the visual one), each adapter reading the other modality's latest tokens. The final tokens of each backbone are
 * mean-pooled, projected to D_c ({@code visual_proj}, {@code audio_proj}) and fed to the same heads as Mettle with
 * K = 1 ({@code head.*}). Adapters are {@code visual_adapters.{l}.*} and {@code audio_adapters.{l}.*}.
 *
 * <p>The backbone weights stay frozen (no gradient), but since every adapter output requires grad, every backbone
 * op after the first adapter records its node and keeps what the input gradient needs: memory grows with depth.
 */
public final class LavishModel extends Module implements AvModel {
    /** One step of the lock-step schedule: which modality (0 visual, 1 audio) runs which block, and how many blocks the other has done. */
    record Turn(int modality, int layer, int otherDone) {}

    private final Task task;
    private final Backbone visual;
    private final Backbone audio;
    private final LavishAdapter[] visualAdapters;
    private final LavishAdapter[] audioAdapters;
    private final List<Turn> schedule;
    private final Linear visualProj;
    private final Linear audioProj;
    private final AveHead aveHead;
    private final AvvpHead avvpHead;

    public LavishModel(Task task, Backbone visual, Backbone audio, LavishConfig config, long seed) {
        super(visual.module().backend());
        Backend be = visual.module().backend();
        for (Backbone b : new Backbone[] {visual, audio}) {
            if (!b.module().trainableParameters().isEmpty()) {
                throw new IllegalArgumentException("LAVisH keeps the backbone weights frozen, but " + b.arch() + " has trainable parameters;"
                        + " call module().trainable(false) first");
            }
        }
        this.task = task;
        this.visual = visual;
        this.audio = audio;
        this.schedule = schedule(visual.layerCount(), audio.layerCount());
        Random random = new Random(seed);
        visualAdapters = new LavishAdapter[visual.layerCount()];
        audioAdapters = new LavishAdapter[audio.layerCount()];
        AdapterList va = child("visual_adapters", new AdapterList(be));
        AdapterList aa = child("audio_adapters", new AdapterList(be));
        for (Turn t : schedule) {
            Backbone self = t.modality() == 0 ? visual : audio;
            Backbone other = t.modality() == 0 ? audio : visual;
            LavishAdapter adapter = new LavishAdapter(be, random, self.layerWidth(t.layer()), widthAfter(other, t.otherDone()), config);
            if (t.modality() == 0) {
                visualAdapters[t.layer()] = va.add(t.layer(), adapter);
            } else {
                audioAdapters[t.layer()] = aa.add(t.layer(), adapter);
            }
        }
        visualProj = child("visual_proj", new Linear(be, random, visual.layerWidth(visual.layerCount() - 1), config.commonWidth(), true));
        audioProj = child("audio_proj", new Linear(be, random, audio.layerWidth(audio.layerCount() - 1), config.commonWidth(), true));
        if (task == Task.AVE) {
            aveHead = child("head", new AveHead(be, random, config.commonWidth()));
            avvpHead = null;
        } else {
            avvpHead = child("head", new AvvpHead(be, random, config.commonWidth()));
            aveHead = null;
        }
        trainable(true);
    }

    /** Children named by block index. */
    private static final class AdapterList extends Module {
        AdapterList(Backend backend) {
            super(backend);
        }

        LavishAdapter add(int layer, LavishAdapter a) {
            return child(Integer.toString(layer), a);
        }
    }

    /** The lock-step order: the backbone with the smaller fraction of its blocks done runs its next block (visual on ties). */
    static List<Turn> schedule(int visualLayers, int audioLayers) {
        List<Turn> turns = new ArrayList<>();
        int v = 0;
        int a = 0;
        while (v < visualLayers || a < audioLayers) {
            boolean visualNext = a >= audioLayers || (v < visualLayers && (long) v * audioLayers <= (long) a * visualLayers);
            if (visualNext) {
                turns.add(new Turn(0, v++, a));
            } else {
                turns.add(new Turn(1, a++, v));
            }
        }
        return turns;
    }

    /** Width of a backbone's tokens after {@code done} blocks (the embedding has the first block's width). */
    private static int widthAfter(Backbone b, int done) {
        return b.layerWidth(Math.max(0, done - 1));
    }

    public LavishAdapter visualAdapter(int layer) {
        return visualAdapters[layer];
    }

    public LavishAdapter audioAdapter(int layer) {
        return audioAdapters[layer];
    }

    @Override
    public String method() {
        return "lavish";
    }

    @Override
    public Task task() {
        return task;
    }

    @Override
    public Map<String, Tensor> trainableTensors() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        namedParameters().forEach((name, t) -> {
            if (t.requiresGrad()) {
                out.put(name, t);
            }
        });
        return out;
    }

    @Override
    public Group group(String name) {
        return name.startsWith("visual_adapters.") || name.startsWith("audio_adapters.") ? Group.METHOD : Group.HEAD;
    }

    /**
     * Both backbones' final normed tokens, [rows, N_v, D_v] and [rows, N_a, D_a], after the adapted lock-step forward.
     * Records a graph when grad mode is on. The caller owns both.
     */
    public Tensor[] finalTokens(Tensor frames, Tensor audioIn) {
        if (frames.dim(0) != audioIn.dim(0)) {
            throw new IllegalArgumentException("LAVisH pairs each frame with its audio segment: frames " + frames.describeShort()
                    + " and audio " + audioIn.describeShort() + " must have the same number of rows");
        }
        try (BlockCursor v = visual.start(frames, false); BlockCursor a = audio.start(audioIn, false)) {
            for (Turn t : schedule) {
                BlockCursor self = t.modality() == 0 ? v : a;
                BlockCursor other = t.modality() == 0 ? a : v;
                LavishAdapter adapter = t.modality() == 0 ? visualAdapters[t.layer()] : audioAdapters[t.layer()];
                try (Scope s = Scope.open()) {
                    LayerOutput out = self.next();
                    self.replaceTokens(adapter.forward(out.tokens(), other.tokens()));
                }
            }
            Tensor fv = v.finish();
            Tensor fa = a.finish();
            return new Tensor[] {fv, fa};
        }
    }

    /** Pooled and projected tokens [rows, 1, D_c] of each modality: {visual, audio}. */
    private Tensor[] pooled(Tensor frames, Tensor audioIn) {
        try (Scope s = Scope.open()) {
            Tensor[] tokens = finalTokens(frames, audioIn);
            Tensor mv = visualProj.forward(tokens[0].mean(false, 1));
            Tensor ma = audioProj.forward(tokens[1].mean(false, 1));
            return new Tensor[] {s.keep(mv.reshape(mv.dim(0), 1, mv.dim(1))), s.keep(ma.reshape(ma.dim(0), 1, ma.dim(1)))};
        }
    }

    @Override
    public Tensor loss(Tensor frames, Tensor audioIn, Tensor labels, int batch, int segments) {
        try (Scope s = Scope.open()) {
            Tensor[] m = pooled(frames, audioIn);
            if (task == Task.AVE) {
                return s.keep(AveHead.loss(aveHead.logits(m[1], m[0]), labels));
            }
            try (AvvpHead.Output out = avvpHead.forward(m[1], m[0], batch, segments)) {
                return s.keep(AvvpHead.loss(out.videoProb(), labels));
            }
        }
    }

    @Override
    public Tensor aveLogits(Tensor frames, Tensor audioIn) {
        if (aveHead == null) {
            throw new IllegalStateException("this model was built for " + task + ", not AVE");
        }
        try (var g = GradMode.noGrad(); Scope s = Scope.open()) {
            Tensor[] m = pooled(frames, audioIn);
            return s.keep(aveHead.logits(m[1], m[0]));
        }
    }

    @Override
    public AvvpHead.Output avvpOutput(Tensor frames, Tensor audioIn, int batch, int segments) {
        if (avvpHead == null) {
            throw new IllegalStateException("this model was built for " + task + ", not AVVP");
        }
        try (var g = GradMode.noGrad(); Scope s = Scope.open()) {
            Tensor[] m = pooled(frames, audioIn);
            AvvpHead.Output out = avvpHead.forward(m[1], m[0], batch, segments);
            s.keep(out.videoProb());
            s.keep(out.audioProb());
            s.keep(out.visualProb());
            return out;
        }
    }
}
