package org.mettle.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.backend.cuda.CudaBackend;
import org.mettle.backend.cuda.CudaProfiler;
import org.mettle.backend.cuda.DeviceHighWater;
import org.mettle.io.Json;
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
                "On cuda each method also gets device_peak_bytes: the driver-level high-water mark (cuMemGetInfo at each device"
                        + " allocation, minus the use before the first one), cached blocks trimmed between methods.",
                "Step times depend on the machine and its load: report them with the machine and the load average."})
public final class CompareCommand implements Runnable {
    @Option(names = "--task", defaultValue = "ave", description = "ave (the only task compared; default ${DEFAULT-VALUE})") String task;
    @Option(names = "--config", defaultValue = "tiny", description = "tiny or paper (default ${DEFAULT-VALUE})") String config;
    @Option(names = "--steps", defaultValue = "3", description = "timed steps per method (default ${DEFAULT-VALUE})") int steps;
    @Option(names = "--warmup", defaultValue = "1", description = "untimed steps per method first (default ${DEFAULT-VALUE})") int warmup;
    @Option(names = "--device", defaultValue = "cpu", description = "cpu or cuda (default ${DEFAULT-VALUE})") String device;
    @Option(names = "--batch", description = "videos per step (default: the config's, tiny 2, paper 1)") Integer batch;
    @Option(names = "--segments", description = "one-second segments per video (default: the config's, 10)") Integer segments;
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
        int videos = batch == null ? setting.batch : batch;
        int perVideo = segments == null ? setting.segments : segments;
        if (videos < 1 || perVideo < 1) {
            throw new IllegalArgumentException("--batch and --segments must be at least 1, got " + videos + " and " + perVideo);
        }
        List<String> chosen = methods == null ? StepBenchmark.METHODS : methods;
        for (String m : chosen) {
            if (!StepBenchmark.METHODS.contains(m)) {
                throw new IllegalArgumentException("--methods: unknown method '" + m + "'; known: " + String.join(", ", StepBenchmark.METHODS));
            }
        }
        Backend backend = Backends.select(device);
        CudaBackend cudaBackend = backend instanceof CudaBackend c ? c : null;
        DeviceHighWater highWater = cudaBackend == null ? null : cudaBackend.allocator().highWater();
        System.out.printf(Locale.ROOT, "compare: %s + %s, batch %d x %d segments, %d warm-up + %d timed steps per method, %s%n", setting.visual,
                setting.audio, videos, perVideo, warmup, steps, backend.describe());
        System.out.printf(Locale.ROOT, "%-18s %12s %12s %14s %16s%n", "method", "step ms", "cpu ms", "peak", "trainable");
        List<String> rows = new ArrayList<>();
        CudaProfiler profiler = cudaBackend == null ? null : cudaBackend.profiler();
        StepBenchmark.Hooks hooks = cudaBackend == null ? StepBenchmark.Hooks.NONE
                : new StepBenchmark.Hooks(() -> cudaBackend.allocator().resetPeaks(), () -> {
                    if (profiler != null) {
                        profiler.reset();
                    }
                });
        StepBenchmark.measure(backend, setting.visual, setting.audio, videos, perVideo, steps, warmup, chosen, m -> {
            String row = m.toJson();
            String devicePeak = "";
            if (highWater != null) {
                long peak = highWater.peakBytes();
                row = row.substring(0, row.length() - 1) + ",\"device_peak_bytes\":" + peak + ",\"allocator\":"
                        + cudaBackend.allocator().stats().toJson() + (profiler == null ? "" : ",\"profile_steps\":" + steps
                        + ",\"profile\":" + profiler.toJson(60)) + "}";
                if (profiler != null) {
                    System.err.printf(Locale.ROOT, "profile of %s, %d timed steps (kernel: GPU time from CUDA events; host launch: the host's time per launch):%n%s",
                            m.method(), steps, profiler.table((long) (m.stepMs() * steps * 1e6), 40));
                }
                devicePeak = "  device peak " + MemoryLedger.bytes(peak);
                // the next method's window: without this method's cached blocks, from what is live now
                cudaBackend.allocator().trim();
                highWater.reset();
            }
            rows.add(row);
            System.out.printf(Locale.ROOT, "%-18s %12.1f %12.1f %14s %,16d%s%n", m.method(), m.stepMs(), m.cpuMs(), MemoryLedger.bytes(m.peakBytes()),
                    m.trainableParams(), devicePeak);
            System.out.flush();
        }, hooks);
        if (json) {
            System.out.println(jsonLine(setting.name().toLowerCase(Locale.ROOT), rows, videos, perVideo, backend.describe()));
        }
    }

    /** {"config":...,"methods":[...],"batch":B,"segments":T,"device":"..."}. */
    static String jsonLine(String config, List<String> methodRows, int videos, int perVideo, String deviceDescription) {
        return "{\"config\":\"" + config + "\",\"methods\":[" + String.join(",", methodRows) + "],\"batch\":" + videos + ",\"segments\":"
                + perVideo + ",\"device\":" + Json.quote(deviceDescription) + "}";
    }
}
