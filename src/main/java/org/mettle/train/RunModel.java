package org.mettle.train;

import java.nio.file.Path;
import org.mettle.backend.Backend;
import org.mettle.data.av.AvFrontEnd;
import org.mettle.method.AvModel;
import org.mettle.method.AvModels;
import org.mettle.models.Architectures;
import org.mettle.models.Backbone;
import org.mettle.nn.FrozenWeights;
import org.mettle.tensor.DType;

/**
 * The two backbones, the method's model over them and the matching front end, built from a {@link RunConfig}: the
 * same config gives the same initial tensors (backbones from their weight files or seeded random, the method's
 * tensors seeded by the config's seed), which is what lets eval and --resume rebuild a run.
 */
public final class RunModel implements AutoCloseable {
    private final RunConfig config;
    private final Backbone visual;
    private final Backbone audio;
    private final AvModel model;
    private final AvFrontEnd frontEnd;

    private RunModel(RunConfig config, Backbone visual, Backbone audio, AvModel model, AvFrontEnd frontEnd) {
        this.config = config;
        this.visual = visual;
        this.audio = audio;
        this.model = model;
        this.frontEnd = frontEnd;
    }

    /** Builds from an already validated and resolved config (weight paths found or null). */
    public static RunModel build(RunConfig config, Backend backend) {
        AvFrontEnd fe = AvFrontEnd.forArchs(config.visualArch, config.audioArch);
        Backbone visual = null;
        Backbone audio = null;
        try {
            DType weights = config.weightsDType();
            visual = backbone(config.visualArch, config.visualWeights, backend, config.seed * 31 + 1, weights);
            audio = backbone(config.audioArch, config.audioWeights, backend, config.seed * 31 + 2, weights);
            int side = fe.frameSide();
            int[] seg = fe.audioSegmentShape();
            AvModels.Options o = new AvModels.Options(config.lcd(), config.lavish(), new int[] {config.segments, 3, side, side},
                    new int[] {config.segments, seg[0], seg[1]}, config.seed);
            AvModel model = AvModels.create(config.method, config.taskEnum(), visual, audio, o);
            return new RunModel(config, visual, audio, model, fe);
        } catch (RuntimeException e) {
            if (visual != null) {
                visual.close();
            }
            if (audio != null) {
                audio.close();
            }
            throw e;
        }
    }

    /**
     * Rebuilds the model a checkpoint was trained as (its config from the metadata) and loads its trainable tensors.
     * Backbone weight files named in the config must exist (a fallback to random weights would silently change the
     * model); weights that were random at training time are stored as null and rebuilt from the seed.
     */
    public static RunModel fromCheckpoint(Path checkpoint, Backend backend, java.io.PrintStream log) {
        if (!java.nio.file.Files.isRegularFile(checkpoint)) {
            throw new IllegalArgumentException("checkpoint " + checkpoint + " does not exist");
        }
        RunState state = Checkpoint.readState(checkpoint);
        RunConfig config = RunConfig.fromJson(state.configJson(), checkpoint + " (config metadata)").validate();
        config.weightsOptional = false; // the run was trained on these files (or on random weights, stored as null)
        config.resolveWeights(log);
        RunModel run = build(config, backend);
        try {
            Checkpoint.load(checkpoint, run.model().trainableTensors(), null);
            return run;
        } catch (RuntimeException e) {
            run.close();
            throw e;
        }
    }

    /** With BF16 the weight matrices are BF16 from construction on (loading then rounds them; see FrozenWeights). */
    private static Backbone backbone(String arch, String weights, Backend backend, long seed, DType weightsDtype) {
        Backbone b = weightsDtype == DType.BF16
                ? FrozenWeights.buildInBf16(() -> Architectures.create(arch, backend, seed), Backbone::module)
                : Architectures.create(arch, backend, seed);
        if (weights != null) {
            Path file = RunConfig.locate(weights);
            if (file == null) {
                b.close();
                throw new IllegalArgumentException("backbone weights " + weights + " not found (relative paths resolve against the working"
                        + " directory, then " + RunConfig.installDir() + ")");
            }
            try {
                Architectures.loadWeights(b, file);
            } catch (RuntimeException e) {
                b.close();
                throw e;
            }
        }
        return b;
    }

    public RunConfig config() {
        return config;
    }

    public Backbone visual() {
        return visual;
    }

    public Backbone audio() {
        return audio;
    }

    public AvModel model() {
        return model;
    }

    public AvFrontEnd frontEnd() {
        return frontEnd;
    }

    @Override
    public void close() {
        model.close();
        visual.close();
        audio.close();
    }
}
