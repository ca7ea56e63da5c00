package org.mettle.method;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import org.mettle.autograd.GradMode;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.memory.MemoryCategory;
import org.mettle.memory.MemoryLedger;
import org.mettle.models.Backbone;
import org.mettle.models.htsat.HtsatModels;
import org.mettle.nn.FrozenWeights;
import org.mettle.models.swin.SwinModels;
import org.mettle.tensor.DType;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;
import org.mettle.train.AdamW;

/**
 * Plans the memory of a real Mettle training step (or a forward with {@code inference}) on the {@code meta} backend:
 * the same code as on a device, every allocation counted by the ledger, nothing computed. Peaks count everything
 * the plan allocates (backbone weights, LCD and head parameters, inputs, activations, saved tensors, gradients,
 * AdamW state, workspace); two optimisation steps run so that the optimizer state is live during the second.
 * {@code lowMemory} plans {@link MettleModel#trainStepLayerwise}: two passes and layer-wise updates. The baselines
 * ({@code lavish}, {@code linear}, {@code full}, {@code backprop-bound}) run the same plain AdamW steps.
 */
public final class MemoryPlanner {
    /** The method name of {@link PooledBaseline.Kind#BACKPROP_BOUND}. */
    public static final String BACKPROP_BOUND = "backprop-bound";
    /** The method name of {@link LavishModel}. */
    public static final String LAVISH = "lavish";

    private MemoryPlanner() {}

    /**
     * What to plan. {@code weightsDtype} is how the frozen backbones store their weight matrices: F32, or BF16 for
     * every method whose backbone is frozen ({@link FrozenWeights#toBf16}; not {@code full}, which trains them).
     */
    public record Request(Task task, String method, String visualArch, String audioArch, int batch, int segments,
                          boolean inference, boolean lowMemory, LcdConfig lcd, DType weightsDtype) {
        /** F32 backbone weights. */
        public Request(Task task, String method, String visualArch, String audioArch, int batch, int segments,
                       boolean inference, boolean lowMemory, LcdConfig lcd) {
            this(task, method, visualArch, audioArch, batch, segments, inference, lowMemory, lcd, DType.F32);
        }

        public Request {
            if (weightsDtype != DType.F32 && weightsDtype != DType.BF16) {
                throw new IllegalArgumentException("--weights-dtype " + weightsDtype + ": backbone weights are stored in f32 or bf16");
            }
            if (weightsDtype == DType.BF16 && PooledBaseline.Kind.byName(method) == PooledBaseline.Kind.FULL) {
                throw new IllegalArgumentException("--weights-dtype bf16 stores FROZEN backbone weights, but --method full trains"
                        + " the backbones; use --weights-dtype f32 with full");
            }
            if (!method.equalsIgnoreCase("mettle") && !method.equalsIgnoreCase(LAVISH) && PooledBaseline.Kind.byName(method) == null) {
                throw new IllegalArgumentException("--method " + method + ": this version plans mettle, lavish, linear, full and " + BACKPROP_BOUND);
            }
            if (lowMemory && !method.equalsIgnoreCase("mettle")) {
                // the baselines have no second pass
                throw new IllegalArgumentException("--low-memory is Mettle's two-pass mode; it does not apply to --method " + method);
            }
            if (batch < 1 || segments < 1) {
                throw new IllegalArgumentException("--batch and --segments must be at least 1, got " + batch + " and " + segments);
            }
            if (inference && lowMemory) {
                throw new IllegalArgumentException("--low-memory is a training mode; drop it with --inference");
            }
        }
    }

    /** Peak bytes in total and per category, plus parameter counts. */
    public record Result(Request request, long peakBytes, Map<MemoryCategory, Long> peakByCategory, long trainableParams,
                         long frozenParams, long trainableBytes) {
        public String toJson() {
            StringBuilder sb = new StringBuilder("{");
            sb.append("\"task\":\"").append(request.task().name().toLowerCase(Locale.ROOT)).append('"');
            sb.append(",\"method\":\"").append(request.method().toLowerCase(Locale.ROOT)).append('"');
            sb.append(",\"visual\":\"").append(request.visualArch()).append('"');
            sb.append(",\"audio\":\"").append(request.audioArch()).append('"');
            sb.append(",\"batch\":").append(request.batch()).append(",\"segments\":").append(request.segments());
            sb.append(",\"mode\":\"").append(request.inference() ? "inference" : "train").append('"');
            sb.append(",\"low_memory\":").append(request.lowMemory());
            sb.append(",\"weights_dtype\":\"").append(request.weightsDtype().name().toLowerCase(Locale.ROOT)).append('"');
            sb.append(",\"meta_tokens\":").append(request.lcd().metaTokens());
            sb.append(",\"layers\":\"").append(request.lcd().layers().spec()).append('"');
            sb.append(",\"peak_bytes\":").append(peakBytes);
            sb.append(",\"peak_by_category\":{");
            boolean first = true;
            for (Map.Entry<MemoryCategory, Long> e : peakByCategory.entrySet()) {
                sb.append(first ? "" : ",").append('"').append(e.getKey().name().toLowerCase(Locale.ROOT)).append("\":").append(e.getValue());
                first = false;
            }
            sb.append("},\"trainable_params\":").append(trainableParams).append(",\"frozen_params\":").append(frozenParams);
            return sb.append('}').toString();
        }

        public String format() {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "%s %s, visual %s, audio %s, batch %d x %d segments, %s%s, %s backbone weights%n",
                    request.method(), request.task().name(), request.visualArch(), request.audioArch(), request.batch(), request.segments(),
                    request.inference() ? "inference" : "training step", request.lowMemory() ? " (low-memory two-pass)" : "",
                    request.weightsDtype().name().toLowerCase(Locale.ROOT)));
            for (Map.Entry<MemoryCategory, Long> e : peakByCategory.entrySet()) {
                sb.append(String.format(Locale.ROOT, "  %-12s peak %12s%n", e.getKey().name().toLowerCase(Locale.ROOT), MemoryLedger.bytes(e.getValue())));
            }
            sb.append(String.format(Locale.ROOT, "  %-12s peak %12s (%d bytes)%n", "total", MemoryLedger.bytes(peakBytes), peakBytes));
            sb.append(String.format(Locale.ROOT, "  trainable parameters %,d; frozen %,d%n", trainableParams, frozenParams));
            return sb.toString();
        }
    }

    public static Result plan(Request r) {
        Backend meta = Backends.meta();
        MemoryLedger ledger = MemoryLedger.of(meta.device());
        MemoryLedger.Snapshot before = ledger.snapshot();
        ledger.resetPeaks();
        try (Scope scope = Scope.open();
             Backbone visual = frozenBackbone(() -> visualBackbone(r.visualArch(), meta), r.weightsDtype());
             Backbone audio = frozenBackbone(() -> audioBackbone(r.audioArch(), meta), r.weightsDtype());
             var unused = GradMode.enableGrad()) {
            int rows = r.batch() * r.segments();
            int[] img = SwinModels.inputShape(r.visualArch(), rows);
            Tensor frames = Tensor.empty(meta, Shape.of(img));
            int[] clip = HtsatModels.inputShape(r.audioArch(), 1);
            int[] mel = {rows, segmentFrames(clip[1]), clip[2]};
            Tensor audioIn = Tensor.empty(meta, Shape.of(mel));
            Tensor labels = r.task() == Task.AVE ? Tensor.empty(meta, Shape.of(rows), DType.I32)
                    : Tensor.empty(meta, Shape.of(r.batch(), AvvpHead.CLASSES));
            if (r.method().equalsIgnoreCase(LAVISH)) {
                LavishConfig config = LavishConfig.defaults().withCommonWidth(r.lcd().commonWidth());
                try (LavishModel model = new LavishModel(r.task(), visual, audio, config, 0)) {
                    runPlain(model, model.trainableParameters(), r, frames, audioIn, labels);
                    return result(r, ledger, before, model.parameterCount(), visual.module().parameterCount() + audio.module().parameterCount());
                }
            }
            PooledBaseline.Kind baseline = PooledBaseline.Kind.byName(r.method());
            if (baseline != null) {
                try (PooledBaseline bound = new PooledBaseline(baseline, r.task(), visual, audio, img, mel, r.lcd().commonWidth(), 0)) {
                    java.util.List<Tensor> params = new java.util.ArrayList<>(bound.trainableParameters());
                    if (baseline == PooledBaseline.Kind.FULL) {
                        params.addAll(visual.module().trainableParameters());
                        params.addAll(audio.module().trainableParameters());
                    }
                    if (r.inference()) {
                        try (var g = GradMode.noGrad()) {
                            bound.loss(frames, audioIn, labels, r.batch(), r.segments()).close();
                        }
                    } else {
                        try (AdamW opt = new AdamW(params, 1e-3f, 0.01f)) {
                            for (int step = 0; step < 2; step++) {
                                opt.zeroGrad();
                                try (Scope s = Scope.open()) {
                                    bound.loss(frames, audioIn, labels, r.batch(), r.segments()).backward();
                                }
                                opt.step();
                            }
                            opt.zeroGrad();
                        }
                    }
                    long trainable = params.stream().mapToLong(Tensor::numel).sum();
                    long frozen = visual.module().parameterCount() + audio.module().parameterCount() + bound.parameterCount() - trainable;
                    return result(r, ledger, before, trainable, frozen);
                }
            }
            try (MettleModel model = new MettleModel(r.task(), visual, audio, r.lcd(), 0)) {
                if (r.inference()) {
                    try (var g = GradMode.noGrad()) {
                        if (r.task() == Task.AVE) {
                            model.aveLogits(frames, audioIn).close();
                        } else {
                            model.avvpOutput(frames, audioIn, r.batch(), r.segments()).close();
                        }
                    }
                } else if (r.lowMemory()) {
                    try (LayerwiseAdamW opt = new LayerwiseAdamW(model, 1e-3f, 0.01f)) {
                        for (int step = 0; step < 2; step++) {
                            model.trainStepLayerwise(opt, frames, audioIn, labels, r.batch(), r.segments());
                        }
                    }
                } else {
                    try (AdamW opt = new AdamW(model.trainableParameters(), 1e-3f, 0.01f)) {
                        for (int step = 0; step < 2; step++) {
                            model.trainStep(opt, frames, audioIn, labels, r.batch(), r.segments(), false);
                        }
                        model.zeroGrad();
                    }
                }
                return result(r, ledger, before, model.parameterCount(), visual.module().parameterCount() + audio.module().parameterCount());
            }
        }
    }

    /** A forward (inference) or two plain AdamW steps of any model (the second with the optimizer state live). */
    private static void runPlain(AvModel model, java.util.List<Tensor> params, Request r, Tensor frames, Tensor audioIn, Tensor labels) {
        if (r.inference()) {
            try (var g = GradMode.noGrad()) {
                model.loss(frames, audioIn, labels, r.batch(), r.segments()).close();
            }
            return;
        }
        try (AdamW opt = new AdamW(params, 1e-3f, 0.01f)) {
            for (int step = 0; step < 2; step++) {
                opt.zeroGrad();
                try (Scope s = Scope.open()) {
                    model.loss(frames, audioIn, labels, r.batch(), r.segments()).backward();
                }
                opt.step();
            }
            opt.zeroGrad();
        }
    }

    private static Result result(Request r, MemoryLedger ledger, MemoryLedger.Snapshot before, long trainable, long frozen) {
        MemoryLedger.Snapshot after = ledger.snapshot();
        Map<MemoryCategory, Long> byCategory = new EnumMap<>(MemoryCategory.class);
        for (MemoryCategory c : MemoryCategory.values()) {
            byCategory.put(c, after.peak(c) - before.live(c));
        }
        return new Result(r, after.peakTotal() - before.liveTotal(), byCategory, trainable, frozen, trainable * 4L);
    }

    /** Log-mel frames of one second: a tenth of the backbone's 10 s clip, rounded up (101 for HTS-AT's 1001). */
    static int segmentFrames(int clipFrames) {
        return (clipFrames + 9) / 10;
    }

    /** A backbone whose weight matrices are BF16 from construction on (no F32 copy of it is ever held) or F32. */
    static Backbone frozenBackbone(java.util.function.Supplier<Backbone> builder, DType weightsDtype) {
        return weightsDtype == DType.BF16 ? FrozenWeights.buildInBf16(builder, Backbone::module) : builder.get();
    }

    static Backbone visualBackbone(String arch, Backend backend) {
        if (!SwinModels.names().contains(arch)) {
            throw new IllegalArgumentException("--visual " + arch + ": not a known visual backbone; known: " + String.join(", ", SwinModels.names()));
        }
        Backbone b = SwinModels.create(arch, backend, 0);
        b.module().trainable(false);
        return b;
    }

    static Backbone audioBackbone(String arch, Backend backend) {
        if (!HtsatModels.names().contains(arch)) {
            throw new IllegalArgumentException("--audio " + arch + ": not a known audio backbone; known: " + String.join(", ", HtsatModels.names()));
        }
        Backbone b = HtsatModels.create(arch, backend, 0);
        b.module().trainable(false);
        return b;
    }
}
