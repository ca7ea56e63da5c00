package org.mettle.cli;

import org.mettle.method.LayerSelection;
import org.mettle.method.LcdConfig;
import org.mettle.method.MemoryPlanner;
import org.mettle.method.Task;
import org.mettle.tensor.DType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Plans the peak memory of a real training step (or forward) on the meta backend: exact ledger bytes, no compute. */
@Command(name = "memory", mixinStandardHelpOptions = true,
        description = "Plan peak memory of a training step (or --inference) on the meta backend, e.g. the paper setting:"
                + " --task ave --method mettle --visual swinv2_large_window12_192 --audio htsat --segments 10 --batch 1.")
public final class MemoryCommand implements Runnable {
    @Option(names = "--task", defaultValue = "ave", description = "ave or avvp (default ${DEFAULT-VALUE})") String task;
    @Option(names = "--method", defaultValue = "mettle", description = "mettle, lavish (LAVisH-style adapters, defaults: 8 latent tokens, r = 16), linear, full or backprop-bound") String method;
    @Option(names = "--visual", defaultValue = "swinv2_large_window12_192", description = "visual backbone (default ${DEFAULT-VALUE})") String visual;
    @Option(names = "--audio", defaultValue = "htsat", description = "audio backbone (default ${DEFAULT-VALUE})") String audio;
    @Option(names = "--batch", defaultValue = "1", description = "videos per batch (default ${DEFAULT-VALUE})") int batch;
    @Option(names = "--segments", defaultValue = "10", description = "one-second segments per video (default ${DEFAULT-VALUE})") int segments;
    @Option(names = "--inference", description = "forward only, no graph") boolean inference;
    @Option(names = "--low-memory", description = "two-pass training step that keeps nothing per layer") boolean lowMemory;
    @Option(names = "--meta-tokens", defaultValue = "4", description = "meta-tokens K per layer (default ${DEFAULT-VALUE})") int metaTokens;
    @Option(names = "--layers", defaultValue = "all", description = "LCD layers: all, every:K, last:N or 0,3,5 (default ${DEFAULT-VALUE})") String layers;
    @Option(names = "--bottleneck-ratio", defaultValue = "16", description = "adaptation bottleneck D -> D/r (default ${DEFAULT-VALUE})") int ratio;
    @Option(names = "--common-width", defaultValue = "256", description = "D_c, the width LCD projects every layer to (default ${DEFAULT-VALUE})") int commonWidth;
    @Option(names = "--weights-dtype", defaultValue = "f32", description = "f32 or bf16: how the frozen backbones store"
            + " their weight matrices (bf16 halves them; not with --method full) (default ${DEFAULT-VALUE})") String weightsDtype;
    @Option(names = "--json", description = "print one JSON object as the last line") boolean json;

    @Override
    public void run() {
        LcdConfig lcd = new LcdConfig(metaTokens, new LayerSelection(layers), ratio, commonWidth);
        MemoryPlanner.Request request = new MemoryPlanner.Request(Task.parse(task), method, visual, audio, batch, segments, inference,
                lowMemory, lcd, parseWeightsDtype(weightsDtype));
        MemoryPlanner.Result result = MemoryPlanner.plan(request);
        if (json) {
            System.out.println(result.toJson());
        } else {
            System.out.print(result.format());
        }
    }

    static DType parseWeightsDtype(String value) {
        return switch (value.toLowerCase(java.util.Locale.ROOT)) {
            case "f32" -> DType.F32;
            case "bf16" -> DType.BF16;
            default -> throw new IllegalArgumentException("--weights-dtype " + value + ": expected f32 or bf16");
        };
    }
}
