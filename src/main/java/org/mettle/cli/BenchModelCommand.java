package org.mettle.cli;

import java.util.Locale;
import java.util.Map;
import org.mettle.backend.Backends;
import org.mettle.bench.ModelBenchmark;
import org.mettle.memory.MemoryLedger;
import org.mettle.models.Architectures;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mettle bench model}: times a no-grad forward of a backbone with random weights. Threads: all cores, or
 * {@code METTLE_THREADS} / {@code -Dmettle.threads}. With --json the last line of stdout is one JSON object.
 */
@Command(name = "model", mixinStandardHelpOptions = true,
        description = "Time a no-grad backbone forward with random weights (median of timed runs after warm-up).")
public final class BenchModelCommand implements Runnable {
    @Option(names = "--arch", defaultValue = "vit_base_patch16_224", description = "architecture (default ${DEFAULT-VALUE})")
    String arch;

    @Option(names = "--batch", defaultValue = "1", description = "batch size (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu (cuda arrives with the CUDA backend)")
    String device;

    @Option(names = "--warmup", defaultValue = "3", description = "untimed forwards (default ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--iters", defaultValue = "10", description = "timed forwards (default ${DEFAULT-VALUE})")
    int iters;

    @Option(names = "--breakdown", description = "also time each op of a ViT forward alone at the model's shapes")
    boolean breakdown;

    @Option(names = "--json", description = "print one JSON object as the last line")
    boolean json;

    @Option(names = "--prepack", description = "pack the frozen Linear weights once before timing (inference; one more copy of them)")
    boolean prepack;

    @Override
    public void run() {
        BenchCommand.requireCpu(device);
        BenchCommand.checkPositive("--batch", batch, "--iters", iters);
        if (!Architectures.isKnown(arch)) {
            throw new IllegalArgumentException("unknown architecture '" + arch + "'; known: " + String.join(", ", Architectures.names()));
        }
        ModelBenchmark.Result r = ModelBenchmark.run(arch, batch, Backends.cpu(), warmup, iters, prepack);
        System.out.printf(Locale.ROOT, "%s batch %d fp32 cpu forward (no grad): %.2f ms median (min %.2f), %d threads, %s;"
                        + " %.1fM parameters, peak activations %s%s%n", r.arch(), r.batch(), r.ms(), r.minMs(), r.threads(), r.path(),
                r.parameters() / 1e6, MemoryLedger.bytes(r.peakActivationBytes()),
                prepack ? String.format(Locale.ROOT, "; %d Linear weights prepacked (%s more)", r.packedLinears(),
                        MemoryLedger.bytes(r.packedBytes())) : "");
        if (breakdown) {
            Map<String, Double> ops = ModelBenchmark.breakdown(arch, batch, Backends.cpu(), iters);
            double total = ops.values().stream().mapToDouble(Double::doubleValue).sum();
            for (Map.Entry<String, Double> e : ops.entrySet()) {
                System.out.printf(Locale.ROOT, "  %-20s %9.2f ms  %5.1f%%%n", e.getKey(), e.getValue(), 100 * e.getValue() / total);
            }
            System.out.printf(Locale.ROOT, "  %-20s %9.2f ms  (ops timed alone; the forward took %.2f ms)%n", "sum", total, r.ms());
        }
        if (json) {
            System.out.println(r.toJson());
        }
    }
}
