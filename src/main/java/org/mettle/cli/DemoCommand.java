package org.mettle.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.mettle.memory.MemoryLedger;
import org.mettle.method.AvModels;
import org.mettle.train.JsonText;
import org.mettle.train.ProgressBar;
import org.mettle.train.RunConfig;
import org.mettle.train.TrainData;
import org.mettle.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The README's first command: a small synthetic AVE set, the shipped tiny backbones adapted by several methods on the
 * same data with the same head and schedule, and one table of accuracy, trainable parameters, peak memory and step
 * time.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Synthesise a small AVE set, adapt the shipped tiny backbones with mettle, lavish and linear, and compare"
                + " test accuracy, trainable parameters, peak memory (ledger) and step time.")
public final class DemoCommand implements Runnable {
    @Option(names = "--methods", defaultValue = "mettle,lavish,linear", split = ",",
            description = "methods to compare (default ${DEFAULT-VALUE}; also full)") List<String> methods;
    @Option(names = "--videos", defaultValue = "240", description = "synthetic videos (default ${DEFAULT-VALUE})") int videos;
    @Option(names = "--held-out", defaultValue = "64", description = "videos in val and in test each; the rest train (default ${DEFAULT-VALUE}:"
            + " 640 test segments, so one segment is 0.16 points; 0 = 15 %% each)") int heldOut;
    @Option(names = "--classes", defaultValue = "0", description = "event classes of the synthetic set (0 = all 28; default ${DEFAULT-VALUE})") int classes;
    @Option(names = "--epochs", defaultValue = "12", description = "epochs per method (default ${DEFAULT-VALUE})") int epochs;
    @Option(names = "--seed", defaultValue = "0", description = "seed of data, parameters and shuffles (default ${DEFAULT-VALUE})") long seed;
    @Option(names = "--seeds", split = ",", description = "run the whole demo once per seed (each with its own data) and add a"
            + " table of mean and standard deviation, e.g. --seeds 0,1,2 (replaces --seed)") List<Long> seeds;
    @Option(names = "--out", description = "keep the data and every run (checkpoints, metrics.jsonl, plots) here; default: a temporary"
            + " directory removed at the end") Path out;
    @Option(names = "--json", description = "print one JSON object as the last line") boolean json;

    @Override
    public void run() {
        for (String m : methods) {
            if (!AvModels.METHODS.contains(m.toLowerCase(Locale.ROOT))) {
                throw new IllegalArgumentException("--methods: unknown method '" + m + "'; known: " + String.join(", ", AvModels.METHODS));
            }
        }
        if (videos < 8) {
            throw new IllegalArgumentException("--videos must be at least 8 (train, val and test need videos), got " + videos);
        }
        if (heldOut < 0 || 2L * heldOut >= videos) {
            throw new IllegalArgumentException("--held-out " + heldOut + " must be >= 0 and leave training videos out of --videos " + videos);
        }
        if (seeds != null && seeds.stream().distinct().count() != seeds.size()) {
            throw new IllegalArgumentException("--seeds " + seeds + " repeats a seed; give each seed once");
        }
        boolean temporary = out == null;
        Path dir;
        try {
            dir = temporary ? Files.createTempDirectory("mettle-demo") : out;
            if (!temporary && TrainData.isNonEmptyDir(dir)) {
                throw new IllegalArgumentException("--out " + dir + " is not empty; choose a new directory");
            }
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the demo directory: " + e.getMessage(), e);
        }
        PrintStream log = System.err;
        try {
            List<Long> runSeeds = seeds == null || seeds.isEmpty() ? List.of(seed) : seeds;
            Map<String, List<Row>> byMethod = new LinkedHashMap<>();
            for (long s : runSeeds) {
                Path seedDir = runSeeds.size() == 1 ? dir : dir.resolve("seed-" + s);
                List<Row> rows = runSeed(s, seedDir, log);
                if (runSeeds.size() > 1) {
                    System.out.println();
                    System.out.println("seed " + s + ":");
                }
                printTable(rows);
                for (Row r : rows) {
                    byMethod.computeIfAbsent(r.method, k -> new ArrayList<>()).add(r);
                }
            }
            if (runSeeds.size() > 1) {
                printSummary(byMethod, runSeeds);
            }
            printLegend();
            if (!temporary) {
                System.out.println("runs, checkpoints, metrics and plots in " + dir);
            }
            if (json) {
                System.out.println(JsonText.write(jsonSummary(byMethod, runSeeds)));
            }
        } finally {
            if (temporary) {
                EvalCommand.deleteTree(dir);
            }
        }
    }

    /** One demo: the synthetic set of this seed in dir/data, then every method on it. */
    private List<Row> runSeed(long runSeed, Path dir, PrintStream log) {
        RunConfig base = RunConfig.tiny();
        base.synthVideos = videos;
        base.synthClasses = classes;
        base.synthHeldOut = heldOut;
        base.epochs = epochs;
        base.seed = runSeed;
        base.weightsOptional = false; // the demo is about the shipped pretrained backbones
        base.validate();
        Path data = TrainData.root(TrainData.SYNTHETIC, base, dir.resolve("data"), log);
        List<Row> rows = new ArrayList<>();
        for (String method : methods) {
            RunConfig c = base.copy();
            c.method = method.toLowerCase(Locale.ROOT);
            log.printf(Locale.ROOT, "== %s: %d epochs on %s (seed %d)%n", c.method, c.epochs, data, runSeed);
            Trainer.Result r = Trainer.run(c, new Trainer.Options(dir.resolve("run-" + c.method), data.toString(), false, 0, log, log,
                    ProgressBar.onTerminal()));
            rows.add(new Row(c.method, r.test().get("accuracy"), r.bestVal().get("accuracy"), r.trainableParams(), r.peakBytes(),
                    steadyStepMs(r.runDir().resolve(Trainer.METRICS), c.batch, r.stepMs())));
        }
        return rows;
    }

    private static double mean(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).sum() / v.size();
    }

    /** Sample standard deviation (n - 1); 0 for one value. */
    private static double std(List<Double> v) {
        if (v.size() < 2) {
            return 0;
        }
        double m = mean(v);
        return Math.sqrt(v.stream().mapToDouble(x -> (x - m) * (x - m)).sum() / (v.size() - 1));
    }

    private static void printSummary(Map<String, List<Row>> byMethod, List<Long> runSeeds) {
        System.out.println();
        System.out.println("over seeds " + runSeeds + " (mean +- standard deviation):");
        System.out.printf(Locale.ROOT, "%-14s %17s %9s %12s %12s %10s%n", "method", "test acc", "val acc", "trainable", "peak", "step");
        for (Map.Entry<String, List<Row>> e : byMethod.entrySet()) {
            List<Double> test = e.getValue().stream().map(Row::testAccuracy).toList();
            List<Double> val = e.getValue().stream().map(Row::valAccuracy).toList();
            List<Double> step = e.getValue().stream().map(Row::stepMs).toList();
            long peak = e.getValue().stream().mapToLong(Row::peakBytes).max().orElse(0);
            System.out.printf(Locale.ROOT, "%-14s %8.4f +- %.4f %9.4f %,12d %12s %7.1f ms%n", e.getKey(), mean(test), std(test), mean(val),
                    e.getValue().get(0).trainableParams(), MemoryLedger.bytes(peak), mean(step));
        }
    }

    /** One entry per method; with several seeds the means, plus per-seed accuracies and standard deviations. */
    private static Map<String, Object> jsonSummary(Map<String, List<Row>> byMethod, List<Long> runSeeds) {
        List<Object> list = new ArrayList<>();
        for (Map.Entry<String, List<Row>> e : byMethod.entrySet()) {
            List<Double> test = e.getValue().stream().map(Row::testAccuracy).toList();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("method", e.getKey());
            m.put("accuracy", mean(test));
            m.put("val_accuracy", mean(e.getValue().stream().map(Row::valAccuracy).toList()));
            m.put("trainable_params", e.getValue().get(0).trainableParams());
            m.put("peak_bytes", e.getValue().stream().mapToLong(Row::peakBytes).max().orElse(0));
            m.put("step_ms", mean(e.getValue().stream().map(Row::stepMs).toList()));
            if (runSeeds.size() > 1) {
                m.put("accuracy_std", std(test));
                m.put("accuracies", new ArrayList<Object>(test));
            }
            list.add(m);
        }
        Map<String, Object> top = new LinkedHashMap<>();
        top.put("seeds", new ArrayList<Object>(runSeeds));
        top.put("methods", list);
        return top;
    }

    /**
     * Median training time per step over epochs 2.. (epoch 1 pays the JIT's warm-up, which would favour whichever method
     * runs later); the mean over all epochs when there is only one.
     */
    static double steadyStepMs(Path metrics, int batch, double fallback) {
        List<Double> ms = new ArrayList<>();
        try {
            List<String> lines = Files.readAllLines(metrics);
            for (int i = 1; i < lines.size(); i++) {
                Object v = JsonText.parseObject(lines.get(i), metrics + ":" + (i + 1)).get("samples_per_s");
                if (v instanceof Number n && n.doubleValue() > 0) {
                    ms.add(batch * 1000.0 / n.doubleValue());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + metrics + ": " + e.getMessage(), e);
        }
        if (ms.isEmpty()) {
            return fallback;
        }
        ms.sort(null);
        int h = ms.size() / 2;
        return ms.size() % 2 == 1 ? ms.get(h) : (ms.get(h - 1) + ms.get(h)) / 2;
    }

    private record Row(String method, double testAccuracy, double valAccuracy, long trainableParams, long peakBytes, double stepMs) {}

    private static void printTable(List<Row> rows) {
        System.out.println();
        System.out.printf(Locale.ROOT, "%-14s %9s %9s %12s %12s %10s%n", "method", "test acc", "val acc", "trainable", "peak", "step");
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "%-14s %9.4f %9.4f %,12d %12s %7.1f ms%n", r.method, r.testAccuracy, r.valAccuracy,
                    r.trainableParams, MemoryLedger.bytes(r.peakBytes), r.stepMs);
        }
    }

    private static void printLegend() {
        System.out.println("accuracy: AVE segment accuracy of the best-validation checkpoint on the test split; peak: the CPU ledger's peak"
                + " (weights, activations, saved tensors, gradients, optimizer state) during training and validation; step: median"
                + " wall time per optimizer step over epochs 2.., data loading included.");
    }
}
