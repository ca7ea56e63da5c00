package org.mettle.models.htsat;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mettle.backend.Backend;
import org.mettle.models.Backbone;

/** The HTS-AT architectures by name, for the shared model registry. */
public final class HtsatModels {
    private static final Map<String, HtsatConfig> CONFIGS = new LinkedHashMap<>();

    static {
        add(HtsatConfig.audioSet());
        // the shipped tiny audio backbone (weights/, trained by `mettle pretrain`): 32 mel bins folded by 2 into 64x64
        add(new HtsatConfig("htsat_mini", 32, 64, 4, 24, new int[] {2, 2, 2}, new int[] {2, 3, 6}, 4, 4f));
        // a tiny configuration for tests: 16 mel bins folded by 4 into 64x64, window 4 (shifts, merging, clamping)
        add(new HtsatConfig("htsat_test", 16, 64, 4, 8, new int[] {2, 2, 2, 2}, new int[] {2, 2, 4, 4}, 4, 4f));
    }

    private HtsatModels() {}

    private static void add(HtsatConfig c) {
        CONFIGS.put(c.name(), c);
    }

    public static List<String> names() {
        return List.copyOf(CONFIGS.keySet());
    }

    public static HtsatConfig config(String arch) {
        HtsatConfig c = CONFIGS.get(arch);
        if (c == null) {
            throw new IllegalArgumentException("unknown HTS-AT architecture '" + arch + "'; known: " + String.join(", ", CONFIGS.keySet()));
        }
        return c;
    }

    /** A model with seeded random weights (load a checkpoint with {@link Htsat#load}). */
    public static Backbone create(String arch, Backend backend, long seed) {
        return new Htsat(config(arch), backend, seed);
    }

    /** Loads a safetensors checkpoint into a backbone made by {@link #create} (see {@link Htsat#load}). */
    public static void loadWeights(Backbone backbone, Path file) {
        if (!(backbone instanceof Htsat model)) {
            throw new IllegalArgumentException(backbone.arch() + " is not a HTS-AT backbone");
        }
        model.load(file);
    }

    /** [batch, T, melBins] with T the frames of a 10 s clip (1001 for the release). */
    public static int[] inputShape(String arch, int batch) {
        HtsatConfig c = config(arch);
        return new int[] {batch, Math.round(c.targetFrames() * 1001f / 1024f), c.melBins()};
    }
}
