package org.mettle.models.swin;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mettle.backend.Backend;
import org.mettle.models.Backbone;

/** The Swin-V2 architectures by name, for the shared model registry. */
public final class SwinModels {
    private static final Map<String, SwinV2Config> CONFIGS = new LinkedHashMap<>();

    static {
        add(SwinV2Config.largeWindow12At192());
        add(new SwinV2Config("swinv2_base_window12_192", 192, 4, 3, 128, new int[] {2, 2, 18, 2}, new int[] {4, 8, 16, 32}, 12, 4f, new int[4]));
        add(new SwinV2Config("swinv2_tiny_window8_256", 256, 4, 3, 96, new int[] {2, 2, 6, 2}, new int[] {3, 6, 12, 24}, 8, 4f, new int[4]));
        // the shipped tiny visual backbone (weights/, trained by `mettle pretrain`): 64x64, 16x16 tokens, 3 stages
        add(new SwinV2Config("swinv2_mini_window4_64", 64, 4, 3, 24, new int[] {2, 2, 2}, new int[] {2, 3, 6}, 4, 4f, new int[3]));
        // tiny configurations of the same family for tests and smoke runs: shifts, merging, window clamping all exercised
        add(new SwinV2Config("swinv2_test_window4_64", 64, 4, 3, 8, new int[] {2, 2, 2, 2}, new int[] {2, 2, 4, 4}, 4, 4f, new int[4]));
        add(new SwinV2Config("swinv2_test_window6_96", 96, 4, 3, 8, new int[] {2, 2, 2, 2}, new int[] {1, 2, 2, 4}, 6, 4f,
                new int[] {4, 4, 4, 2}));
    }

    private SwinModels() {}

    private static void add(SwinV2Config c) {
        CONFIGS.put(c.name(), c);
    }

    public static List<String> names() {
        return List.copyOf(CONFIGS.keySet());
    }

    public static SwinV2Config config(String arch) {
        SwinV2Config c = CONFIGS.get(arch);
        if (c == null) {
            throw new IllegalArgumentException("unknown Swin-V2 architecture '" + arch + "'; known: " + String.join(", ", CONFIGS.keySet()));
        }
        return c;
    }

    /** A model with seeded random weights (load a checkpoint with {@link SwinTransformerV2#load}). */
    public static Backbone create(String arch, Backend backend, long seed) {
        return new SwinTransformerV2(config(arch), backend, seed);
    }

    /** Loads a safetensors checkpoint into a backbone made by {@link #create} (see {@link SwinTransformerV2#load}). */
    public static void loadWeights(Backbone backbone, Path file) {
        if (!(backbone instanceof SwinTransformerV2 model)) {
            throw new IllegalArgumentException(backbone.arch() + " is not a Swin-V2 backbone");
        }
        model.load(file);
    }

    /** [batch, 3, img, img]. */
    public static int[] inputShape(String arch, int batch) {
        SwinV2Config c = config(arch);
        return new int[] {batch, c.inChans(), c.imgSize(), c.imgSize()};
    }
}
