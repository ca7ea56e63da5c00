package org.mettle.pretrain;

import java.nio.file.Path;
import org.mettle.data.synthetic.SyntheticStimuli;
import org.mettle.models.Architectures;

/**
 * Settings of one pretraining run. warmupSteps = -1 picks 5 % of the steps; evalEvery = 0 evaluates about every
 * 10 % of the steps. command is recorded in the checkpoint's metadata.
 */
public record PretrainOptions(String arch, int steps, int batch, double lr, long seed, Path out, int classes, PretrainTarget target,
                              int warmupSteps, double weightDecay, int valExamples, int evalEvery, String command) {
    public PretrainOptions {
        if (arch == null || !Architectures.isKnown(arch)) {
            throw new IllegalArgumentException("--arch " + arch + " is not a known architecture; known: " + String.join(", ", Architectures.names()));
        }
        if (steps < 1) {
            throw new IllegalArgumentException("--steps must be at least 1, got " + steps);
        }
        if (batch < 1 || batch > 4096) {
            throw new IllegalArgumentException("--batch must be between 1 and 4096, got " + batch);
        }
        if (!(lr > 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("--lr must be a positive finite number, got " + lr);
        }
        if (out == null) {
            throw new IllegalArgumentException("--out is required: the .safetensors file to write the backbone to");
        }
        if (classes < 1 || classes > SyntheticStimuli.CLASSES) {
            throw new IllegalArgumentException("--classes must be between 1 and " + SyntheticStimuli.CLASSES + ", got " + classes);
        }
        if (target == null) {
            throw new IllegalArgumentException("--target is required (class, shape, texture or timbre)");
        }
        target.checkFor(arch, Architectures.takesSpectrograms(arch));
        if (warmupSteps == -1) {
            warmupSteps = Math.max(1, steps / 20);
        }
        if (warmupSteps < 0 || warmupSteps > steps) {
            throw new IllegalArgumentException("--warmup must be between 0 and --steps (" + steps + "), got " + warmupSteps);
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("--weight-decay must be finite and >= 0, got " + weightDecay);
        }
        if (valExamples < 1 || valExamples > 100_000) {
            throw new IllegalArgumentException("--val-examples must be between 1 and 100000, got " + valExamples);
        }
        if (evalEvery < 0) {
            throw new IllegalArgumentException("--eval-every must be >= 0 (0 = about every 10 % of the steps), got " + evalEvery);
        }
        if (evalEvery == 0) {
            evalEvery = Math.max(1, (steps + 9) / 10);
        }
    }

    /**
     * Defaults for everything but the required settings: 28 classes, target class, 5 % warm-up, weight decay 0.05,
     * 512 validation examples.
     */
    public static PretrainOptions of(String arch, int steps, int batch, double lr, long seed, Path out) {
        return new PretrainOptions(arch, steps, batch, lr, seed, out, SyntheticStimuli.CLASSES, PretrainTarget.CLASS, -1, 0.05, 512, 0, "");
    }

    public PretrainOptions withValExamples(int n) {
        return new PretrainOptions(arch, steps, batch, lr, seed, out, classes, target, warmupSteps, weightDecay, n, evalEvery, command);
    }

    public PretrainOptions withClasses(int n) {
        return new PretrainOptions(arch, steps, batch, lr, seed, out, n, target, warmupSteps, weightDecay, valExamples, evalEvery, command);
    }

    public PretrainOptions withTarget(PretrainTarget t) {
        return new PretrainOptions(arch, steps, batch, lr, seed, out, classes, t, warmupSteps, weightDecay, valExamples, evalEvery, command);
    }

    public PretrainOptions withEvalEvery(int n) {
        return new PretrainOptions(arch, steps, batch, lr, seed, out, classes, target, warmupSteps, weightDecay, valExamples, n, command);
    }
}
