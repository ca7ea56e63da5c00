package org.mettle.train;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.mettle.autograd.GradMode;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.data.av.AvBatch;
import org.mettle.data.av.AvBatches;
import org.mettle.data.av.AvClip;
import org.mettle.data.loader.PrefetchLoader;
import org.mettle.data.loader.Split;
import org.mettle.memory.MemoryLedger;
import org.mettle.method.AveHead;
import org.mettle.method.AvModel;
import org.mettle.method.AvvpHead;
import org.mettle.method.MettleModel;
import org.mettle.method.Task;
import org.mettle.tensor.Device;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Tensor;

/**
 * Trains an {@link AvModel} built from a {@link RunConfig}: epochs of AdamW steps (one optimizer per learning-rate
 * group, warm-up then cosine or step decay, global-norm clipping, gradient accumulation), validation every epoch,
 * {@code last.safetensors} every epoch and {@code best.safetensors} on a new best validation metric, the test split
 * on the best checkpoint at the end, {@code metrics.jsonl} and PNG plots. {@code resume} continues from
 * {@code last.safetensors} exactly: parameters, AdamW moments and steps, the global step, the RNG that seeds each
 * epoch's shuffle, and the best metric.
 */
public final class Trainer {
    public static final String LAST = "last.safetensors";
    public static final String BEST = "best.safetensors";
    public static final String METRICS = "metrics.jsonl";

    /** Where and how to run. stopAfterEpoch (0 = never) ends the run early after that epoch, as an interruption would. */
    public record Options(Path runDir, String data, boolean resume, int stopAfterEpoch, PrintStream log, PrintStream progress,
                          boolean terminal) {}

    /** The outcome: best validation metrics and epoch, test metrics on the best checkpoint (null when stopped early). */
    public record Result(int epochsDone, int bestEpoch, Map<String, Double> bestVal, Map<String, Double> test, long trainableParams,
                         long peakBytes, double stepMs, Path runDir) {
        public Map<String, Object> toMap(RunConfig c) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("task", c.task);
            m.put("method", c.method);
            m.put("epochs", epochsDone);
            m.put("best_epoch", bestEpoch);
            m.put("val", bestVal);
            m.put("test", test);
            m.put("trainable_params", trainableParams);
            m.put("peak_bytes", peakBytes);
            m.put("step_ms", stepMs);
            m.put("run_dir", runDir.toString());
            return m;
        }
    }

    private final RunConfig config;
    private final Options options;
    private final Backend backend = Backends.cpu();

    private Trainer(RunConfig config, Options options) {
        this.config = config;
        this.options = options;
    }

    /** Runs (or resumes) training; config must already hold the checkpoint's config when resuming. */
    public static Result run(RunConfig config, Options options) {
        System.setProperty("java.awt.headless", "true");
        return new Trainer(config, options).run();
    }

    private Result run() {
        Path dir = options.runDir();
        PrintStream log = options.log();
        if (options.resume()) {
            if (!Files.isRegularFile(dir.resolve(LAST))) {
                throw new IllegalArgumentException("--resume: " + dir.resolve(LAST) + " does not exist; nothing to resume (start without --resume)");
            }
        } else if (TrainData.isNonEmptyDir(dir)) {
            throw new IllegalArgumentException("--out " + dir + " is not empty; pass --resume to continue the run in it, or choose a new directory");
        }
        config.validate();
        config.resolveWeights(log);
        try {
            Files.createDirectories(dir);
            writeAtomically(dir.resolve("config.json"), config.toJson() + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create run directory " + dir + ": " + e.getMessage(), e);
        }
        Task task = config.taskEnum();
        Path root = TrainData.root(options.data(), config, dir.resolve("data"), log);
        List<AvClip> train = TrainData.clips(task, root, Split.TRAIN, false);
        List<AvClip> val = TrainData.clips(task, root, Split.VAL, true);
        List<AvClip> test = TrainData.clips(task, root, Split.TEST, true);
        log.printf(Locale.ROOT, "data %s: %d train, %d val, %d test videos%n", root, train.size(), val.size(), test.size());
        if (val.isEmpty()) {
            log.println("warning: no validation videos; every epoch's checkpoint counts as the best");
        }
        try (RunModel run = RunModel.build(config, backend)) {
            return train(run, train, val, test);
        }
    }

    private Result train(RunModel run, List<AvClip> train, List<AvClip> val, List<AvClip> test) {
        Path dir = options.runDir();
        AvModel model = run.model();
        Map<String, Tensor> trainable = model.trainableTensors();
        Map<AvModel.Group, Double> groupLr = new EnumMap<>(AvModel.Group.class);
        groupLr.put(AvModel.Group.METHOD, config.lrMethod);
        groupLr.put(AvModel.Group.HEAD, config.lrHead);
        groupLr.put(AvModel.Group.BACKBONE, config.lrBackbone);
        Map<String, AdamW> optimizers = new LinkedHashMap<>();
        Map<String, Double> optimizerLr = new LinkedHashMap<>();
        for (AvModel.Group g : AvModel.Group.values()) {
            List<Tensor> params = new ArrayList<>(model.trainableTensors(g).values());
            if (!params.isEmpty()) {
                String name = g.name().toLowerCase(Locale.ROOT);
                optimizers.put(name, new AdamW(params, 0f, (float) config.weightDecay));
                optimizerLr.put(name, groupLr.get(g));
            }
        }
        List<Tensor> allParams = new ArrayList<>(trainable.values());
        int batchesPerEpoch = (train.size() + config.batch - 1) / config.batch;
        int stepsPerEpoch = (batchesPerEpoch + config.accumulation - 1) / config.accumulation;
        long totalSteps = (long) stepsPerEpoch * config.epochs;
        LrSchedule schedule = schedule(stepsPerEpoch, totalSteps);
        ResumableRandom rng = new ResumableRandom(config.seed);
        int startEpoch = 0;
        long step = 0;
        double best = Double.NaN;
        List<Map<String, Object>> history = new ArrayList<>();
        try {
            if (options.resume()) {
                RunState state = Checkpoint.load(dir.resolve(LAST), trainable, optimizers);
                startEpoch = state.epoch();
                step = state.globalStep();
                best = state.bestMetric();
                rng.restore(state.rngState());
                history = MetricsLog.readAndTruncate(dir.resolve(METRICS), startEpoch);
                options.log().printf(Locale.ROOT, "resuming %s after epoch %d (step %d)%n", dir, startEpoch, step);
            }
            options.log().printf(Locale.ROOT, "training %s/%s: %,d trainable parameters in %s; %d epochs of %d steps (batch %d x %d accumulation)%n",
                    config.task, config.method, model.trainableParameterCount(), optimizers.keySet(), config.epochs, stepsPerEpoch,
                    config.batch, config.accumulation);
            String primary = Evaluator.primaryMetric(model.task());
            long peakAll = 0;
            double stepSecondsSum = 0;
            long stepsTimed = 0;
            int epoch = startEpoch;
            for (; epoch < config.epochs; epoch++) {
                MemoryLedger ledger = MemoryLedger.of(Device.CPU);
                ledger.resetPeaks();
                long shuffleSeed = rng.nextLong();
                long t0 = System.nanoTime();
                GradAccumulator acc = new GradAccumulator(config.accumulation);
                double lossSum = 0;
                long samples = 0;
                int skipped = 0;
                long stepsBefore = step;
                ProgressBar bar = new ProgressBar(options.progress(), options.terminal(),
                        String.format(Locale.ROOT, "epoch %d/%d", epoch + 1, config.epochs), batchesPerEpoch);
                try (PrefetchLoader<AvClip, AvBatches.Loaded, AvBatch> loader = AvBatches.loader(train, run.frontEnd(), config.segments,
                        config.batch, true, shuffleSeed, epoch, config.workers)) {
                    int done = 0;
                    while (loader.hasNext()) {
                        AvBatch batch = loader.next();
                        lossSum += microBatch(run, batch, acc);
                        samples += batch.size();
                        done++;
                        boolean last = !loader.hasNext();
                        if (acc.microBatchDone() || (last && acc.flushNeeded())) {
                            if (!optimizerStep(acc, allParams, optimizers, optimizerLr, schedule, step)) {
                                skipped++;
                            }
                            acc.reset();
                            step++;
                        }
                        bar.update(done, lossSum / done, samples);
                    }
                    if (done == 0) {
                        throw new IllegalStateException("no training batch in epoch " + (epoch + 1));
                    }
                }
                double trainSeconds = (System.nanoTime() - t0) / 1e9;
                stepSecondsSum += trainSeconds;
                stepsTimed += step - stepsBefore;
                Map<String, Double> valMetrics = val.isEmpty() ? Map.of() : Evaluator.evaluate(run, val, backend);
                long peak = ledger.peakTotal();
                peakAll = Math.max(peakAll, peak);
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("epoch", epoch + 1);
                line.put("step", step);
                line.put("train_loss", lossSum / batchesPerEpoch);
                for (Map.Entry<String, Double> e : optimizerLr.entrySet()) {
                    line.put("lr_" + e.getKey(), schedule.lr(Math.max(0, step - 1), e.getValue()));
                }
                valMetrics.forEach((k, v) -> line.put("val_" + k, v));
                line.put("skipped_steps", skipped);
                line.put("seconds", (System.nanoTime() - t0) / 1e9);
                line.put("samples_per_s", samples / trainSeconds);
                line.put("peak_bytes", peak);
                double metric = val.isEmpty() ? epoch : valMetrics.get(primary);
                boolean isBest = Double.isNaN(best) || metric > best;
                if (isBest) {
                    best = metric;
                }
                MetricsLog.append(dir.resolve(METRICS), line);
                history.add(line);
                RunState state = new RunState(epoch + 1, step, rng.state(), best, config.toJson());
                if (isBest) {
                    Checkpoint.save(dir.resolve(BEST), trainable, optimizers, state);
                }
                Checkpoint.save(dir.resolve(LAST), trainable, optimizers, state);
                MetricsLog.plot(dir, history);
                options.log().println(MetricsLog.summary(line) + (isBest ? "  (best)" : ""));
                if (options.stopAfterEpoch() > 0 && epoch + 1 >= options.stopAfterEpoch() && epoch + 1 < config.epochs) {
                    options.log().printf("stopping after epoch %d as asked; continue with --resume%n", epoch + 1);
                    epoch++;
                    break;
                }
            }
            int bestEpoch = MetricsLog.bestEpoch(history, "val_" + primary);
            Map<String, Double> bestVal = MetricsLog.valMetrics(history, bestEpoch);
            Map<String, Double> testMetrics = null;
            if (epoch >= config.epochs && !test.isEmpty()) {
                if (Files.isRegularFile(dir.resolve(BEST))) {
                    Checkpoint.load(dir.resolve(BEST), trainable, null);
                }
                testMetrics = Evaluator.evaluate(run, test, backend);
                options.log().println("test (best checkpoint, epoch " + bestEpoch + "): " + MetricsLog.format(testMetrics));
            }
            double stepMs = stepsTimed == 0 ? Double.NaN : 1000 * stepSecondsSum / stepsTimed;
            Result result = new Result(epoch, bestEpoch, bestVal, testMetrics, model.trainableParameterCount(), peakAll, stepMs, dir);
            writeAtomically(dir.resolve("result.json"), JsonText.write(result.toMap(config)) + "\n");
            return result;
        } finally {
            optimizers.values().forEach(AdamW::close);
        }
    }

    private LrSchedule schedule(int stepsPerEpoch, long totalSteps) {
        if (config.schedule.equals("step")) {
            List<Long> milestones = new ArrayList<>();
            for (long e = config.stepEpochs; e < config.epochs; e += config.stepEpochs) {
                milestones.add(e * stepsPerEpoch);
            }
            return LrSchedule.step(1.0, config.warmupSteps, milestones.stream().mapToLong(Long::longValue).toArray(), config.stepGamma);
        }
        return LrSchedule.cosine(1.0, config.warmupSteps, Math.max(totalSteps, config.warmupSteps), config.lrFloor);
    }

    /** Forward and backward of one micro-batch (gradients added into the parameters' grads); returns its loss. */
    private double microBatch(RunModel run, AvBatch batch, GradAccumulator acc) {
        AvModel model = run.model();
        int rows = batch.size() * batch.segments();
        try (Scope s = Scope.open()) {
            Tensor frames = Tensor.of(backend, batch.frames(), batch.frameShape());
            Tensor audio = Tensor.of(backend, batch.audio(), batch.audioShape());
            Tensor labels = labels(batch);
            if (config.lowMemory && model instanceof MettleModel mettle) {
                return twoPassBackward(run, mettle, frames, audio, labels, batch.size(), batch.segments(), acc.microBatches());
            }
            Tensor loss = model.loss(frames, audio, labels, batch.size(), batch.segments());
            float value = loss.item();
            if (!Float.isFinite(value)) {
                options.log().println("warning: non-finite loss " + value + " on a batch of " + rows + " segments (" + batch.clips().get(0).id() + ", ...)");
            }
            acc.scale(loss).backward();
            return value;
        }
    }

    /**
     * Mettle's two-pass low-memory backward (DESIGN §5): forward under no-grad to the averaged meta-tokens, the
     * head's gradient with respect to them, then each backbone again with each chosen layer's LCD backward run at
     * once. Adds into the grads like an ordinary backward, so clipping and accumulation work unchanged.
     */
    private double twoPassBackward(RunModel run, MettleModel mettle, Tensor frames, Tensor audio, Tensor labels, int batch, int segments,
                                   int microBatches) {
        Tensor mv;
        Tensor ma;
        try (var g = GradMode.noGrad()) {
            mv = mettle.visualLcd().distill(run.visual(), frames);
            ma = mettle.audioLcd().distill(run.audio(), audio);
        }
        mv.requiresGrad(true);
        ma.requiresGrad(true);
        Tensor loss;
        if (mettle.task() == Task.AVE) {
            loss = AveHead.loss(((AveHead) mettle.head()).logits(ma, mv), labels);
        } else {
            try (AvvpHead.Output out = ((AvvpHead) mettle.head()).forward(ma, mv, batch, segments)) {
                loss = AvvpHead.loss(out.videoProb(), labels);
            }
        }
        float value = loss.item();
        (microBatches == 1 ? loss : loss.mul(1f / microBatches)).backward();
        mettle.visualLcd().backwardByLayer(run.visual(), frames, mv.grad());
        mettle.audioLcd().backwardByLayer(run.audio(), audio, ma.grad());
        mv.zeroGrad();
        ma.zeroGrad();
        return value;
    }

    private Tensor labels(AvBatch batch) {
        int t = batch.segments();
        if (config.taskEnum() == Task.AVE) {
            int[] labels = new int[batch.size() * t];
            for (int i = 0; i < batch.size(); i++) {
                System.arraycopy(batch.clips().get(i).aveLabels(t), 0, labels, i * t, t);
            }
            return Tensor.ofInts(labels, labels.length);
        }
        int classes = AvvpHead.CLASSES;
        float[] weak = new float[batch.size() * classes];
        for (int i = 0; i < batch.size(); i++) {
            System.arraycopy(batch.clips().get(i).avvp().videoLabels(), 0, weak, i * classes, classes);
        }
        return Tensor.of(backend, weak, batch.size(), classes);
    }

    /**
     * One update on the accumulated gradients: a partial accumulation group (end of epoch) is rescaled to the mean
     * over the micro-batches it has; clipping; each group's learning rate for this step; AdamW. Returns false (and
     * drops the gradients) when the gradient norm is not finite.
     */
    private boolean optimizerStep(GradAccumulator acc, List<Tensor> params, Map<String, AdamW> optimizers, Map<String, Double> lrs,
                                  LrSchedule schedule, long step) {
        int pending = acc.pending() == 0 ? acc.microBatches() : acc.pending();
        if (pending != acc.microBatches()) {
            float scale = (float) acc.microBatches() / pending;
            for (Tensor p : params) {
                Tensor g = p.grad();
                if (g != null) {
                    g.backend().axpby(0f, g, scale, g);
                }
            }
        }
        boolean ok = true;
        if (config.clipNorm > 0) {
            double norm = GradClipping.clipByGlobalNorm(params, config.clipNorm);
            ok = Double.isFinite(norm);
        } else {
            ok = Double.isFinite(GradClipping.globalNorm(params));
        }
        if (ok) {
            for (Map.Entry<String, AdamW> e : optimizers.entrySet()) {
                schedule.applyTo(e.getValue(), step, lrs.get(e.getKey()));
                e.getValue().step();
            }
        } else {
            options.log().println("warning: non-finite gradient norm at step " + (step + 1) + "; update skipped");
        }
        for (AdamW o : optimizers.values()) {
            o.zeroGrad();
        }
        return ok;
    }

    static void writeAtomically(Path file, String text) {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
