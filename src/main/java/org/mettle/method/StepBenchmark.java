package org.mettle.method;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Consumer;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.memory.MemoryLedger;
import org.mettle.models.Backbone;
import org.mettle.models.htsat.HtsatModels;
import org.mettle.models.swin.SwinModels;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Tensor;
import org.mettle.train.AdamW;

/**
 * Real AVE training steps of every method on random inputs: wall-clock step time and the device ledger's measured
 * peak (used by {@code ./mettle compare}). A benchmark, not a test: times depend on the machine and its load. Run it
 * with the launcher's JVM flags ({@code -XX:+UseParallelGC -XX:MaxRAMPercentage=75}): with the default G1 heap the
 * baselines ran several times slower here.
 * Usage: {@code StepBenchmark VISUAL AUDIO BATCH SEGMENTS STEPS [WARMUP]}.
 */
public final class StepBenchmark {
    /** Every method {@link #measure} runs, in table order ({@code mettle-low-memory} is Mettle's two-pass step). */
    public static final List<String> METHODS = List.of("mettle", "mettle-low-memory", "lavish", "linear", "full");

    /** The backbones and input sizes of {@code compare --config}; the one place their names live. */
    public enum Setting {
        /** The shipped tiny backbones' architectures (random weights here), 2 videos x 10 segments. */
        TINY("swinv2_mini_window4_64", "htsat_mini", 2, 10),
        /** The paper's: Swin-V2-L at 192 and HTS-AT, 1 video x 10 segments. */
        PAPER("swinv2_large_window12_192", "htsat", 1, 10);

        public final String visual;
        public final String audio;
        public final int batch;
        public final int segments;

        Setting(String visual, String audio, int batch, int segments) {
            this.visual = visual;
            this.audio = audio;
            this.batch = batch;
            this.segments = segments;
        }

        public static Setting parse(String name) {
            for (Setting s : values()) {
                if (s.name().equalsIgnoreCase(name)) {
                    return s;
                }
            }
            throw new IllegalArgumentException("--config " + name + ": expected tiny or paper");
        }
    }

    /**
     * One method's result: ledger peak during its steps (warm-up included), mean wall time of the timed steps and
     * the mean CPU time the whole process used per timed step (all threads, GC and JIT included; less sensitive
     * than wall time to other processes on a shared machine, -1 where the JVM cannot tell).
     */
    public record Measurement(String method, long peakBytes, double stepMs, long trainableParams, double cpuMs) {
        public String toJson() {
            return String.format(Locale.ROOT, "{\"method\":\"%s\",\"peak_bytes\":%d,\"step_ms\":%.1f,\"trainable_params\":%d,\"cpu_ms\":%.1f}", method,
                    peakBytes, stepMs, trainableParams, cpuMs);
        }
    }

    /** Wall and process CPU milliseconds per timed step. */
    private record Timing(double wallMs, double cpuMs) {}

    private StepBenchmark() {}

    /**
     * Runs each method ({@link #METHODS} or any other {@link AvModels} name, e.g. {@code backprop-bound}) for its warm-up steps and then its timed steps on one pair of backbones. The ledger's peaks are reset
     * right before each method's first step, so a peak counts what is live then (backbone weights, inputs, the
     * method's parameters) plus everything its steps allocate (graph, gradients, AdamW state).
     */
    public static List<Measurement> measure(Backend backend, String visualArch, String audioArch, int batch, int segments, int steps, int warmup,
                                            List<String> methods, Consumer<Measurement> progress) {
        return measure(backend, visualArch, audioArch, batch, segments, steps, warmup, methods, progress, Hooks.NONE);
    }

    /**
     * Calls into a measurement: {@code beforeSteps} where the ledger's peaks are reset (before the warm-up steps),
     * {@code atTimedStart} after the warm-up, right before the timed steps (a device profiler's window).
     */
    public record Hooks(Runnable beforeSteps, Runnable atTimedStart) {
        public static final Hooks NONE = new Hooks(() -> { }, () -> { });
    }

    /** {@link #measure(Backend, String, String, int, int, int, int, List, Consumer)} with {@link Hooks}. */
    public static List<Measurement> measure(Backend backend, String visualArch, String audioArch, int batch, int segments, int steps, int warmup,
                                            List<String> methods, Consumer<Measurement> progress, Hooks hooks) {
        if (steps < 1 || warmup < 0) {
            throw new IllegalArgumentException("need at least 1 timed step and no negative warm-up, got " + steps + " and " + warmup);
        }
        for (String m : methods) {
            if (!METHODS.contains(m) && !AvModels.METHODS.contains(m)) {
                throw new IllegalArgumentException("unknown method '" + m + "'; known: " + String.join(", ", METHODS) + ", " + MemoryPlanner.BACKPROP_BOUND);
            }
        }
        int rows = batch * segments;
        Random random = new Random(1);
        MemoryLedger ledger = MemoryLedger.of(backend.device());
        List<Measurement> out = new ArrayList<>();
        try (Scope scope = Scope.open();
             Backbone visual = MemoryPlanner.visualBackbone(visualArch, backend);
             Backbone audio = MemoryPlanner.audioBackbone(audioArch, backend)) {
            int[] img = SwinModels.inputShape(visualArch, rows);
            int[] clip = HtsatModels.inputShape(audioArch, 1);
            int[] mel = {rows, MemoryPlanner.segmentFrames(clip[1]), clip[2]};
            Tensor frames = Tensor.randn(backend, random, 1f, img);
            Tensor audioIn = Tensor.randn(backend, random, 1f, mel);
            int[] labelValues = new int[rows];
            for (int i = 0; i < rows; i++) {
                labelValues[i] = random.nextInt(AveHead.CLASSES);
            }
            Tensor labels = Tensor.ofInts(labelValues, rows).toDevice(backend);
            LcdConfig lcd = LcdConfig.defaults();
            for (String method : methods) {
                Measurement m = method.equals("mettle-low-memory")
                        ? measureLowMemory(visual, audio, lcd, frames, audioIn, labels, batch, segments, steps, warmup, ledger, hooks)
                        : measureModel(method, visual, audio, new AvModels.Options(lcd, img, mel, 0), frames, audioIn, labels, batch, segments,
                                steps, warmup, ledger, hooks);
                visual.module().trainable(false);
                audio.module().trainable(false);
                out.add(m);
                progress.accept(m);
            }
        }
        return out;
    }

    private static Measurement measureModel(String method, Backbone visual, Backbone audio, AvModels.Options options, Tensor frames, Tensor audioIn,
                                            Tensor labels, int batch, int segments, int steps, int warmup, MemoryLedger ledger,
                                            Hooks hooks) {
        try (AvModel model = AvModels.create(method, Task.AVE, visual, audio, options);
             AdamW opt = new AdamW(new ArrayList<>(model.trainableTensors().values()), 1e-6f, 0f)) {
            Runnable step = model instanceof MettleModel mettle
                    ? () -> mettle.trainStep(opt, frames, audioIn, labels, batch, segments, false)
                    : () -> {
                        opt.zeroGrad();
                        try (Scope s = Scope.open()) {
                            model.loss(frames, audioIn, labels, batch, segments).backward();
                        }
                        opt.step();
                        opt.zeroGrad();
                    };
            ledger.resetPeaks();
            hooks.beforeSteps().run();
            Timing t = time(step, steps, warmup, model, hooks);
            return new Measurement(method, ledger.peakTotal(), t.wallMs(), model.trainableParameterCount(), t.cpuMs());
        }
    }

    private static Measurement measureLowMemory(Backbone visual, Backbone audio, LcdConfig lcd, Tensor frames, Tensor audioIn, Tensor labels,
                                                int batch, int segments, int steps, int warmup, MemoryLedger ledger, Hooks hooks) {
        try (MettleModel model = new MettleModel(Task.AVE, visual, audio, lcd, 0); LayerwiseAdamW opt = new LayerwiseAdamW(model, 1e-6f, 0f)) {
            ledger.resetPeaks();
            hooks.beforeSteps().run();
            Timing t = time(() -> model.trainStepLayerwise(opt, frames, audioIn, labels, batch, segments), steps, warmup, model, hooks);
            return new Measurement("mettle-low-memory", ledger.peakTotal(), t.wallMs(), model.trainableParameterCount(), t.cpuMs());
        }
    }

    /** Mean milliseconds of the timed steps; reading a parameter back at the end waits for an asynchronous device. */
    private static Timing time(Runnable step, int steps, int warmup, AvModel model, Hooks hooks) {
        for (int i = 0; i < warmup; i++) {
            step.run();
        }
        Tensor probe = model.trainableTensors().values().iterator().next();
        probe.toFloatArray();
        hooks.atTimedStart().run();
        long cpu0 = processCpuNanos();
        long t0 = System.nanoTime();
        for (int i = 0; i < steps; i++) {
            step.run();
        }
        probe.toFloatArray();
        long wall = System.nanoTime() - t0;
        long cpu1 = processCpuNanos();
        return new Timing(wall / 1e6 / steps, cpu0 < 0 || cpu1 < 0 ? -1 : (cpu1 - cpu0) / 1e6 / steps);
    }

    /** CPU time of this process in nanoseconds, or -1. */
    private static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : -1;
    }

    public static void main(String[] args) {
        String visualArch = args.length > 0 ? args[0] : Setting.TINY.visual;
        String audioArch = args.length > 1 ? args[1] : Setting.TINY.audio;
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        int segments = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        int steps = args.length > 4 ? Integer.parseInt(args[4]) : 3;
        int warmup = args.length > 5 ? Integer.parseInt(args[5]) : 3;
        Backend cpu = Backends.cpu();
        List<String> methods = new ArrayList<>(METHODS);
        methods.add(MemoryPlanner.BACKPROP_BOUND);
        double[] mettleMs = {0};
        measure(cpu, visualArch, audioArch, batch, segments, steps, warmup, methods, m -> {
            if (m.method().equals("mettle")) {
                mettleMs[0] = m.stepMs();
            }
            System.out.printf(Locale.ROOT, "%-18s %10.1f ms/step (cpu %10.1f ms)  peak %12s   mettle / this = %.2f%n", m.method(), m.stepMs(),
                    m.cpuMs(), MemoryLedger.bytes(m.peakBytes()), mettleMs[0] / m.stepMs());
        });
        System.out.printf(Locale.ROOT, "visual %s, audio %s, batch %d x %d segments, %d timed steps after %d warm-up steps each, %s%n", visualArch, audioArch,
                batch, segments, steps, warmup, cpu.describe());
    }
}
