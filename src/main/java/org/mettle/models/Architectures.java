package org.mettle.models;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import org.mettle.backend.Backend;
import org.mettle.memory.MemoryCategory;
import org.mettle.models.htsat.HtsatModels;
import org.mettle.models.swin.SwinModels;
import org.mettle.models.vit.VisionTransformer;
import org.mettle.models.vit.VitConfig;
import org.mettle.tensor.Shape;

/**
 * The registry of backbone architectures by name: construction with seeded random weights, the input each one takes
 * and how its checkpoints load. Families (ViT, Swin-V2, HTS-AT) register in {@link #FAMILIES}.
 */
public final class Architectures {
    private Architectures() {}

    /** Frames [B, C, H, W] or spectrograms [B, T, F]. */
    public enum InputKind { FRAMES, SPECTROGRAM }

    /** The input of one architecture; dims are per example (C, H, W or T, F). */
    public record InputSpec(InputKind kind, int... dims) {
        public InputSpec {
            int expected = kind == InputKind.FRAMES ? 3 : 2;
            if (dims.length != expected) {
                throw new IllegalArgumentException(kind + " inputs have " + expected + " dims per example, got " + Arrays.toString(dims));
            }
            dims = dims.clone();
        }

        public static InputSpec frames(int channels, int height, int width) {
            return new InputSpec(InputKind.FRAMES, channels, height, width);
        }

        public static InputSpec spectrogram(int frames, int melBins) {
            return new InputSpec(InputKind.SPECTROGRAM, frames, melBins);
        }

        public Shape shape(int batch) {
            int[] d = new int[dims.length + 1];
            d[0] = batch;
            System.arraycopy(dims, 0, d, 1, dims.length);
            return Shape.of(d);
        }

        /** e.g. "B x 3 x 224 x 224 frames" or "B x 1024 x 128 spectrograms (frames x mel bins)". */
        public String describe() {
            StringBuilder sb = new StringBuilder("B");
            for (int d : dims) {
                sb.append(" x ").append(d);
            }
            return sb.append(kind == InputKind.FRAMES ? " frames (B x C x H x W)" : " spectrograms (B x T frames x F mel bins)").toString();
        }
    }

    /** Builds a backbone with random weights drawn from seed. */
    @FunctionalInterface
    public interface Factory {
        Backbone create(String arch, Backend backend, long seed);
    }

    /** Loads a safetensors checkpoint into a backbone of the family (strict, classifier heads ignored). */
    @FunctionalInterface
    public interface WeightLoader {
        void load(Backbone model, Path file);
    }

    /** One model family: its names, constructor, inputs and checkpoint loader. */
    public record Family(String name, Supplier<List<String>> names, Factory factory, Function<String, InputSpec> input,
                         WeightLoader loader) {}

    // ---- registered families: one entry each --------------------------------------------------------------------
    private static final List<Family> FAMILIES = List.of(
            new Family("vit", VitConfig::names, Architectures::createVit, Architectures::vitInput,
                    (model, file) -> asVit(model).loadWeights(file)),
            new Family("swinv2", SwinModels::names, SwinModels::create,
                    arch -> InputSpec.frames(SwinModels.inputShape(arch, 1)[1], SwinModels.inputShape(arch, 1)[2], SwinModels.inputShape(arch, 1)[3]),
                    SwinModels::loadWeights),
            new Family("htsat", HtsatModels::names, HtsatModels::create,
                    arch -> InputSpec.spectrogram(HtsatModels.inputShape(arch, 1)[1], HtsatModels.inputShape(arch, 1)[2]),
                    HtsatModels::loadWeights)
    );

    /** All known architecture names, family by family. */
    public static List<String> names() {
        List<String> out = new ArrayList<>();
        for (Family f : FAMILIES) {
            out.addAll(f.names().get());
        }
        return out;
    }

    public static boolean isKnown(String arch) {
        return findFamily(arch) != null;
    }

    /** A backbone of arch with random weights from seed; its parameters are counted as WEIGHTS. */
    public static Backbone create(String arch, Backend backend, long seed) {
        Family f = family(arch);
        try (var c = MemoryCategory.using(MemoryCategory.WEIGHTS)) {
            return f.factory().create(arch, backend, seed);
        }
    }

    public static InputSpec inputSpec(String arch) {
        return family(arch).input().apply(arch);
    }

    /** The input shape for a batch: [B, C, H, W] or [B, T, F]. */
    public static Shape inputShape(String arch, int batch) {
        return inputSpec(arch).shape(batch);
    }

    public static boolean takesSpectrograms(String arch) {
        return inputSpec(arch).kind() == InputKind.SPECTROGRAM;
    }

    /** Throws with the expected shape unless shape is a valid input of arch (any batch size >= 1). */
    public static void checkInput(String arch, Shape shape) {
        InputSpec spec = inputSpec(arch);
        int batch = shape.rank() > 0 ? shape.dim(0) : 0;
        if (batch < 1 || !spec.shape(batch).equals(shape)) {
            throw new IllegalArgumentException(arch + " takes " + spec.describe() + ", e.g. " + spec.shape(Math.max(1, batch))
                    + "; got " + shape);
        }
    }

    /** Loads a safetensors checkpoint into model by its family's names and rules. */
    public static void loadWeights(Backbone model, Path file) {
        family(model.arch()).loader().load(model, file);
    }

    /** A loader that takes names as they are and ignores tensors under the given prefixes (classifier heads). */
    public static WeightLoader ignoringPrefixes(String... prefixes) {
        return (model, file) -> Weights.load(model.module(), file, prefixes);
    }

    private static Family family(String arch) {
        Family f = findFamily(arch);
        if (f == null) {
            throw new IllegalArgumentException("unknown architecture '" + arch + "'; known: " + String.join(", ", names()));
        }
        return f;
    }

    private static Family findFamily(String arch) {
        for (Family f : FAMILIES) {
            if (f.names().get().contains(arch)) {
                return f;
            }
        }
        return null;
    }

    private static Backbone createVit(String arch, Backend backend, long seed) {
        return new VisionTransformer(VitConfig.named(arch), backend, seed);
    }

    private static InputSpec vitInput(String arch) {
        VitConfig c = VitConfig.named(arch);
        return c.spectrogram() ? InputSpec.spectrogram(c.width(), c.height()) : InputSpec.frames(c.channels(), c.height(), c.width());
    }

    private static VisionTransformer asVit(Backbone model) {
        if (!(model instanceof VisionTransformer v)) {
            throw new IllegalArgumentException(model.arch() + " is not a ViT backbone (" + model.getClass().getName() + ")");
        }
        return v;
    }
}
