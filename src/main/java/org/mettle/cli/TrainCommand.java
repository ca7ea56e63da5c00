package org.mettle.cli;

import java.nio.file.Path;
import java.util.Locale;
import org.mettle.train.Checkpoint;
import org.mettle.train.JsonText;
import org.mettle.train.MetricsLog;
import org.mettle.train.ProgressBar;
import org.mettle.train.RunConfig;
import org.mettle.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Trains (or resumes) a method on AVE or AVVP; see docs/training.md. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a method (mettle, lavish, full, linear) on AVE or AVVP: checkpoints, metrics.jsonl and plots in --out.")
public final class TrainCommand implements Runnable {
    @Option(names = "--task", description = "ave or avvp (default: the config's, ave)") String task;
    @Option(names = "--method", description = "mettle, lavish, full or linear (default: the config's, mettle)") String method;
    @Option(names = "--data", required = true, description = "dataset root (AVE or LLP layout, docs/data.md) or 'synthetic'") String data;
    @Option(names = "--config", defaultValue = "tiny", description = "tiny, paper or a JSON file of config keys (default ${DEFAULT-VALUE})") String config;
    @Option(names = "--out", required = true, description = "run directory (must be new or empty unless --resume)") Path out;
    @Option(names = "--resume", description = "continue the run in --out from last.safetensors exactly") boolean resume;
    @Option(names = "--epochs", description = "number of epochs (overrides the config; on --resume it changes the schedule)") Integer epochs;
    @Option(names = "--batch", description = "videos per batch") Integer batch;
    @Option(names = "--lr-method", description = "learning rate of the method's own tensors (meta-tokens, LCD, adapters)") Double lrMethod;
    @Option(names = "--lr-head", description = "learning rate of the task head") Double lrHead;
    @Option(names = "--seed", description = "seed of everything random") Long seed;
    @Option(names = "--visual-weights", description = "visual backbone safetensors, or 'random'") String visualWeights;
    @Option(names = "--audio-weights", description = "audio backbone safetensors, or 'random'") String audioWeights;
    @Option(names = "--meta-tokens", description = "Mettle: meta-tokens per chosen layer") Integer metaTokens;
    @Option(names = "--layers", description = "Mettle: the layers LCD reads: all, every:K, last:N or a list like 0,5,11") String layers;
    @Option(names = "--bottleneck-ratio", description = "Mettle: LCD adaptation bottleneck ratio r (width D / r)") Integer bottleneckRatio;
    @Option(names = "--latent-tokens", description = "lavish: latent tokens per block and modality") Integer latentTokens;
    @Option(names = "--lavish-bottleneck-ratio", description = "lavish: adapter bottleneck ratio r (width max(8, D / r))") Integer lavishBottleneckRatio;
    @Option(names = "--low-memory", description = "Mettle's two-pass step that keeps nothing per layer") boolean lowMemory;
    @Option(names = "--workers", description = "data loading threads") Integer workers;
    @Option(names = "--weights-dtype", description = "f32 or bf16: store the frozen backbones' weight matrices in BF16 (half their memory; not with --method full)") String weightsDtype;
    @Option(names = "--stop-after-epoch", hidden = true, defaultValue = "0", description = "stop after this epoch as an interruption would (tests)") int stopAfterEpoch;
    @Option(names = "--json", description = "print one JSON object as the last line") boolean json;

    @Override
    public void run() {
        RunConfig c;
        if (resume) {
            Path last = out.resolve(Trainer.LAST);
            if (!java.nio.file.Files.isRegularFile(last)) {
                throw new IllegalArgumentException("--resume: " + last + " does not exist; nothing to resume (start without --resume)");
            }
            c = RunConfig.fromJson(Checkpoint.readState(last).configJson(), last + " (config metadata)");
            c.weightsOptional = false; // resuming on other backbone weights would silently change the run
            check("task", task, c.task);
            check("method", method, c.method);
            if (epochs != null) {
                c.epochs = epochs;
            }
            if (workers != null) {
                c.workers = workers;
            }
            if (batch != null || lrMethod != null || lrHead != null || seed != null || visualWeights != null || audioWeights != null || lowMemory
                    || weightsDtype != null || metaTokens != null || layers != null || bottleneckRatio != null || latentTokens != null
                    || lavishBottleneckRatio != null) {
                System.err.println("warning: --resume continues with the run's stored config; --batch, --lr-*, --seed, --*-weights,"
                        + " --low-memory, --weights-dtype and the method options are ignored (only --epochs and --workers apply)");
            }
        } else {
            c = RunConfig.named(config);
            if (task != null) {
                c.task = task.toLowerCase(Locale.ROOT);
            }
            if (method != null) {
                c.method = method.toLowerCase(Locale.ROOT);
            }
            if (epochs != null) {
                c.epochs = epochs;
            }
            if (batch != null) {
                c.batch = batch;
            }
            if (lrMethod != null) {
                c.lrMethod = lrMethod;
            }
            if (lrHead != null) {
                c.lrHead = lrHead;
            }
            if (seed != null) {
                c.seed = seed;
            }
            if (metaTokens != null) {
                c.metaTokens = metaTokens;
            }
            if (layers != null) {
                c.layers = layers;
            }
            if (bottleneckRatio != null) {
                c.bottleneckRatio = bottleneckRatio;
            }
            if (latentTokens != null) {
                c.lavishLatentTokens = latentTokens;
            }
            if (lavishBottleneckRatio != null) {
                c.lavishBottleneckRatio = lavishBottleneckRatio;
            }
            if (visualWeights != null) {
                c.visualWeights = givenWeights("--visual-weights", visualWeights);
            }
            if (audioWeights != null) {
                c.audioWeights = givenWeights("--audio-weights", audioWeights);
            }
            if (config.trim().equalsIgnoreCase("paper") && (visualWeights == null || audioWeights == null)) {
                throw new IllegalArgumentException("--config paper needs the paper backbones' weights: pass --visual-weights FILE and --audio-weights FILE"
                        + " (converted with weights/convert_to_safetensors.py), or 'random' to train on random backbones");
            }
            if (lowMemory) {
                c.lowMemory = true;
            }
            if (weightsDtype != null) {
                c.weightsDtype = weightsDtype.toLowerCase(Locale.ROOT);
            }
            if (workers != null) {
                c.workers = workers;
            }
        }
        c.validate();
        Trainer.Result r = Trainer.run(c, new Trainer.Options(out, data, resume, stopAfterEpoch, System.out, System.err, ProgressBar.onTerminal()));
        System.out.printf(Locale.ROOT, "best epoch %d: val %s%s%n", r.bestEpoch(), MetricsLog.format(r.bestVal()),
                r.test() == null ? "" : "; test " + MetricsLog.format(r.test()));
        System.out.printf(Locale.ROOT, "trainable parameters %,d, peak %s, %.1f ms per step; outputs in %s%n", r.trainableParams(),
                org.mettle.memory.MemoryLedger.bytes(r.peakBytes()), r.stepMs(), out);
        if (json) {
            System.out.println(JsonText.write(r.toMap(c)));
        }
    }

    /** A weight file given on the command line must exist ('random' = seeded random weights). */
    private static String givenWeights(String flag, String value) {
        if (value.equalsIgnoreCase("random")) {
            return null;
        }
        if (RunConfig.locate(value) == null) {
            throw new IllegalArgumentException(flag + " " + value + ": file not found (relative paths resolve against the working directory, then "
                    + RunConfig.installDir() + ")");
        }
        return value;
    }

    private void check(String key, String given, String stored) {
        if (given != null && !given.equalsIgnoreCase(stored)) {
            throw new IllegalArgumentException("--resume: the run in " + out + " was trained with " + key + " " + stored + ", not --" + key + " "
                    + given + "; drop --" + key + " or choose a new --out");
        }
    }
}
