package org.mettle.models.htsat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.mettle.backend.Backend;
import org.mettle.models.Backbone;
import org.mettle.models.BlockCursor;
import org.mettle.models.StreamingCursor;
import org.mettle.models.Weights;
import org.mettle.models.swin.ModuleList;
import org.mettle.models.swin.PatchEmbed;
import org.mettle.models.swin.PatchMerging;
import org.mettle.models.swin.SwinParams;
import org.mettle.models.swin.TapHolder;
import org.mettle.models.swin.WindowLayout;
import org.mettle.nn.Init;
import org.mettle.nn.LayerNorm;
import org.mettle.nn.Module;
import org.mettle.tensor.Tensor;

/**
 * HTS-AT's audio Swin-V1 (the HTSAT_Swin_Transformer feature path) with a streaming forward. Input: log-mel
 * [B, T, melBins] (T = 1001 frames for 10 s); {@code bn0} (eval-mode BatchNorm per mel bin), bicubic resize
 * (align_corners, along time; see {@link BicubicTimeResize}) to {@link HtsatConfig#targetFrames()} frames when T is shorter, HTS-AT's reshape_wav2img fold into
 * a specSize x specSize image (image row r * melBins + f, column t holds frame r * specSize + t, bin f), patch
 * embedding, four Swin-V1 stages with patch merging at the end of stages 0..2, final {@code norm}. Output the final
 * normed tokens [B, (specSize / patch / 8)^2, 8 * embed], row-major over the image grid.
 *
 * <p>Loads the names of the HTS-AT AudioSet release, with or without the Lightning prefix {@code sed_model.}; the
 * STFT/mel extractors, {@code tscam_conv}, {@code head}, and the recomputed buffers are ignored.
 */
public final class Htsat extends Module implements Backbone {
    /** Batch norm over mel bins in eval mode: running statistics and affine (PyTorch's BatchNorm2d names). */
    static final class MelBatchNorm extends Module {
        private static final float EPS = 1e-5f;
        final Tensor weight;
        final Tensor bias;
        final Tensor runningMean;
        final Tensor runningVar;

        MelBatchNorm(Backend backend, int bins) {
            super(backend);
            weight = parameter("weight", Init.constant(backend, 1f, bins));
            bias = parameter("bias", Init.constant(backend, 0f, bins));
            runningMean = parameter("running_mean", Init.constant(backend, 0f, bins));
            runningVar = parameter("running_var", Init.constant(backend, 1f, bins));
        }

        /** x [..., bins] * alpha + beta with alpha = weight / sqrt(var + eps), beta = bias - mean * alpha (torch's eval form). */
        Tensor forward(Tensor x) {
            Tensor shifted = runningVar.add(EPS);
            Tensor std = shifted.sqrt();
            Tensor alpha = weight.div(std);
            Tensor meanTimesAlpha = runningMean.mul(alpha);
            Tensor beta = bias.sub(meanTimesAlpha);
            Tensor scaled = x.mul(alpha);
            Tensor out = scaled.add(beta);
            for (Tensor t : new Tensor[] {shifted, std, alpha, meanTimesAlpha, beta, scaled}) {
                t.close();
            }
            return out;
        }
    }

    private final HtsatConfig config;
    private final MelBatchNorm bn0;
    private final PatchEmbed patchEmbed;
    private final SwinV1Block[][] blocks;
    private final PatchMerging[] downsample;
    private final LayerNorm norm;
    private final List<WindowLayout> layouts = new ArrayList<>();
    private final Map<Integer, BicubicTimeResize> resizers = new HashMap<>();
    private final int[] layerWidths;

    public Htsat(HtsatConfig config, Backend backend, long seed) {
        super(backend);
        this.config = config;
        for (int s = 0; s < config.stages(); s++) {
            // fails before any weight is allocated when a grid cannot be tiled or merged
            int res = config.stageResolution(s);
            WindowLayout.swinV1(null, res, res, config.window(), true);
            if (s < config.stages() - 1 && res % 2 != 0) {
                throw new IllegalArgumentException(config.name() + ": stage " + s + " has an odd " + res + "x" + res
                        + " token grid, which patch merging cannot halve");
            }
        }
        Random random = new Random(seed);
        bn0 = child("bn0", new MelBatchNorm(backend, config.melBins()));
        patchEmbed = child("patch_embed", new PatchEmbed(backend, random, 1, config.embedDim(), config.patchSize()));
        ModuleList layers = child("layers", new ModuleList(backend));
        int stages = config.stages();
        blocks = new SwinV1Block[stages][];
        downsample = new PatchMerging[stages];
        layerWidths = new int[config.layerCount()];
        int layer = 0;
        for (int s = 0; s < stages; s++) {
            ModuleList stage = layers.add(Integer.toString(s), new ModuleList(backend));
            int dim = config.stageDim(s);
            int res = config.stageResolution(s);
            WindowLayout plain = WindowLayout.swinV1(backend, res, res, config.window(), false);
            WindowLayout shifted = WindowLayout.swinV1(backend, res, res, config.window(), true);
            layouts.add(plain);
            layouts.add(shifted);
            ModuleList stageBlocks = stage.add("blocks", new ModuleList(backend));
            blocks[s] = new SwinV1Block[config.depths()[s]];
            for (int b = 0; b < blocks[s].length; b++) {
                blocks[s][b] = stageBlocks.add(Integer.toString(b),
                        new SwinV1Block(backend, random, dim, config.heads()[s], b % 2 == 1 ? shifted : plain, config.mlpRatio()));
                layerWidths[layer++] = dim;
            }
            if (s < stages - 1) {
                downsample[s] = stage.add("downsample", new PatchMerging(backend, random, dim, res, res, true));
            }
        }
        norm = child("norm", new LayerNorm(backend, config.stageDim(stages - 1), 1e-5f));
    }

    public HtsatConfig config() {
        return config;
    }

    @Override
    public String arch() {
        return config.name();
    }

    @Override
    public int layerCount() {
        return layerWidths.length;
    }

    @Override
    public int layerWidth(int layer) {
        return layerWidths[layer];
    }

    @Override
    public Module module() {
        return this;
    }

    public SwinV1Block block(int stage, int index) {
        return blocks[stage][index];
    }

    /** The input shape of a 10 s clip at HTS-AT's hop (1001 frames when the image takes 1024). */
    public int[] inputShape(int batch) {
        return new int[] {batch, Math.round(config.targetFrames() * 1001f / 1024f), config.melBins()};
    }

    /** Log-mel [B, T, melBins] to the folded, normalised image [B, 1, specSize, specSize] (bn0, resize, fold). */
    public Tensor toImage(Tensor logMel) {
        int target = config.targetFrames();
        if (logMel.rank() != 3 || logMel.dim(2) != config.melBins() || logMel.dim(1) < 1) {
            throw new IllegalArgumentException(arch() + " takes log-mel spectrograms [B, T, " + config.melBins() + "] (T <= " + target
                    + " frames), got " + logMel.describeShort());
        }
        int b = logMel.dim(0);
        int frames = logMel.dim(1);
        int bins = config.melBins();
        if (frames > target) {
            throw new IllegalArgumentException(arch() + " takes at most " + target + " frames, got " + frames + " in " + logMel.describeShort()
                    + "; split longer audio into clips of at most " + target + " frames (HTS-AT crops them too)");
        }
        Tensor resized = bn0.forward(logMel);
        if (frames < target) {
            Tensor normed = resized;
            resized = resizer(frames).forward(normed);
            normed.close();
        }
        int ratio = config.freqRatio();
        int spec = config.specSize();
        // reshape_wav2img: (T, F) -> (F, T) -> (F, ratio, T/ratio) -> (ratio, F, T/ratio) -> (ratio*F, T/ratio)
        Tensor chunks = resized.reshape(b, ratio, target / ratio, bins);
        resized.close();
        Tensor folded = chunks.permute(0, 1, 3, 2);
        chunks.close();
        Tensor image = folded.reshape(b, 1, spec, spec);
        folded.close();
        return image;
    }

    /** The resize from a clip length to the target frames, built once per length. */
    private synchronized BicubicTimeResize resizer(int frames) {
        return resizers.computeIfAbsent(frames, t -> new BicubicTimeResize(backend, t, config.targetFrames()));
    }

    @Override
    public BlockCursor start(Tensor input, boolean wantAttention) {
        Tensor embedded = SwinParams.scoped(() -> {
            Tensor image = toImage(input);
            Tensor tokens = patchEmbed.forward(image);
            image.close();
            return tokens;
        });
        return new StreamingCursor(arch(), layerCount(), embedded, wantAttention) {
            @Override
            protected Tensor mergeBefore(int layer, Tensor x) {
                // HTS-AT merges at the end of stages 0..2, i.e. before the first block of the next stage
                int[] at = stageAndIndex(layer);
                PatchMerging merge = at[1] == 0 && at[0] > 0 ? downsample[at[0] - 1] : null;
                return merge == null ? null : SwinParams.scoped(() -> merge.forward(x));
            }

            @Override
            protected Step block(int layer, Tensor x, boolean wantTap) {
                int[] at = stageAndIndex(layer);
                SwinV1Block block = blocks[at[0]][at[1]];
                return TapHolder.step(wantTap, tap -> block.forward(x, tap));
            }

            @Override
            protected Tensor finalNorm(Tensor x) {
                return SwinParams.scoped(() -> norm.forward(x));
            }
        };
    }

    /** {stage, index within the stage} of a block index over all stages. */
    private int[] stageAndIndex(int layer) {
        return TapHolder.stageAndIndex(blocks, layer, arch());
    }

    /** Loads a safetensors file with the HTS-AT release's names (see the class comment); other mismatches are errors. */
    public void load(Path file) {
        Weights.load(this, file, Htsat::checkpointName, Htsat::isIgnoredCheckpointTensor);
        releaseCaches();
    }

    /** Strips the Lightning wrapper's {@code sed_model.} prefix. */
    public static String checkpointName(String name) {
        return name.startsWith("sed_model.") ? name.substring("sed_model.".length()) : name;
    }

    /** Tensors of the release that the backbone does not use: extractors, classifier, recomputed buffers. */
    public static boolean isIgnoredCheckpointTensor(String name) {
        String n = checkpointName(name);
        return n.startsWith("spectrogram_extractor.") || n.startsWith("logmel_extractor.") || n.startsWith("tscam_conv.")
                || n.startsWith("head.") || n.equals("bn0.num_batches_tracked") || n.endsWith(".relative_position_index")
                || n.endsWith(".attn_mask");
    }

    public void releaseCaches() {
        for (SwinV1Block[] stage : blocks) {
            for (SwinV1Block b : stage) {
                b.attention().releaseCaches();
            }
        }
    }

    @Override
    public void close() {
        releaseCaches();
        for (PatchMerging m : downsample) {
            if (m != null) {
                m.releaseCaches();
            }
        }
        for (WindowLayout l : layouts) {
            l.close();
        }
        synchronized (this) {
            resizers.values().forEach(BicubicTimeResize::close);
            resizers.clear();
        }
        super.close();
    }
}
