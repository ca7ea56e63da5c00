package org.mettle.cli;

import java.nio.file.Path;
import java.util.Locale;
import org.mettle.pretrain.PretrainOptions;
import org.mettle.pretrain.Pretrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Pretrains a tiny backbone on synthetic single-modality classification and saves its weights (backbone only). */
@Command(name = "pretrain", mixinStandardHelpOptions = true,
        description = "Pretrain a backbone (e.g. swinv2_mini_window4_64 or htsat_mini) on synthetic single-modality classification"
                + " (the synthetic datasets' class looks or class sounds); saves only the backbone's tensors, loadable by name.")
public final class PretrainCommand implements Runnable {
    @Option(names = "--arch", required = true, description = "backbone architecture, e.g. swinv2_mini_window4_64 or htsat_mini") String arch;
    @Option(names = "--steps", required = true, description = "optimizer steps") int steps;
    @Option(names = "--batch", defaultValue = "32", description = "examples per step (default ${DEFAULT-VALUE})") int batch;
    @Option(names = "--lr", defaultValue = "2e-3", description = "peak learning rate (default ${DEFAULT-VALUE})") double lr;
    @Option(names = "--seed", defaultValue = "0", description = "seed of the weights and of the training examples (default ${DEFAULT-VALUE})") long seed;
    @Option(names = "--out", required = true, description = "the .safetensors file to write (atomically)") Path out;
    @Option(names = "--classes", defaultValue = "28", description = "classes to learn, the first N of the synthetic sets (default ${DEFAULT-VALUE})") int classes;
    @Option(names = "--warmup", defaultValue = "-1", description = "warm-up steps (default: 5 % of --steps)") int warmup;
    @Option(names = "--weight-decay", defaultValue = "0.05", description = "AdamW weight decay on matrices (default ${DEFAULT-VALUE})") double weightDecay;
    @Option(names = "--val-examples", defaultValue = "512", description = "held-out validation examples (default ${DEFAULT-VALUE})") int valExamples;
    @Option(names = "--eval-every", defaultValue = "0", description = "steps between validations (default: about 10 % of --steps)") int evalEvery;
    @Option(names = "--json", description = "print one JSON object as the last line of stdout") boolean json;

    @Override
    public void run() {
        String command = String.format(Locale.ROOT, "mettle pretrain --arch %s --steps %d --batch %d --lr %s --seed %d --out %s --classes %d"
                + " --warmup %d --weight-decay %s --val-examples %d --eval-every %d", arch, steps, batch, lr, seed, out, classes, warmup,
                weightDecay, valExamples, evalEvery);
        PretrainOptions o = new PretrainOptions(arch, steps, batch, lr, seed, out, classes, warmup, weightDecay, valExamples, evalEvery, command);
        Pretrainer.Result r = Pretrainer.run(o, new Pretrainer.Listener() {
            private int reportEvery = Math.max(1, o.steps() / 50);

            @Override
            public void onStep(int step, int total, float loss, double rate, double seconds) {
                if (step % reportEvery == 0 || step == 1) {
                    double eta = seconds / step * (total - step);
                    System.err.printf(Locale.ROOT, "pretrain %s: step %d/%d  loss %.4f  lr %.2e  %.1f examples/s  %.0f s, eta %.0f s%n",
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
                        + " examples (%d labels: %d classes + nothing); %.1f s%n",
                r.out(), r.arch(), r.backboneParameters(), r.steps(), o.batch(), o.seed(), r.valAccuracy(), r.valExamples(),
                o.classes() + 1, o.classes(), r.seconds());
        if (json) {
            System.out.printf(Locale.ROOT, "{\"arch\":\"%s\",\"steps\":%d,\"val_accuracy\":%.4f,\"seconds\":%.1f}%n",
                    r.arch(), r.steps(), r.valAccuracy(), r.seconds());
        }
    }
}
