package org.mettle.cli;

import java.nio.file.Path;
import java.util.Locale;
import org.mettle.backend.Backends;
import org.mettle.models.Architectures;
import org.mettle.models.Backbone;
import org.mettle.pretrain.LinearProbe;
import org.mettle.pretrain.PretrainExamples;
import org.mettle.pretrain.PretrainOptions;
import org.mettle.pretrain.PretrainTarget;
import org.mettle.pretrain.Pretrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Pretrains a tiny backbone on synthetic single-modality classification and saves its weights (backbone only). */
@Command(name = "pretrain", mixinStandardHelpOptions = true,
        description = "Pretrain a backbone (e.g. swinv2_mini_window4_64 or htsat_mini) on synthetic single-modality classification"
                + " (the synthetic datasets' class looks or class sounds); saves only the backbone's tensors, loadable by name.")
public final class PretrainCommand implements Runnable {
    /** Seed offset of the probe's training examples (never seen in pretraining). */
    private static final long PROBE_SALT = 0x9B0BEL;
    @Option(names = "--arch", required = true, description = "backbone architecture, e.g. swinv2_mini_window4_64 or htsat_mini") String arch;
    @Option(names = "--steps", required = true, description = "optimizer steps") int steps;
    @Option(names = "--batch", defaultValue = "32", description = "examples per step (default ${DEFAULT-VALUE})") int batch;
    @Option(names = "--lr", defaultValue = "2e-3", description = "peak learning rate (default ${DEFAULT-VALUE})") double lr;
    @Option(names = "--seed", defaultValue = "0", description = "seed of the weights and of the training examples (default ${DEFAULT-VALUE})") long seed;
    @Option(names = "--out", required = true, description = "the .safetensors file to write (atomically)") Path out;
    @Option(names = "--classes", defaultValue = "28", description = "classes to learn, the first N of the synthetic sets (default ${DEFAULT-VALUE})") int classes;
    @Option(names = "--target", defaultValue = "class", description = "what the labels name: class (default), or a coarser attribute of"
            + " it, like real pretraining labels that differ from the downstream task's: shape (k %% 7) or texture ((k / 7) %% 4) for"
            + " visual archs, timbre (k %% 4) for audio archs") String target;
    @Option(names = "--warmup", defaultValue = "-1", description = "warm-up steps (default: 5 %% of --steps)") int warmup;
    @Option(names = "--weight-decay", defaultValue = "0.05", description = "AdamW weight decay on matrices (default ${DEFAULT-VALUE})") double weightDecay;
    @Option(names = "--val-examples", defaultValue = "512", description = "held-out validation examples (default ${DEFAULT-VALUE})") int valExamples;
    @Option(names = "--eval-every", defaultValue = "0", description = "steps between validations (default: about 10 %% of --steps)") int evalEvery;
    @Option(names = "--probe-examples", defaultValue = "0", description = "after training, fit a linear probe on the frozen features of"
            + " this many fresh examples (loaded back from --out) and of a random-init backbone, scored on the validation set (default: no probe)")
    int probeExamples;
    @Option(names = "--json", description = "print one JSON object as the last line of stdout") boolean json;

    @Override
    public void run() {
        if (probeExamples < 0) {
            throw new IllegalArgumentException("--probe-examples must be >= 0, got " + probeExamples);
        }
        PretrainTarget t = PretrainTarget.parse(target);
        String command = String.format(Locale.ROOT, "mettle pretrain --arch %s --steps %d --batch %d --lr %s --seed %d --out %s --classes %d"
                + " --target %s --warmup %d --weight-decay %s --val-examples %d --eval-every %d", arch, steps, batch, lr, seed, out, classes,
                t.id(), warmup, weightDecay, valExamples, evalEvery);
        PretrainOptions o = new PretrainOptions(arch, steps, batch, lr, seed, out, classes, t, warmup, weightDecay, valExamples, evalEvery, command);
        Pretrainer.Result r = Pretrainer.run(o, new Pretrainer.Listener() {
            private final int reportEvery = Math.max(1, o.steps() / 50);

            @Override
            public void onStep(int step, int total, float loss, double rate, double seconds) {
                if (step % reportEvery == 0 || step == 1) {
                    double eta = seconds / step * (total - step);
                    System.err.printf(Locale.ROOT, "pretrain %s: step %d/%d  loss %.4f  lr %.2e  %.1f examples/s since start  %.0f s, eta %.0f s%n",
                            arch, step, total, loss, rate, (double) step * o.batch() / seconds, seconds, eta);
                }
            }

            @Override
            public void onEval(int step, int total, double accuracy, double meanLoss, double seconds) {
                System.err.printf(Locale.ROOT, "pretrain %s: step %d/%d  validation accuracy %.4f (%d examples)  mean train loss %.4f  %.0f s%n",
                        arch, step, total, accuracy, o.valExamples(), meanLoss, seconds);
            }
        });
        System.out.printf(Locale.ROOT, "wrote %s: %s backbone (%d parameters) after %d steps of %d, seed %d; held-out accuracy %.4f on %d"
                        + " examples (%d labels: %d %s of %d classes + nothing); %.1f s%n",
                r.out(), r.arch(), r.backboneParameters(), r.steps(), o.batch(), o.seed(), r.valAccuracy(), r.valExamples(),
                t.labelsFor(o.classes()) + 1, t.labelsFor(o.classes()), t == PretrainTarget.CLASS ? "classes" : t.id() + "s", o.classes(), r.seconds());
        String probeJson = "";
        if (probeExamples > 0) {
            LinearProbe.Score trained = probe(true, t);
            LinearProbe.Score random = probe(false, t);
            System.out.printf(Locale.ROOT, "linear probe on frozen mean-pooled features (%d fresh examples, %d-dim), held-out accuracy:"
                    + " pretrained %.4f (train %.4f), random init %.4f (train %.4f)%n", probeExamples, trained.width(),
                    trained.testAccuracy(), trained.trainAccuracy(), random.testAccuracy(), random.trainAccuracy());
            probeJson = String.format(Locale.ROOT, ",\"probe_accuracy\":%.4f,\"random_init_probe_accuracy\":%.4f",
                    trained.testAccuracy(), random.testAccuracy());
        }
        if (json) {
            System.out.printf(Locale.ROOT, "{\"arch\":\"%s\",\"target\":\"%s\",\"steps\":%d,\"val_accuracy\":%.4f,\"seconds\":%.1f%s}%n",
                    r.arch(), t.id(), r.steps(), r.valAccuracy(), r.seconds(), probeJson);
        }
    }

    /** The probe on the backbone loaded back from --out (strictly), or on a random-init one of the same seed. */
    private LinearProbe.Score probe(boolean pretrained, PretrainTarget t) {
        try (Backbone b = Architectures.create(arch, Backends.cpu(), seed)) {
            if (pretrained) {
                Architectures.loadWeights(b, out);
            }
            return LinearProbe.fit(b, new PretrainExamples(arch, classes, t, seed + PROBE_SALT), probeExamples,
                    new PretrainExamples(arch, classes, t, Pretrainer.VALIDATION_SEED), valExamples, 300, seed);
        }
    }
}
