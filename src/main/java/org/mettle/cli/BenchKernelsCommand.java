package org.mettle.cli;

import java.util.Locale;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.backend.cuda.BenchResult;
import org.mettle.backend.cuda.KernelBench;
import org.mettle.models.htsat.HtsatConfig;
import org.mettle.models.swin.SwinV2Config;
import org.mettle.models.vit.VitConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The Mettle kernel benchmarks (bench lcd, mti, layernorm) at the shapes of a backbone layer. */
final class BenchKernelsCommand {
    private BenchKernelsCommand() {}

    /** One attention layer's geometry: heads, tokens per frame, head dim and width. */
    record Layer(String model, int stage, int heads, int tokens, int headDim, int width) {
        String describe() {
            return model + (stage >= 0 ? " stage " + stage : "") + ": " + heads + " heads x " + headDim + ", " + tokens + " tokens, width " + width;
        }
    }

    /**
     * The layer of {@code model} at {@code stage}: swinv2-l (Swin-V2-L window 12 at 192 px), htsat (HTS-AT AudioSet) or a
     * ViT name (vit_base_patch16_224, ast_base_patch16_128x1024, ...); the stage is ignored for a ViT.
     */
    static Layer layer(String model, int stage) {
        String m = model.toLowerCase(Locale.ROOT);
        if (m.equals("swinv2-l") || m.equals("swinv2_large_window12_192")) {
            SwinV2Config c = SwinV2Config.largeWindow12At192();
            checkStage(model, stage, c.stages());
            int side = c.stageResolution(stage);
            return new Layer(c.name(), stage, c.heads()[stage], side * side, c.stageDim(stage) / c.heads()[stage], c.stageDim(stage));
        }
        if (m.equals("htsat")) {
            HtsatConfig c = HtsatConfig.audioSet();
            checkStage(model, stage, c.stages());
            int side = c.stageResolution(stage);
            return new Layer(c.name(), stage, c.heads()[stage], side * side, c.stageDim(stage) / c.heads()[stage], c.stageDim(stage));
        }
        VitConfig v = VitConfig.named(m.equals("vit-b") ? "vit_base_patch16_224" : model);
        if (v == null) {
            throw new IllegalArgumentException("--model " + model + ": expected swinv2-l, htsat, vit-b or one of " + VitConfig.names());
        }
        return new Layer(v.name(), -1, v.heads(), v.tokens(), v.headDim(), v.dim());
    }

    private static void checkStage(String model, int stage, int stages) {
        if (stage < 0 || stage >= stages) {
            throw new IllegalArgumentException("--stage " + stage + ": " + model + " has stages 0.." + (stages - 1));
        }
    }

    /** Options every kernel benchmark shares. */
    static final class Common {
        @Option(names = "--model", defaultValue = "swinv2-l", description = "swinv2-l, htsat or a ViT name, e.g. vit-b (default ${DEFAULT-VALUE})")
        String model;
        @Option(names = "--stage", defaultValue = "0", description = "Swin / HTS-AT stage (default ${DEFAULT-VALUE})") int stage;
        @Option(names = "--batch", defaultValue = "20", description = "frames (clips x segments) (default ${DEFAULT-VALUE})") int batch;
        @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda or auto (default ${DEFAULT-VALUE})") String device;
        @Option(names = "--dtype", defaultValue = "f32", description = "f32, or bf16 on cuda (default ${DEFAULT-VALUE})") String dtype;
        @Option(names = "--backward", description = "time the forward and the backward together") boolean backward;
        @Option(names = "--warmup", defaultValue = "5") int warmup;
        @Option(names = "--iters", defaultValue = "20") int iters;
        @Option(names = "--json", description = "print one JSON object as the last line") boolean json;

        Backend backend() {
            BenchCommand.checkPositive("--batch", batch, "--iters", iters);
            if (warmup < 0) {
                throw new IllegalArgumentException("--warmup must be >= 0, got " + warmup);
            }
            return Backends.select(device); // throws with the one-line reason when the device is unusable
        }

        void print(Layer layer, BenchResult r) {
            BenchResult out = r.with("model", layer.model());
            if (layer.stage() >= 0) {
                out = out.with("stage", layer.stage());
            }
            System.out.println(out.describe());
            if (json) {
                System.out.println(out.toJson());
            }
        }
    }

    @Command(name = "lcd", mixinStandardHelpOptions = true,
            description = "LCD attention: K meta queries over a layer's N tokens per frame and head (query-only backward).")
    static final class Lcd implements Runnable {
        @Mixin Common common;
        @Option(names = "--meta", defaultValue = "4", description = "meta-tokens K (default ${DEFAULT-VALUE})") int meta;
        @Option(names = "--path", defaultValue = "auto", description = "cuda kernels: auto, lcd (lcd.cu always) or generic (attention.cu)")
        String path;

        @Override
        public void run() {
            BenchCommand.checkPositive("--meta", meta);
            Layer l = layer(common.model, common.stage);
            KernelBench.LcdPath p;
            try {
                p = KernelBench.LcdPath.valueOf(path.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--path " + path + ": expected auto, lcd or generic");
            }
            Backend b = common.backend();
            common.print(l, KernelBench.lcd(b, common.batch, l.heads(), meta, l.tokens(), l.headDim(), common.dtype, common.backward, p,
                    common.warmup, common.iters));
        }
    }

    @Command(name = "mti", mixinStandardHelpOptions = true,
            description = "MTI attention: a layer's N tokens per frame and head over 2K meta keys (mti.cu on cuda).")
    static final class Mti implements Runnable {
        @Mixin Common common;
        @Option(names = "--meta", defaultValue = "4", description = "meta-tokens K; the keys are 2K (default ${DEFAULT-VALUE})") int meta;

        @Override
        public void run() {
            BenchCommand.checkPositive("--meta", meta);
            Layer l = layer(common.model, common.stage);
            Backend b = common.backend();
            common.print(l, KernelBench.mti(b, common.batch, l.heads(), l.tokens(), 2 * meta, l.headDim(), common.dtype, common.backward,
                    common.warmup, common.iters));
        }
    }

    @Command(name = "layernorm", mixinStandardHelpOptions = true,
            description = "Layer norm over [batch x tokens, width] of a layer (or --rows/--width).")
    static final class LayerNorm implements Runnable {
        @Mixin Common common;
        @Option(names = "--rows", description = "rows instead of batch x the layer's tokens") Integer rows;
        @Option(names = "--width", description = "width instead of the layer's") Integer width;

        @Override
        public void run() {
            Layer l = layer(common.model, common.stage);
            int w = width != null ? width : l.width();
            long n = rows != null ? rows : (long) common.batch * l.tokens();
            if (n < 1 || n > Integer.MAX_VALUE || w < 1) {
                throw new IllegalArgumentException("layer norm over " + n + " rows of width " + w + ": both must be in 1.." + Integer.MAX_VALUE);
            }
            Backend b = common.backend();
            common.print(l, KernelBench.layerNorm(b, (int) n, w, common.dtype, common.backward, common.warmup, common.iters));
        }
    }
}
