package org.mettle.models.vit;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.mettle.autograd.ConvOps;
import org.mettle.autograd.ShapeOps;
import org.mettle.backend.Backend;
import org.mettle.memory.MemoryCategory;
import org.mettle.models.Backbone;
import org.mettle.models.BlockCursor;
import org.mettle.models.StreamingCursor;
import org.mettle.models.Weights;
import org.mettle.nn.Init;
import org.mettle.nn.LayerNorm;
import org.mettle.nn.Module;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;

/**
 * timm's {@code VisionTransformer} (and AST's audio variant of it) as a streaming {@link Backbone}.
 *
 * <p>Forward, with timm's names: {@code patch_embed.proj} (a conv with kernel = patch, stride = patch or AST's
 * overlapping stride) -> flatten to tokens (row-major over the patch grid) -> prepend {@code cls_token} (and
 * {@code dist_token} for AST) -> add {@code pos_embed} -> {@code blocks.{i}} (pre-norm, fused qkv, exact GELU,
 * LayerNorm eps 1e-6) -> {@code norm}. The classifier ({@code head.*}, AST's {@code head_dist.*},
 * {@code mlp_head.*}) is not part of the backbone and is ignored when loading.
 *
 * <p>Spectrogram configs take [B, T, F] and transpose it to [B, 1, F, T] exactly as AST's {@code forward} does.
 */
public final class VisionTransformer extends Module implements Backbone {
    /** Checkpoint tensors that belong to classifiers, not to the backbone. */
    private static final List<String> HEAD_PREFIXES = List.of("head.", "head_dist.", "pre_logits.", "mlp_head.");

    /** timm's {@code PatchEmbed}: one conv named {@code proj}. */
    static final class PatchEmbed extends Module {
        static final class Projection extends Module {
            final Tensor weight;
            final Tensor bias;

            Projection(Backend backend, Random random, int in, int out, int patch) {
                super(backend);
                int fanIn = in * patch * patch;
                weight = parameter("weight", Init.uniformFanIn(backend, random, fanIn, out, in, patch, patch));
                bias = parameter("bias", Init.uniformFanIn(backend, random, fanIn, out));
            }
        }

        final Projection proj;

        PatchEmbed(Backend backend, Random random, VitConfig c) {
            super(backend);
            proj = child("proj", new Projection(backend, random, c.channels(), c.dim(), c.patch()));
        }
    }

    private final VitConfig config;
    private final Tensor clsToken;
    private final Tensor distToken;
    private final Tensor posEmbed;
    private final PatchEmbed patchEmbed;
    private final VitBlock[] blocks;
    private final LayerNorm norm;

    /** Random weights from seed (timm-like: tokens and position embedding N(0, 0.02), PyTorch default layers). */
    public VisionTransformer(VitConfig config, Backend backend, long seed) {
        super(backend);
        this.config = config;
        Random random = new Random(seed);
        try (var c = MemoryCategory.using(MemoryCategory.WEIGHTS)) {
            clsToken = parameter("cls_token", Init.normal(backend, random, 0.02f, 1, 1, config.dim()));
            distToken = config.prefixTokens() == 2 ? parameter("dist_token", Init.normal(backend, random, 0.02f, 1, 1, config.dim())) : null;
            posEmbed = parameter("pos_embed", Init.normal(backend, random, 0.02f, 1, config.tokens(), config.dim()));
            patchEmbed = child("patch_embed", new PatchEmbed(backend, random, config));
            ModuleList list = child("blocks", new ModuleList(backend));
            blocks = new VitBlock[config.depth()];
            for (int i = 0; i < blocks.length; i++) {
                blocks[i] = list.add(new VitBlock(backend, random, config));
            }
            norm = child("norm", new LayerNorm(backend, config.dim(), config.eps()));
        }
    }

    /** A container whose children are named 0, 1, 2, ... (timm's {@code nn.Sequential} of blocks). */
    private static final class ModuleList extends Module {
        private int size;

        ModuleList(Backend backend) {
            super(backend);
        }

        <M extends Module> M add(M m) {
            return child(Integer.toString(size++), m);
        }
    }

    public VitConfig config() {
        return config;
    }

    @Override
    public String arch() {
        return config.name();
    }

    @Override
    public int layerCount() {
        return blocks.length;
    }

    @Override
    public int layerWidth(int layer) {
        if (layer < 0 || layer >= blocks.length) {
            throw new IndexOutOfBoundsException("layer " + layer + " of " + config.name() + " (it has " + blocks.length + ")");
        }
        return config.dim();
    }

    @Override
    public Module module() {
        return this;
    }

    /**
     * Loads a safetensors checkpoint strictly by timm's names. Also accepted: AST's {@code module.v.} prefix and
     * timm's bare names under a {@code module.} (DataParallel) prefix. Classifier tensors ({@code head.*},
     * {@code head_dist.*}, {@code pre_logits.*}, {@code mlp_head.*}) are ignored; anything else missing, unexpected
     * or mis-shaped is an error naming it.
     */
    public void loadWeights(Path file) {
        Weights.load(this, file, VisionTransformer::canonicalName, VisionTransformer::isClassifier);
    }

    /** A checkpoint name with AST's / DataParallel's prefixes stripped. */
    static String canonicalName(String name) {
        String n = name.startsWith("module.") ? name.substring("module.".length()) : name;
        return n.startsWith("v.") ? n.substring(2) : n;
    }

    static boolean isClassifier(String name) {
        String n = canonicalName(name);
        return HEAD_PREFIXES.stream().anyMatch(n::startsWith);
    }

    /** The error text for an input of the wrong shape, or null when the shape is right. */
    public String checkInput(Shape shape) {
        int rank = config.spectrogram() ? 3 : 4;
        if (shape.rank() == rank && shape.dim(0) >= 1 && shape.equals(config.inputShape(shape.dim(0)))) {
            return null;
        }
        int batch = shape.rank() > 0 && shape.dim(0) >= 1 ? shape.dim(0) : 1;
        return config.name() + " takes " + config.describeInput() + ", i.e. " + config.inputShape(batch)
                + " for a batch of " + batch + "; got " + shape;
    }

    /** Patch embedding, prefix tokens and position embedding: [B, N, D]. */
    Tensor embed(Tensor input) {
        try (Scope s = Scope.open()) {
            int b = input.dim(0);
            Tensor image = config.spectrogram()
                    ? input.transpose(1, 2).reshape(b, 1, config.height(), config.width())
                    : input;
            Tensor grid = ConvOps.conv2d(image, patchEmbed.proj.weight, patchEmbed.proj.bias,
                    config.strideH(), config.strideW(), 0, 0, 1, 1);
            Tensor patches = grid.reshape(b, config.dim(), config.patches()).transpose(1, 2);
            Tensor cls = clsToken.expand(b, 1, config.dim());
            Tensor tokens = distToken == null ? ShapeOps.cat(1, cls, patches)
                    : ShapeOps.cat(1, cls, distToken.expand(b, 1, config.dim()), patches);
            return s.keep(tokens.add(posEmbed));
        }
    }

    @Override
    public BlockCursor start(Tensor input, boolean wantAttention) {
        String problem = checkInput(input.shape());
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        if (input.backend() != backend) {
            throw new IllegalArgumentException(config.name() + ": input " + input.describeShort() + " is not on the model's device "
                    + backend.device());
        }
        return new StreamingCursor(config.name(), blocks.length, embed(input), wantAttention) {
            @Override
            protected Tensor mergeBefore(int layer, Tensor x) {
                return null;
            }

            @Override
            protected Step block(int layer, Tensor x, boolean wantTap) {
                try (Scope s = Scope.open()) {
                    VitBlock.Step step = blocks[layer].forward(x, wantTap);
                    if (step.tap() != null) {
                        // the tap's tensors outlive this scope until the cursor's next step
                        for (Tensor t : new Tensor[] {step.tap().keys(), step.tap().values(), step.tap().queryWeight(), step.tap().queryBias()}) {
                            if (t != null) {
                                t.untrack();
                            }
                        }
                    }
                    return new Step(s.keep(step.out()), step.tap(), step::closeTap);
                }
            }

            @Override
            protected Tensor finalNorm(Tensor x) {
                try (Scope s = Scope.open()) {
                    return s.keep(norm.forward(x));
                }
            }
        };
    }
}
