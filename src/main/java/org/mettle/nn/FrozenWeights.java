package org.mettle.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.mettle.memory.MemoryCategory;
import org.mettle.tensor.DType;
import org.mettle.tensor.Tensor;

/**
 * Stores the weight matrices of a frozen module in BF16, in place: half their memory, F32 compute (the GEMM
 * widens BF16 weights as it reads them). Only 2-D {@link Linear} weights change; biases, norms, embeddings,
 * convolution kernels and the continuous-position-bias MLPs of Swin-V2 ({@code cpb_mlp}, whose outputs set
 * every attention logit's bias) stay F32. Names are unchanged, so checkpoints and {@code Weights.load} still
 * match (loading into a BF16 tensor rounds the values). Convert after loading weights and before building
 * anything that holds views of the old tensors.
 */
public final class FrozenWeights {
    /** Dotted-name fragment of modules left in F32. */
    private static final String POSITION_BIAS_MLP = "cpb_mlp";

    /** The dtype new Linear weights take on this thread (BF16 only inside {@link #buildInBf16}). */
    private static final ThreadLocal<DType> CONSTRUCTION = ThreadLocal.withInitial(() -> DType.F32);

    private FrozenWeights() {}

    static DType constructionDtype() {
        return CONSTRUCTION.get();
    }

    /**
     * Builds a module to be used frozen with its Linear weights in BF16 from the start, so that no F32 copy of the
     * whole model is ever held (converting afterwards holds both while {@link #toBf16} runs through it; on a
     * device that transient can exceed a training step's peak). Every Linear constructed on this thread by the
     * builder gets a BF16 weight (the same random draws, rounded); the exceptions of {@link #toBf16} (the
     * {@code cpb_mlp} position-bias MLPs) are widened back to F32 before this returns. Load pretrained weights
     * afterwards as usual: loading into a BF16 tensor rounds the values.
     */
    public static <T> T buildInBf16(java.util.function.Supplier<T> builder, java.util.function.Function<T, Module> moduleOf) {
        DType previous = CONSTRUCTION.get();
        CONSTRUCTION.set(DType.BF16);
        T built;
        try {
            built = builder.get();
        } finally {
            CONSTRUCTION.set(previous);
        }
        widenExceptions("", moduleOf.apply(built));
        return built;
    }

    private static void widenExceptions(String prefix, Module module) {
        if (module instanceof Linear linear) {
            Tensor w = linear.weight();
            if (prefix.contains(POSITION_BIAS_MLP) && w.dtype() == DType.BF16) {
                Tensor wide = Tensor.empty(w.backend(), w.shape(), DType.F32, MemoryCategory.WEIGHTS);
                w.backend().convert(w, wide);
                linear.replaceWeight(wide).close();
            }
            return;
        }
        for (Map.Entry<String, Module> e : module.children().entrySet()) {
            widenExceptions(prefix + e.getKey() + ".", e.getValue());
        }
    }

    /** What a conversion changed. */
    public record Conversion(List<String> converted, long bytesBefore, long bytesAfter) {
        public long bytesSaved() {
            return bytesBefore - bytesAfter;
        }
    }

    /**
     * Converts every eligible Linear weight under root to BF16 (already-BF16 ones are left as they are).
     *
     * @throws IllegalStateException naming the tensors, when any eligible weight requires grad; nothing is
     *         converted then (freeze the module first, or keep trainable layers out of it)
     */
    public static Conversion toBf16(Module root) {
        List<Target> targets = new ArrayList<>();
        collect("", root, targets);
        List<String> trainable = new ArrayList<>();
        for (Target t : targets) {
            if (t.linear.weight().requiresGrad()) {
                trainable.add(t.name);
            }
        }
        if (!trainable.isEmpty()) {
            throw new IllegalStateException("cannot store trainable weights in BF16 (only frozen weights may be): "
                    + summary(trainable) + "; freeze them (requiresGrad(false)) or convert a module without them");
        }
        List<String> converted = new ArrayList<>();
        long before = 0;
        long after = 0;
        for (Target t : targets) {
            Tensor w = t.linear.weight();
            if (w.dtype() == DType.BF16) {
                continue;
            }
            before += w.bytes();
            Tensor half = Tensor.empty(w.backend(), w.shape(), DType.BF16, MemoryCategory.WEIGHTS);
            try {
                w.backend().convert(w, half);
            } catch (RuntimeException e) {
                half.close();
                throw e;
            }
            t.linear.replaceWeight(half).close();
            after += half.bytes();
            converted.add(t.name);
        }
        return new Conversion(List.copyOf(converted), before, after);
    }

    private record Target(String name, Linear linear) {}

    private static void collect(String prefix, Module module, List<Target> out) {
        if (module instanceof Linear linear) {
            if (linear.weight().rank() == 2 && !prefix.contains(POSITION_BIAS_MLP)) {
                out.add(new Target(prefix + "weight", linear));
            }
            return;
        }
        for (Map.Entry<String, Module> e : module.children().entrySet()) {
            collect(prefix + e.getKey() + ".", e.getValue(), out);
        }
    }

    private static String summary(List<String> names) {
        int shown = Math.min(5, names.size());
        String head = String.join(", ", names.subList(0, shown));
        return names.size() > shown ? head + " and " + (names.size() - shown) + " more" : head;
    }
}
