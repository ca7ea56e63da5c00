package org.mettle.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.memory.MemoryLedger;
import org.mettle.method.StepBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Real training steps of every method on random inputs: step time, measured peak memory, trainable parameters. */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = {"Run mettle, mettle-low-memory, lavish, linear and full for --steps real AVE training steps each (after --warmup steps)"
                + " on random inputs of the config's shapes and print step time, peak memory and trainable parameters.",
                "tiny: test-size Swin-V2 + HTS-AT, 2 videos x 10 segments; paper: swinv2_large_window12_192 + htsat, 1 video x 10 segments.",
                "peak_bytes is the device ledger's measured peak during that method's steps (warm-up included), reset between methods;"
                        + " it counts everything live then: frozen backbone weights, inputs, the method's parameters, graph, gradients, AdamW state.",
                "step_ms is wall time per timed step; cpu_ms the process's CPU time per step (all threads), less sensitive to other load.",
                "Step times depend on the machine and its load: report them with the machine and the load average."})
public final class CompareCommand implements Runnable {
    @Option(names = "--task", defaultValue = "ave", description = "ave (the only task compared; default ${DEFAULT-VALUE})") String task;
    @Option(names = "--config", defaultValue = "tiny", description = "tiny or paper (default ${DEFAULT-VALUE})") String config;
    @Option(names = "--steps", defaultValue = "3", description = "timed steps per method (default ${DEFAULT-VALUE})") int steps;
    @Option(names = "--warmup", defaultValue = "1", description = "untimed steps per method first (default ${DEFAULT-VALUE})") int warmup;
    @Option(names = "--device", defaultValue = "cpu", description = "cpu or cuda (default ${DEFAULT-VALUE})") String device;
    @Option(names = "--methods", split = ",", description = "a subset of mettle,mettle-low-memory,lavish,linear,full (default all)") List<String> methods;
    @Option(names = "--json", description = "print one JSON object as the last line") boolean json;

    @Override
    public void run() {
        if (!task.equalsIgnoreCase("ave")) {
            throw new IllegalArgumentException("--task " + task + ": compare runs AVE steps only (the methods differ in the backbones, not the head)");
        }
        if (!device.equalsIgnoreCase("cpu") && !device.equalsIgnoreCase("cuda")) {
            throw new IllegalArgumentException("--device " + device + ": expected cpu or cuda");
        }
        StepBenchmark.Setting setting = StepBenchmark.Setting.parse(config);
        Backend backend = Backends.select(device);
        List<String> chosen = methods == null ? StepBenchmark.METHODS : methods;
        for (String m : chosen) {
            if (!StepBenchmark.METHODS.contains(m)) {
                throw new IllegalArgumentException("--methods: unknown method '" + m + "'; known: " + String.join(", ", StepBenchmark.METHODS));
            }
        }
        System.out.printf(Locale.ROOT, "compare: %s + %s, batch %d x %d segments, %d warm-up + %d timed steps per method, %s%n", setting.visual,
                setting.audio, setting.batch, setting.segments, warmup, steps, backend.describe());
        System.out.printf(Locale.ROOT, "%-18s %12s %12s %14s %16s%n", "method", "step ms", "cpu ms", "peak", "trainable");
        List<StepBenchmark.Measurement> results = new ArrayList<>();
        StepBenchmark.measure(backend, setting.visual, setting.audio, setting.batch, setting.segments, steps, warmup, chosen, m -> {
            results.add(m);
            System.out.printf(Locale.ROOT, "%-18s %12.1f %12.1f %14s %,16d%n", m.method(), m.stepMs(), m.cpuMs(), MemoryLedger.bytes(m.peakBytes()),
                    m.trainableParams());
            System.out.flush();
        });
        if (json) {
            StringBuilder sb = new StringBuilder("{\"config\":\"").append(setting.name().toLowerCase(Locale.ROOT)).append("\",\"methods\":[");
            for (int i = 0; i < results.size(); i++) {
                sb.append(i == 0 ? "" : ",").append(results.get(i).toJson());
            }
            System.out.println(sb.append("]}"));
        }
    }
}
