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
            RunConfig base = RunConfig.tiny();
            base.synthVideos = videos;
            base.synthClasses = classes;
            base.synthHeldOut = heldOut;
            base.epochs = epochs;
            base.seed = seed;
            base.weightsOptional = false; // the demo is about the shipped pretrained backbones
            base.validate();
            Path data = TrainData.root(TrainData.SYNTHETIC, base, dir.resolve("data"), log);
            List<Row> rows = new ArrayList<>();
            for (String method : methods) {
                RunConfig c = base.copy();
                c.method = method.toLowerCase(Locale.ROOT);
                log.printf(Locale.ROOT, "== %s: %d epochs on %s%n", c.method, c.epochs, data);
                Trainer.Result r = Trainer.run(c, new Trainer.Options(dir.resolve("run-" + c.method), data.toString(), false, 0, log, log,
                        ProgressBar.onTerminal()));
                rows.add(new Row(c.method, r.test().get("accuracy"), r.bestVal().get("accuracy"), r.trainableParams(), r.peakBytes(),
                        steadyStepMs(r.runDir().resolve(Trainer.METRICS), c.batch, r.stepMs())));
            }
            printTable(rows, data);
            if (!temporary) {
                System.out.println("runs, checkpoints, metrics and plots in " + dir);
            }
            if (json) {
                List<Object> list = new ArrayList<>();
                for (Row row : rows) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("method", row.method);
                    m.put("accuracy", row.testAccuracy);
                    m.put("val_accuracy", row.valAccuracy);
                    m.put("trainable_params", row.trainableParams);
                    m.put("peak_bytes", row.peakBytes);
                    m.put("step_ms", row.stepMs);
                    list.add(m);
                }
                Map<String, Object> top = new LinkedHashMap<>();
                top.put("methods", list);
                System.out.println(JsonText.write(top));
            }
        } finally {
            if (temporary) {
                EvalCommand.deleteTree(dir);
            }
        }
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

    private static void printTable(List<Row> rows, Path data) {
        System.out.println();
        System.out.printf(Locale.ROOT, "%-14s %9s %9s %12s %12s %10s%n", "method", "test acc", "val acc", "trainable", "peak", "step");
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "%-14s %9.4f %9.4f %,12d %12s %7.1f ms%n", r.method, r.testAccuracy, r.valAccuracy,
                    r.trainableParams, MemoryLedger.bytes(r.peakBytes), r.stepMs);
        }
        System.out.println("accuracy: AVE segment accuracy of the best-validation checkpoint on the test split; peak: the CPU ledger's peak"
                + " (weights, activations, saved tensors, gradients, optimizer state) during training and validation; step: median"
                + " wall time per optimizer step over epochs 2.., data loading included.");
    }
}
