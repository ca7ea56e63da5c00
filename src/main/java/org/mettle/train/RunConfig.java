package org.mettle.train;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.mettle.method.AvModels;
import org.mettle.method.LayerSelection;
import org.mettle.method.LavishConfig;
import org.mettle.method.LcdConfig;
import org.mettle.method.Task;
import org.mettle.tensor.DType;
import org.mettle.models.Architectures;

/**
 * Everything a training run is built from, stored as JSON in every checkpoint's metadata so that eval, predict and
 * --resume rebuild the same model. Keys are the snake_case field names below ({@link #toJson()}); a JSON file may
 * give any subset over the {@code tiny} preset's values. Fields are public and mutable so command-line flags can
 * override them; call {@link #validate()} afterwards.
 */
public final class RunConfig {
    public String task = "ave";
    public String method = "mettle";
    public String visualArch = "swinv2_mini_window4_64";
    public String audioArch = "htsat_mini";
    /** Backbone weights (safetensors; relative paths resolve against the working directory, then the install dir); null = seeded random. */
    public String visualWeights = "weights/swinv2_mini_window4_64.safetensors";
    public String audioWeights = "weights/htsat_mini.safetensors";
    /** True when missing weight files fall back to seeded random weights with a warning (the tiny preset's defaults). */
    public boolean weightsOptional = true;
    public int segments = 10;
    public int batch = 4;
    public int epochs = 8;
    public double lrMethod = 1e-2;
    public double lrHead = 3e-3;
    public double lrBackbone = 1e-4;
    public int warmupSteps = 10;
    /** cosine or step. */
    public String schedule = "cosine";
    /** Cosine floor as a fraction of each group's learning rate. */
    public double lrFloor = 0.0;
    /** Step decay: multiply by stepGamma every stepEpochs epochs. */
    public int stepEpochs = 10;
    public double stepGamma = 0.1;
    public double weightDecay = 0.01;
    /** Global gradient-norm clip; 0 = off. */
    public double clipNorm = 1.0;
    public int accumulation = 1;
    public long seed = 0;
    public int metaTokens = 2;
    public String layers = "all";
    /** 16 like the paper preset and LAVisH's adapters; chosen over 4 on validation accuracy (docs/training.md). */
    public int bottleneckRatio = 16;
    public int commonWidth = 64;
    /** LAVisH-style baseline: latent tokens per block and modality, adapter bottleneck ratio and minimum width. */
    public int lavishLatentTokens = LavishConfig.defaults().latentTokens();
    public int lavishBottleneckRatio = LavishConfig.defaults().bottleneckRatio();
    public int lavishMinBottleneck = LavishConfig.defaults().minBottleneck();
    public boolean lowMemory = false;
    /** How the frozen backbones store their weight matrices: f32, or bf16 (half the memory; not with method full). */
    public String weightsDtype = "f32";
    public int workers = 2;
    /** Videos of the synthetic set made by --data synthetic, and how many classes it uses (0 = all). */
    public int synthVideos = 96;
    public int synthClasses = 8;
    /** Synthetic videos in val and in test each; 0 = 15 % of synth_videos each. */
    public int synthHeldOut = 0;

    /** The tiny preset: the shipped tiny backbones (seeded random when their files are missing), D_c 64. */
    public static RunConfig tiny() {
        return new RunConfig();
    }

    /**
     * The paper preset: Swin-V2-L (192) + HTS-AT, LCD defaults of docs/method.md. The paper's optimisation
     * hyper-parameters were not available to us; these are ours (AdamW, cosine, warm-up). Weights must be given.
     */
    public static RunConfig paper() {
        RunConfig c = new RunConfig();
        c.visualArch = "swinv2_large_window12_192";
        c.audioArch = "htsat";
        c.visualWeights = null;
        c.audioWeights = null;
        c.weightsOptional = false;
        c.batch = 2;
        c.epochs = 20;
        c.lrMethod = 5e-4;
        c.lrHead = 5e-4;
        c.lrBackbone = 1e-5;
        c.warmupSteps = 200;
        c.metaTokens = 4;
        c.bottleneckRatio = 16;
        c.commonWidth = 256;
        c.synthClasses = 0;
        return c;
    }

    /** tiny, paper, or a JSON file whose keys override the tiny preset. */
    public static RunConfig named(String nameOrFile) {
        switch (nameOrFile.trim().toLowerCase(Locale.ROOT)) {
            case "tiny":
                return tiny();
            case "paper":
                return paper();
            default:
                Path file = Path.of(nameOrFile);
                if (!Files.isRegularFile(file)) {
                    throw new IllegalArgumentException("--config " + nameOrFile + ": not tiny, paper or an existing JSON file");
                }
                try {
                    return fromJson(Files.readString(file, StandardCharsets.UTF_8), file.toString());
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read --config " + file + ": " + e.getMessage(), e);
                }
        }
    }

    public RunConfig copy() {
        return fromJson(toJson(), "copy");
    }

    /** All keys in a fixed order. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("task", task);
        m.put("method", method);
        m.put("visual_arch", visualArch);
        m.put("audio_arch", audioArch);
        m.put("visual_weights", visualWeights);
        m.put("audio_weights", audioWeights);
        m.put("weights_optional", weightsOptional);
        m.put("segments", segments);
        m.put("batch", batch);
        m.put("epochs", epochs);
        m.put("lr_method", lrMethod);
        m.put("lr_head", lrHead);
        m.put("lr_backbone", lrBackbone);
        m.put("warmup_steps", warmupSteps);
        m.put("schedule", schedule);
        m.put("lr_floor", lrFloor);
        m.put("step_epochs", stepEpochs);
        m.put("step_gamma", stepGamma);
        m.put("weight_decay", weightDecay);
        m.put("clip_norm", clipNorm);
        m.put("accumulation", accumulation);
        m.put("seed", seed);
        m.put("meta_tokens", metaTokens);
        m.put("layers", layers);
        m.put("bottleneck_ratio", bottleneckRatio);
        m.put("common_width", commonWidth);
        m.put("lavish_latent_tokens", lavishLatentTokens);
        m.put("lavish_bottleneck_ratio", lavishBottleneckRatio);
        m.put("lavish_min_bottleneck", lavishMinBottleneck);
        m.put("low_memory", lowMemory);
        m.put("weights_dtype", weightsDtype);
        m.put("workers", workers);
        m.put("synth_videos", synthVideos);
        m.put("synth_classes", synthClasses);
        m.put("synth_held_out", synthHeldOut);
        return m;
    }

    public String toJson() {
        return JsonText.write(toMap());
    }

    /** Keys over the tiny preset; an unknown key or a value of the wrong type is an error naming it. */
    public static RunConfig fromJson(String json, String source) {
        Map<String, Object> m = JsonText.parseObject(json, source);
        RunConfig c = tiny();
        List<String> known = new ArrayList<>(c.toMap().keySet());
        for (Map.Entry<String, Object> e : m.entrySet()) {
            String k = e.getKey();
            Object v = e.getValue();
            String where = source + ": key '" + k + "'";
            switch (k) {
                case "task" -> c.task = str(v, where, false);
                case "method" -> c.method = str(v, where, false);
                case "visual_arch" -> c.visualArch = str(v, where, false);
                case "audio_arch" -> c.audioArch = str(v, where, false);
                case "visual_weights" -> c.visualWeights = str(v, where, true);
                case "audio_weights" -> c.audioWeights = str(v, where, true);
                case "weights_optional" -> c.weightsOptional = bool(v, where);
                case "segments" -> c.segments = integer(v, where);
                case "batch" -> c.batch = integer(v, where);
                case "epochs" -> c.epochs = integer(v, where);
                case "lr_method" -> c.lrMethod = number(v, where);
                case "lr_head" -> c.lrHead = number(v, where);
                case "lr_backbone" -> c.lrBackbone = number(v, where);
                case "warmup_steps" -> c.warmupSteps = integer(v, where);
                case "schedule" -> c.schedule = str(v, where, false);
                case "lr_floor" -> c.lrFloor = number(v, where);
                case "step_epochs" -> c.stepEpochs = integer(v, where);
                case "step_gamma" -> c.stepGamma = number(v, where);
                case "weight_decay" -> c.weightDecay = number(v, where);
                case "clip_norm" -> c.clipNorm = number(v, where);
                case "accumulation" -> c.accumulation = integer(v, where);
                case "seed" -> c.seed = longValue(v, where);
                case "meta_tokens" -> c.metaTokens = integer(v, where);
                case "layers" -> c.layers = str(v, where, false);
                case "bottleneck_ratio" -> c.bottleneckRatio = integer(v, where);
                case "common_width" -> c.commonWidth = integer(v, where);
                case "lavish_latent_tokens" -> c.lavishLatentTokens = integer(v, where);
                case "lavish_bottleneck_ratio" -> c.lavishBottleneckRatio = integer(v, where);
                case "lavish_min_bottleneck" -> c.lavishMinBottleneck = integer(v, where);
                case "low_memory" -> c.lowMemory = bool(v, where);
                case "weights_dtype" -> c.weightsDtype = str(v, where, false);
                case "workers" -> c.workers = integer(v, where);
                case "synth_videos" -> c.synthVideos = integer(v, where);
                case "synth_classes" -> c.synthClasses = integer(v, where);
                case "synth_held_out" -> c.synthHeldOut = integer(v, where);
                default -> throw new IllegalArgumentException(source + ": unknown config key '" + k + "'; known keys: " + String.join(", ", known));
            }
        }
        return c;
    }

    /** Checks every value; messages name the key and say what is allowed. */
    public RunConfig validate() {
        Task.parse(task);
        if (!AvModels.METHODS.contains(method.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException("unknown method '" + method + "'; known: " + String.join(", ", AvModels.METHODS));
        }
        for (String arch : new String[] {visualArch, audioArch}) {
            if (!Architectures.isKnown(arch)) {
                throw new IllegalArgumentException("unknown architecture '" + arch + "'; known: " + String.join(", ", Architectures.names()));
            }
        }
        positive("segments", segments);
        if (segments > 10) {
            throw new IllegalArgumentException("segments must be at most 10 (the datasets' one-second segments), got " + segments);
        }
        positive("batch", batch);
        positive("epochs", epochs);
        positive("accumulation", accumulation);
        positive("meta_tokens", metaTokens);
        positive("bottleneck_ratio", bottleneckRatio);
        positive("common_width", commonWidth);
        positive("workers", workers);
        positive("synth_videos", synthVideos);
        positive("step_epochs", stepEpochs);
        if (warmupSteps < 0 || synthClasses < 0) {
            throw new IllegalArgumentException("warmup_steps and synth_classes must be >= 0, got " + warmupSteps + " and " + synthClasses);
        }
        if (synthHeldOut < 0 || (synthHeldOut > 0 && 2L * synthHeldOut >= synthVideos)) {
            throw new IllegalArgumentException("synth_held_out must be 0 (15 % each) or leave training videos: 2 x " + synthHeldOut
                    + " of synth_videos " + synthVideos);
        }
        for (double lr : new double[] {lrMethod, lrHead, lrBackbone, weightDecay, clipNorm}) {
            if (!(lr >= 0) || Double.isInfinite(lr)) {
                throw new IllegalArgumentException("learning rates, weight_decay and clip_norm must be finite and >= 0, got " + lr);
            }
        }
        if (!(lrFloor >= 0 && lrFloor <= 1) || !(stepGamma > 0 && stepGamma <= 1)) {
            throw new IllegalArgumentException("lr_floor must lie in [0, 1] and step_gamma in (0, 1], got " + lrFloor + " and " + stepGamma);
        }
        if (!schedule.equals("cosine") && !schedule.equals("step")) {
            throw new IllegalArgumentException("schedule must be cosine or step, got '" + schedule + "'");
        }
        if (lowMemory && !method.equalsIgnoreCase("mettle")) {
            throw new IllegalArgumentException("low_memory is Mettle's two-pass mode; it does not apply to method " + method);
        }
        if (weightsDType() == DType.BF16 && method.equalsIgnoreCase("full")) {
            throw new IllegalArgumentException("weights_dtype bf16 stores FROZEN backbone weights, but method full trains the"
                    + " backbones; use weights_dtype f32 with full");
        }
        lcd();
        lavish();
        return this;
    }

    /** {@link #weightsDtype} as a DType; an unknown value is an error naming the key. */
    public DType weightsDType() {
        return switch (weightsDtype.toLowerCase(Locale.ROOT)) {
            case "f32" -> DType.F32;
            case "bf16" -> DType.BF16;
            default -> throw new IllegalArgumentException("weights_dtype must be f32 or bf16, got '" + weightsDtype + "'");
        };
    }

    public Task taskEnum() {
        return Task.parse(task);
    }

    public LcdConfig lcd() {
        return new LcdConfig(metaTokens, new LayerSelection(layers), bottleneckRatio, commonWidth);
    }

    /** The LAVisH-style baseline's options; an invalid value is an error naming the lavish_* keys. */
    public LavishConfig lavish() {
        try {
            return new LavishConfig(lavishLatentTokens, lavishBottleneckRatio, lavishMinBottleneck, commonWidth);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("lavish_latent_tokens / lavish_bottleneck_ratio / lavish_min_bottleneck: " + e.getMessage(), e);
        }
    }

    /**
     * Replaces each weight path by the one found (kept as given when it resolves, so checkpoints stay portable), or
     * by null with a warning on out when the file is missing and weights are optional; a missing required file is an
     * error naming the places tried.
     */
    public void resolveWeights(PrintStream out) {
        visualWeights = resolveOne(visualWeights, "visual", out);
        audioWeights = resolveOne(audioWeights, "audio", out);
    }

    private String resolveOne(String given, String which, PrintStream out) {
        if (given == null) {
            return null;
        }
        if (locate(given) != null) {
            return given;
        }
        String tried = Path.of(given).toAbsolutePath() + (installDir() == null ? "" : " and " + installDir().resolve(given));
        if (weightsOptional) {
            out.println("warning: " + which + " backbone weights " + given + " not found (tried " + tried
                    + "); using seeded random weights (seed " + seed + ")");
            return null;
        }
        throw new IllegalArgumentException(which + " backbone weights " + given + " not found (tried " + tried
                + "); pass --" + which + "-weights FILE or set " + which + "_weights in the config");
    }

    /** A file given relative to the working directory or, failing that, to the installation directory; null if neither. */
    public static Path locate(String file) {
        Path p = Path.of(file);
        if (Files.isRegularFile(p)) {
            return p;
        }
        Path home = installDir();
        if (!p.isAbsolute() && home != null && Files.isRegularFile(home.resolve(p))) {
            return home.resolve(p);
        }
        return null;
    }

    /** The directory holding weights/: the jar's (or classes directory's) parent's parent. */
    public static Path installDir() {
        try {
            Path code = Path.of(RunConfig.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path parent = code.getParent();
            return parent == null ? null : parent.getParent();
        } catch (URISyntaxException | RuntimeException e) {
            return null;
        }
    }

    private static void positive(String key, int v) {
        if (v < 1) {
            throw new IllegalArgumentException(key + " must be at least 1, got " + v);
        }
    }

    private static String str(Object v, String where, boolean nullable) {
        if (v == null && nullable) {
            return null;
        }
        if (!(v instanceof String s)) {
            throw new IllegalArgumentException(where + " must be a string" + (nullable ? " or null" : "") + ", got " + v);
        }
        return s;
    }

    private static boolean bool(Object v, String where) {
        if (!(v instanceof Boolean b)) {
            throw new IllegalArgumentException(where + " must be true or false, got " + v);
        }
        return b;
    }

    private static double number(Object v, String where) {
        if (!(v instanceof Number n)) {
            throw new IllegalArgumentException(where + " must be a number, got " + v);
        }
        return n.doubleValue();
    }

    private static long longValue(Object v, String where) {
        if (!(v instanceof Long n)) {
            throw new IllegalArgumentException(where + " must be an integer, got " + v);
        }
        return n;
    }

    private static int integer(Object v, String where) {
        long n = longValue(v, where);
        if (n < Integer.MIN_VALUE || n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(where + " is out of range: " + n);
        }
        return (int) n;
    }
}
