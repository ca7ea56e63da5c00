package org.mettle.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** RUN_DIR/metrics.jsonl (one JSON object per epoch) and the plots drawn from it. */
public final class MetricsLog {
    private MetricsLog() {}

    /** Appends one line and forces it to disk. */
    public static void append(Path file, Map<String, Object> line) {
        try {
            Files.writeString(file, JsonText.write(line) + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                    StandardOpenOption.SYNC);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + file + ": " + e.getMessage(), e);
        }
    }

    /** The lines of epochs 1..epochs; later lines (an epoch interrupted before its checkpoint) are removed from the file. */
    public static List<Map<String, Object>> readAndTruncate(Path file, int epochs) {
        List<Map<String, Object>> out = new ArrayList<>();
        if (!Files.isRegularFile(file)) {
            return out;
        }
        StringBuilder kept = new StringBuilder();
        try {
            int n = 0;
            for (String text : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                n++;
                if (text.isBlank()) {
                    continue;
                }
                Map<String, Object> line;
                try {
                    line = JsonText.parseObject(text, file + ":" + n);
                } catch (IllegalArgumentException e) {
                    break; // a line cut short by a crash ends the log
                }
                Object epoch = line.get("epoch");
                if (!(epoch instanceof Long e) || e > epochs) {
                    break;
                }
                out.add(line);
                kept.append(text).append('\n');
            }
            Trainer.writeAtomically(file, kept.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** The first epoch with the highest value of key (the last epoch when no line has it). */
    public static int bestEpoch(List<Map<String, Object>> history, String key) {
        int best = history.isEmpty() ? 0 : ((Number) history.get(history.size() - 1).get("epoch")).intValue();
        double bestValue = Double.NEGATIVE_INFINITY;
        boolean found = false;
        for (Map<String, Object> line : history) {
            if (line.get(key) instanceof Number v && (!found || v.doubleValue() > bestValue)) {
                bestValue = v.doubleValue();
                best = ((Number) line.get("epoch")).intValue();
                found = true;
            }
        }
        return best;
    }

    /** The val_* metrics of one epoch, without the prefix. */
    public static Map<String, Double> valMetrics(List<Map<String, Object>> history, int epoch) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (Map<String, Object> line : history) {
            if (((Number) line.get("epoch")).intValue() == epoch) {
                line.forEach((k, v) -> {
                    if (k.startsWith("val_") && v instanceof Number n) {
                        out.put(k.substring(4), n.doubleValue());
                    }
                });
            }
        }
        return out;
    }

    /** loss.png (train loss per epoch) and metrics.png (the main validation metrics per epoch). */
    public static void plot(Path dir, List<Map<String, Object>> history) {
        List<Double> loss = new ArrayList<>();
        Map<String, List<Double>> metrics = new LinkedHashMap<>();
        for (Map<String, Object> line : history) {
            loss.add(number(line.get("train_loss")));
        }
        for (Map<String, Object> line : history) {
            for (String k : line.keySet()) {
                if (k.startsWith("val_") && (k.endsWith("accuracy") || k.endsWith("type_av") || k.endsWith("event_av"))) {
                    metrics.computeIfAbsent(k.substring(4).replace('_', ' '), x -> new ArrayList<>());
                }
            }
        }
        for (Map.Entry<String, List<Double>> e : metrics.entrySet()) {
            String key = "val_" + e.getKey().replace(' ', '_');
            for (Map<String, Object> line : history) {
                e.getValue().add(number(line.get(key)));
            }
        }
        PlotWriter.write(dir.resolve("loss.png"), "Training loss", "epoch", "mean loss", PlotWriter.single("train loss", loss));
        PlotWriter.write(dir.resolve("metrics.png"), "Validation metrics", "epoch", "score (fraction)",
                metrics.isEmpty() ? PlotWriter.single("no validation set", List.of()) : metrics);
    }

    /** "epoch 3 step 12 loss 1.2345 val accuracy 0.4100 ..." for the log. */
    public static String summary(Map<String, Object> line) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "epoch %s step %s loss %.4f", line.get("epoch"), line.get("step"),
                number(line.get("train_loss"))));
        line.forEach((k, v) -> {
            if (k.startsWith("val_") && v instanceof Number n) {
                sb.append(String.format(Locale.ROOT, " %s %.4f", k, n.doubleValue()));
            }
        });
        sb.append(String.format(Locale.ROOT, "  %.1f s, %.2f samples/s", number(line.get("seconds")), number(line.get("samples_per_s"))));
        return sb.toString();
    }

    public static String format(Map<String, Double> metrics) {
        StringBuilder sb = new StringBuilder();
        metrics.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%s %.4f", k, v)));
        return sb.toString();
    }

    private static double number(Object v) {
        return v instanceof Number n ? n.doubleValue() : Double.NaN;
    }
}
