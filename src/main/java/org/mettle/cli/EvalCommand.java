package org.mettle.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.mettle.backend.Backends;
import org.mettle.data.av.AvClip;
import org.mettle.data.loader.Split;
import org.mettle.train.Evaluator;
import org.mettle.train.JsonText;
import org.mettle.train.MetricsLog;
import org.mettle.train.RunModel;
import org.mettle.train.TrainData;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Evaluates a training checkpoint on a split, rebuilding the model from the config in its metadata. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Evaluate a checkpoint (AVE segment accuracy or the LLP metrics) on a dataset split.")
public final class EvalCommand implements Runnable {
    @Option(names = "--checkpoint", required = true, description = "best.safetensors or last.safetensors of a run") Path checkpoint;
    @Option(names = "--data", required = true, description = "dataset root, or 'synthetic' (the run's RUN_DIR/data if present, else"
            + " regenerated from the checkpoint's config)") String data;
    @Option(names = "--split", defaultValue = "test", description = "val or test (default ${DEFAULT-VALUE})") String split;
    @Option(names = "--task", description = "expected task; a checkpoint of another task is refused") String task;
    @Option(names = "--json", description = "print one JSON object as the last line") boolean json;

    @Override
    public void run() {
        Split s = Split.parse(split);
        try (RunModel run = RunModel.fromCheckpoint(checkpoint, Backends.cpu(), System.err)) {
            String trained = run.config().task;
            if (task != null && !task.equalsIgnoreCase(trained)) {
                throw new IllegalArgumentException("checkpoint " + checkpoint + " was trained for task " + trained + ", not --task " + task);
            }
            Path temp = null;
            try {
                Path root;
                if (data.equals(TrainData.SYNTHETIC)) {
                    Path parent = checkpoint.toAbsolutePath().getParent();
                    Path runData = parent == null ? null : parent.resolve("data");
                    if (runData != null && Files.isDirectory(runData)) {
                        root = runData;
                    } else {
                        temp = Files.createTempDirectory("mettle-eval-");
                        root = TrainData.root(data, run.config(), temp.resolve("data"), System.err);
                    }
                } else {
                    root = TrainData.root(data, run.config(), null, System.err);
                }
                List<AvClip> clips = TrainData.clips(run.config().taskEnum(), root, s, false);
                Map<String, Double> metrics = Evaluator.evaluate(run, clips, Backends.cpu());
                System.out.printf(Locale.ROOT, "%s/%s on %s (%s, %d videos): %s%n", trained, run.config().method, root, s.id(), clips.size(),
                        MetricsLog.format(metrics));
                if (json) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("task", trained);
                    m.put("method", run.config().method);
                    m.put("split", s.id());
                    m.put("videos", clips.size());
                    m.put("metrics", metrics);
                    System.out.println(JsonText.write(m));
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            } finally {
                if (temp != null) {
                    deleteTree(temp);
                }
            }
        }
    }

    static void deleteTree(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            System.err.println("warning: could not remove temporary directory " + dir + ": " + e.getMessage());
        }
    }
}
