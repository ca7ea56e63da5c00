package org.mettle.method;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.models.Backbone;
import org.mettle.models.htsat.HtsatModels;
import org.mettle.models.swin.SwinModels;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Tensor;
import org.mettle.train.AdamW;

/**
 * Wall-clock training step time of Mettle (plain and low-memory) against the pooled baselines on the CPU backend,
 * random inputs, AVE. A benchmark, not a test: numbers depend on the machine and its load. Run it with the launcher's
 * JVM flags ({@code -XX:+UseParallelGC -XX:MaxRAMPercentage=75}): with the default G1 heap the baselines ran several
 * times slower here.
 * Usage: {@code StepBenchmark VISUAL AUDIO BATCH SEGMENTS STEPS}.
 */
public final class StepBenchmark {
    private StepBenchmark() {}

    public static void main(String[] args) {
        String visualArch = args.length > 0 ? args[0] : "swinv2_test_window4_64";
        String audioArch = args.length > 1 ? args[1] : "htsat_test";
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        int segments = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        int steps = args.length > 4 ? Integer.parseInt(args[4]) : 3;
        Backend cpu = Backends.cpu();
        int rows = batch * segments;
        Random random = new Random(1);
        List<String> lines = new ArrayList<>();
        try (Scope scope = Scope.open();
             Backbone visual = MemoryPlanner.visualBackbone(visualArch, cpu);
             Backbone audio = MemoryPlanner.audioBackbone(audioArch, cpu)) {
            int[] img = SwinModels.inputShape(visualArch, rows);
            int[] clip = HtsatModels.inputShape(audioArch, 1);
            int[] mel = {rows, MemoryPlanner.segmentFrames(clip[1]), clip[2]};
            Tensor frames = Tensor.randn(cpu, random, 1f, img);
            Tensor audioIn = Tensor.randn(cpu, random, 1f, mel);
            int[] labelValues = new int[rows];
            for (int i = 0; i < rows; i++) {
                labelValues[i] = random.nextInt(AveHead.CLASSES);
            }
            Tensor labels = Tensor.ofInts(labelValues, rows);
            LcdConfig lcd = LcdConfig.defaults();
            double mettleMs = 0;
            for (String method : new String[] {"mettle", "mettle-low-memory", "linear", "backprop-bound", "full"}) {
                double ms;
                if (method.startsWith("mettle")) {
                    boolean low = method.endsWith("low-memory");
                    try (MettleModel model = new MettleModel(Task.AVE, visual, audio, lcd, 0);
                         LayerwiseAdamW opt = new LayerwiseAdamW(model, 1e-4f, 0.01f);
                         AdamW plain = new AdamW(model.trainableParameters(), 1e-4f, 0.01f)) {
                        Runnable step = low ? () -> model.trainStepLayerwise(opt, frames, audioIn, labels, batch, segments)
                                : () -> model.trainStep(plain, frames, audioIn, labels, batch, segments, false);
                        ms = time(step, steps);
                    }
                } else {
                    PooledBaseline.Kind kind = PooledBaseline.Kind.byName(method);
                    try (PooledBaseline model = new PooledBaseline(kind, Task.AVE, visual, audio, img, mel, lcd.commonWidth(), 0)) {
                        List<Tensor> params = new ArrayList<>(model.trainableParameters());
                        params.addAll(visual.module().trainableParameters());
                        params.addAll(audio.module().trainableParameters());
                        try (AdamW opt = new AdamW(params, 1e-6f, 0f)) {
                            ms = time(() -> {
                                opt.zeroGrad();
                                try (Scope s = Scope.open()) {
                                    model.loss(frames, audioIn, labels, batch, segments).backward();
                                }
                                opt.step();
                                opt.zeroGrad();
                            }, steps);
                        }
                    }
                    visual.module().trainable(false);
                    audio.module().trainable(false);
                }
                if (method.equals("mettle")) {
                    mettleMs = ms;
                }
                lines.add(String.format(Locale.ROOT, "%-18s %10.1f ms/step   mettle / this = %.2f", method, ms, mettleMs / ms));
                System.out.println(lines.get(lines.size() - 1));
            }
        }
        System.out.printf(Locale.ROOT, "visual %s, audio %s, batch %d x %d segments, %d timed steps after %d warm-up steps each, %s%n", visualArch, audioArch,
                batch, segments, steps, WARMUP_STEPS, cpu.describe());
    }

    /** JIT warm-up matters: the first steps of a fresh JVM run several times slower than the steady state. */
    private static final int WARMUP_STEPS = 3;

    private static double time(Runnable step, int steps) {
        for (int i = 0; i < WARMUP_STEPS; i++) {
            step.run();
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < steps; i++) {
            step.run();
        }
        return (System.nanoTime() - t0) / 1e6 / steps;
    }
}
