package org.mettle.models.swin;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mettle.backend.Backend;
import org.mettle.io.SafetensorsFile;
import org.mettle.models.Backbone;
import org.mettle.models.BlockCursor;
import org.mettle.models.StreamingCursor;
import org.mettle.models.Weights;
import org.mettle.nn.LayerNorm;
import org.mettle.nn.Module;
import org.mettle.tensor.Tensor;

/**
 * timm's SwinTransformerV2 feature extractor with a streaming forward. Input [B, 3, img, img]; output the final
 * normed tokens [B, (img/32)^2, 8 * embed] (timm's forward_features, NHWC flattened row-major). Each block's output
 * [B, L, C] (natural row-major token order) goes to the consumer, then the block's input is released.
 *
 * <p>Checkpoint names are timm's current ones ({@code patch_embed.*}, {@code layers.{s}.downsample.*} at the start of
 * stages 1.., {@code layers.{s}.blocks.{b}.*}, {@code norm.*}); {@link #load} also accepts the original Microsoft
 * layout (downsample at the end of stages 0..2) and ignores the classifier and the buffers timm recomputes.
 */
public final class SwinTransformerV2 extends Module implements Backbone {
    private static final Pattern ORIGINAL_DOWNSAMPLE = Pattern.compile("^layers\\.(\\d+)\\.downsample\\.(.*)$");

    private final SwinV2Config config;
    private final PatchEmbed patchEmbed;
    private final PatchMerging[] downsample;
    private final SwinV2Block[][] blocks;
    private final LayerNorm norm;
    private final List<WindowLayout> layouts = new ArrayList<>();
    private final int[] layerWidths;

    public SwinTransformerV2(SwinV2Config config, Backend backend, long seed) {
        super(backend);
        this.config = config;
        checkGeometry(config);
        Random random = new Random(seed);
        patchEmbed = child("patch_embed", new PatchEmbed(backend, random, config.inChans(), config.embedDim(), config.patchSize()));
        ModuleList layers = child("layers", new ModuleList(backend));
        int stages = config.stages();
        downsample = new PatchMerging[stages];
        blocks = new SwinV2Block[stages][];
        layerWidths = new int[config.layerCount()];
        int layer = 0;
        for (int s = 0; s < stages; s++) {
            ModuleList stage = layers.add(Integer.toString(s), new ModuleList(backend));
            int dim = config.stageDim(s);
            int res = config.stageResolution(s);
            if (s > 0) {
                int prev = config.stageResolution(s - 1);
                downsample[s] = stage.add("downsample", new PatchMerging(backend, random, config.stageDim(s - 1), prev, prev, false));
            }
            WindowLayout plain = track(WindowLayout.timmV2(backend, res, res, config.window(), false));
            WindowLayout shifted = track(WindowLayout.timmV2(backend, res, res, config.window(), true));
            ModuleList stageBlocks = stage.add("blocks", new ModuleList(backend));
            blocks[s] = new SwinV2Block[config.depths()[s]];
            for (int b = 0; b < blocks[s].length; b++) {
                WindowLayout layout = b % 2 == 1 ? shifted : plain;
                blocks[s][b] = stageBlocks.add(Integer.toString(b), new SwinV2Block(backend, random, dim, config.heads()[s], layout,
                        config.pretrainedWindows()[s], config.mlpRatio()));
                layerWidths[layer++] = dim;
            }
        }
        norm = child("norm", new LayerNorm(backend, config.stageDim(stages - 1), 1e-5f));
    }

    /** Fails before any weight is allocated when a stage's grid cannot be merged or tiled by its window. */
    private static void checkGeometry(SwinV2Config config) {
        for (int s = 0; s < config.stages(); s++) {
            int res = config.stageResolution(s);
            if (s > 0 && config.stageResolution(s - 1) % 2 != 0) {
                throw new IllegalArgumentException(config.name() + ": stage " + (s - 1) + " has an odd " + config.stageResolution(s - 1)
                        + "x" + config.stageResolution(s - 1) + " token grid, which patch merging cannot halve; choose another image size");
            }
            WindowLayout.timmV2(null, res, res, config.window(), true); // validates; allocates nothing
        }
    }

    private WindowLayout track(WindowLayout layout) {
        layouts.add(layout);
        return layout;
    }

    public SwinV2Config config() {
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

    /** The block at a stage and index (for tests and adapters). */
    public SwinV2Block block(int stage, int index) {
        return blocks[stage][index];
    }

    /** Expected input shape for a batch. */
    public int[] inputShape(int batch) {
        return new int[] {batch, config.inChans(), config.imgSize(), config.imgSize()};
    }

    @Override
    public BlockCursor start(Tensor input, boolean wantAttention) {
        int[] want = inputShape(input.rank() > 0 ? input.dim(0) : 1);
        if (input.rank() != 4 || input.dim(1) != want[1] || input.dim(2) != want[2] || input.dim(3) != want[3]) {
            throw new IllegalArgumentException(arch() + " takes images [B, " + want[1] + ", " + want[2] + ", " + want[3] + "], got "
                    + input.describeShort());
        }
        Tensor embedded = SwinParams.scoped(() -> patchEmbed.forward(input));
        return new StreamingCursor(arch(), layerCount(), embedded, wantAttention) {
            @Override
            protected Tensor mergeBefore(int layer, Tensor x) {
                // timm's layout: stage s > 0 starts with its patch merging
                int[] at = stageAndIndex(layer);
                PatchMerging merge = at[1] == 0 ? downsample[at[0]] : null;
                return merge == null ? null : SwinParams.scoped(() -> merge.forward(x));
            }

            @Override
            protected Step block(int layer, Tensor x, boolean wantTap) {
                int[] at = stageAndIndex(layer);
                SwinV2Block block = blocks[at[0]][at[1]];
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

    /**
     * Loads a safetensors checkpoint (timm or original Microsoft names; see the class comment). Every model tensor
     * must be present with its shape; anything else except the classifier and recomputed buffers is an error.
     */
    public void load(Path file) {
        Set<String> names;
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            names = Set.copyOf(f.names());
        }
        Weights.load(this, file, checkpointRename(names), SwinTransformerV2::isIgnoredCheckpointTensor);
        releaseCaches();
    }

    /**
     * Maps checkpoint names to model names: identity for timm's layout; for the original Microsoft layout (a
     * {@code layers.0.downsample.*} tensor is present) {@code layers.{s}.downsample} becomes {@code layers.{s+1}}.
     */
    public static Function<String, String> checkpointRename(Set<String> names) {
        boolean original = names.stream().anyMatch(n -> n.startsWith("layers.0.downsample."));
        if (!original) {
            return Function.identity();
        }
        return n -> {
            Matcher m = ORIGINAL_DOWNSAMPLE.matcher(n);
            return m.matches() ? "layers." + (Integer.parseInt(m.group(1)) + 1) + ".downsample." + m.group(2) : n;
        };
    }

    /** Classifier heads and the buffers timm recomputes (relative coordinates and index, shift masks, zero k bias). */
    public static boolean isIgnoredCheckpointTensor(String name) {
        return name.startsWith("head.") || name.endsWith(".relative_coords_table") || name.endsWith(".relative_position_index")
                || name.endsWith(".attn_mask") || name.endsWith(".k_bias");
    }

    /** Drops every cached value derived from the weights (call after changing weights in place). */
    public void releaseCaches() {
        for (SwinV2Block[] stage : blocks) {
            for (SwinV2Block b : stage) {
                b.attention().releaseCaches();
            }
        }
    }

    @Override
    public void close() {
        for (SwinV2Block[] stage : blocks) {
            for (SwinV2Block b : stage) {
                b.attention().closeBuffers();
            }
        }
        for (PatchMerging m : downsample) {
            if (m != null) {
                m.releaseCaches();
            }
        }
        for (WindowLayout l : layouts) {
            l.close();
        }
        super.close();
    }
}
