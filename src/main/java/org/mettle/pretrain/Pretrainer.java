package org.mettle.pretrain;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.mettle.autograd.GradMode;
import org.mettle.autograd.LossOps;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.io.TensorIO;
import org.mettle.models.Architectures;
import org.mettle.models.Backbone;
import org.mettle.models.LayerConsumer;
import org.mettle.models.htsat.HtsatModels;
import org.mettle.nn.Linear;
import org.mettle.tensor.DType;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Tensor;
import org.mettle.train.AdamW;
import org.mettle.train.GradClipping;
import org.mettle.train.LrSchedule;

/**
 * Pretrains a backbone on synthetic single-modality classification: backbone, mean over its final tokens, one linear
 * layer to the target's labels + 1 ("nothing" last; {@link PretrainTarget}), mean cross-entropy, AdamW (weight decay
 * on matrices only), linear warm-up then cosine decay to 1 % of the peak rate, gradient norm clipped at {@value #CLIP_NORM}. Every step draws
 * fresh examples ({@link PretrainExamples}, seeded); a fixed validation set (its own seed, the same for every run)
 * is scored during and after training. Only the backbone's tensors are saved, under its checkpoint names.
 *
 * <p>HTS-AT's {@code bn0} is an eval-mode batch norm whose running statistics PyTorch would update while training.
 * Here they are computed once, before training, from {@value #BN_CALIBRATION_EXAMPLES} examples (per mel bin mean and
 * variance over examples and frames), then kept fixed (not trained), so the frozen model normalises its input as it
 * was trained on; {@code bn0.weight} and {@code bn0.bias} train.
 */
public final class Pretrainer {
    static final double CLIP_NORM = 1.0;
    static final int BN_CALIBRATION_EXAMPLES = 256;
    /** Seed of the validation stream, shared by every run so accuracies compare. */
    public static final long VALIDATION_SEED = 0x7A11DA7EL;
    /** Offset of the bn0 calibration stream's seed from the training seed. */
    private static final long CALIBRATION_SALT = 0xCA11B8A7EL;
    private static final int EVAL_CHUNK = 64;

    /** Progress reports (the CLI prints them on stderr). */
    public interface Listener {
        void onStep(int step, int steps, float loss, double lr, double seconds);

        void onEval(int step, int steps, double valAccuracy, double meanLoss, double seconds);

        Listener NONE = new Listener() {
            @Override
            public void onStep(int step, int steps, float loss, double lr, double seconds) {}

            @Override
            public void onEval(int step, int steps, double valAccuracy, double meanLoss, double seconds) {}
        };
    }

    /** One validation score: after {@code step} optimizer steps. */
    public record Eval(int step, double accuracy) {}

    /** The run's outcome; losses[i] is the training loss of step i. */
    public record Result(String arch, int steps, double valAccuracy, int valExamples, float[] losses, List<Eval> evals,
                         double seconds, Path out, long backboneParameters) {}

    private Pretrainer() {}

    public static Result run(PretrainOptions o, Listener listener) {
        return run(o, listener, (backbone, head) -> { });
    }

    /** As {@link #run(PretrainOptions, Listener)}; {@code trained} sees the model after saving, before it is freed (tests). */
    static Result run(PretrainOptions o, Listener listener, java.util.function.BiConsumer<Backbone, Linear> trained) {
        long t0 = System.nanoTime();
        Path parent = o.out().toAbsolutePath().getParent();
        try {
            Files.createDirectories(parent);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the directory " + parent + " for --out " + o.out() + ": " + e.getMessage(), e);
        }
        if (Files.isDirectory(o.out())) {
            throw new IllegalArgumentException("--out " + o.out() + " is a directory; give the .safetensors file to write");
        }
        Backend be = Backends.cpu();
        PretrainExamples train = new PretrainExamples(o.arch(), o.classes(), o.target(), o.seed());
        PretrainExamples val = new PretrainExamples(o.arch(), o.classes(), o.target(), VALIDATION_SEED);
        try (Backbone backbone = Architectures.create(o.arch(), be, o.seed());
             Linear head = new Linear(be, new Random(o.seed() ^ 0x4EADL), backbone.layerWidth(backbone.layerCount() - 1),
                     train.labelCount(), true)) {
            backbone.module().trainable(true);
            head.trainable(true);
            if (HtsatModels.names().contains(o.arch())) {
                calibrateMelNorm(backbone, new PretrainExamples(o.arch(), o.classes(), o.target(), o.seed() + CALIBRATION_SALT));
            }
            List<Tensor> decayed = new ArrayList<>();
            List<Tensor> plain = new ArrayList<>();
            List<Tensor> all = new ArrayList<>();
            for (Tensor t : trainable(backbone, head)) {
                (t.rank() >= 2 ? decayed : plain).add(t);
                all.add(t);
            }
            List<PretrainExamples.Batch> valSet = new ArrayList<>();
            try (AdamW decayOpt = new AdamW(decayed, (float) o.lr(), (float) o.weightDecay());
                 AdamW plainOpt = new AdamW(plain, (float) o.lr(), 0f)) {
                for (int first = 0; first < o.valExamples(); first += EVAL_CHUNK) {
                    valSet.add(val.batch(be, first, Math.min(EVAL_CHUNK, o.valExamples() - first)));
                }
                LrSchedule schedule = LrSchedule.cosine(o.lr(), o.warmupSteps(), o.steps(), o.lr() * 0.01);
                float[] losses = new float[o.steps()];
                List<Eval> evals = new ArrayList<>();
                double accuracy = Double.NaN;
                for (int step = 0; step < o.steps(); step++) {
                    double lr = schedule.lr(step);
                    decayOpt.setLearningRate((float) lr);
                    plainOpt.setLearningRate((float) lr);
                    try (PretrainExamples.Batch b = train.batch(be, (long) step * o.batch(), o.batch());
                         Scope s = Scope.open()) {
                        Tensor loss = LossOps.crossEntropy(logits(backbone, head, b.inputs()), Tensor.ofInts(b.labels(), b.labels().length));
                        loss.backward();
                        losses[step] = loss.item();
                    }
                    if (!Float.isFinite(losses[step])) {
                        throw new IllegalStateException("training loss became " + losses[step] + " at step " + (step + 1)
                                + "; lower --lr (now " + o.lr() + ")");
                    }
                    GradClipping.clipByGlobalNorm(all, CLIP_NORM);
                    decayOpt.step();
                    plainOpt.step();
                    decayOpt.zeroGrad();
                    plainOpt.zeroGrad();
                    listener.onStep(step + 1, o.steps(), losses[step], lr, seconds(t0));
                    int done = step + 1;
                    if (done % o.evalEvery() == 0 || done == o.steps()) {
                        accuracy = accuracy(backbone, head, valSet);
                        evals.add(new Eval(done, accuracy));
                        listener.onEval(done, o.steps(), accuracy, meanOfLast(losses, done, o.evalEvery()), seconds(t0));
                    }
                }
                Map<String, String> meta = new LinkedHashMap<>();
                meta.put("format", "mettle-pretrained-backbone");
                meta.put("arch", o.arch());
                meta.put("steps", Integer.toString(o.steps()));
                meta.put("batch", Integer.toString(o.batch()));
                meta.put("lr", Double.toString(o.lr()));
                meta.put("seed", Long.toString(o.seed()));
                meta.put("classes", Integer.toString(o.classes()));
                meta.put("target", o.target().id());
                meta.put("labels", Integer.toString(train.labelCount()));
                meta.put("val_accuracy", String.format(Locale.ROOT, "%.4f", accuracy));
                meta.put("val_examples", Integer.toString(o.valExamples()));
                meta.put("command", o.command());
                TensorIO.save(o.out(), backbone.module().namedParameters(), meta, DType.F32);
                trained.accept(backbone, head);
                return new Result(o.arch(), o.steps(), accuracy, o.valExamples(), losses, evals, seconds(t0), o.out(),
                        backbone.module().parameterCount());
            } finally {
                valSet.forEach(PretrainExamples.Batch::close);
            }
        }
    }

    /** Logits [B, labels] of the head on the mean of the backbone's final tokens. */
    static Tensor logits(Backbone backbone, Linear head, Tensor inputs) {
        try (Scope s = Scope.open()) {
            Tensor tokens = backbone.forward(inputs, LayerConsumer.NONE);
            return s.keep(head.forward(tokens.mean(false, 1)));
        }
    }

    /** Fraction of the validation examples whose arg-max logit is the label. */
    static double accuracy(Backbone backbone, Linear head, List<PretrainExamples.Batch> valSet) {
        int right = 0;
        int total = 0;
        try (var g = GradMode.noGrad()) {
            for (PretrainExamples.Batch b : valSet) {
                float[] z;
                try (Scope s = Scope.open()) {
                    z = logits(backbone, head, b.inputs()).toFloatArray();
                }
                int labels = z.length / b.labels().length;
                for (int i = 0; i < b.labels().length; i++) {
                    int best = 0;
                    for (int c = 1; c < labels; c++) {
                        if (z[i * labels + c] > z[i * labels + best]) {
                            best = c;
                        }
                    }
                    right += best == b.labels()[i] ? 1 : 0;
                    total++;
                }
            }
        }
        return (double) right / total;
    }

    /** Backbone and head parameters that train: all but batch-norm running statistics. */
    private static List<Tensor> trainable(Backbone backbone, Linear head) {
        List<Tensor> out = new ArrayList<>();
        backbone.module().namedParameters().forEach((name, t) -> {
            if (isRunningStatistic(name)) {
                t.requiresGrad(false);
            } else {
                out.add(t);
            }
        });
        out.addAll(head.parameters());
        return out;
    }

    static boolean isRunningStatistic(String name) {
        return name.endsWith("running_mean") || name.endsWith("running_var");
    }

    /** Sets bn0's running mean and variance to the per-bin statistics of a calibration batch. */
    static void calibrateMelNorm(Backbone backbone, PretrainExamples examples) {
        Map<String, Tensor> params = backbone.module().namedParameters();
        Tensor mean = params.get("bn0.running_mean");
        Tensor var = params.get("bn0.running_var");
        if (mean == null || var == null) {
            throw new IllegalStateException(backbone.arch() + " has no bn0 running statistics to calibrate");
        }
        float[] x;
        int bins;
        try (PretrainExamples.Batch b = examples.batch(backbone.module().backend(), 0, BN_CALIBRATION_EXAMPLES)) {
            x = b.inputs().toFloatArray();
            bins = b.inputs().dim(2);
        }
        double[] sum = new double[bins];
        double[] sumSq = new double[bins];
        int rows = x.length / bins;
        for (int r = 0; r < rows; r++) {
            for (int f = 0; f < bins; f++) {
                double v = x[r * bins + f];
                sum[f] += v;
                sumSq[f] += v * v;
            }
        }
        float[] m = new float[bins];
        float[] v = new float[bins];
        for (int f = 0; f < bins; f++) {
            double mu = sum[f] / rows;
            m[f] = (float) mu;
            v[f] = (float) Math.max(1e-6, sumSq[f] / rows - mu * mu);
        }
        mean.backend().write(mean, m);
        var.backend().write(var, v);
    }

    private static double meanOfLast(float[] losses, int done, int window) {
        double sum = 0;
        int n = Math.min(done, window);
        for (int i = done - n; i < done; i++) {
            sum += losses[i];
        }
        return sum / n;
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
