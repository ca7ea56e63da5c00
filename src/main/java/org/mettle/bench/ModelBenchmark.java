package org.mettle.bench;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import org.mettle.autograd.ConvOps;
import org.mettle.autograd.GradMode;
import org.mettle.autograd.LinalgOps;
import org.mettle.autograd.NnOps;
import org.mettle.backend.Backend;
import org.mettle.backend.cpu.CpuParallel;
import org.mettle.backend.cpu.VectorSupport;
import org.mettle.memory.MemoryCategory;
import org.mettle.memory.MemoryLedger;
import org.mettle.models.Architectures;
import org.mettle.models.Backbone;
import org.mettle.models.LayerConsumer;
import org.mettle.models.vit.VitConfig;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Tensor;

/**
 * Times a no-grad backbone forward with random weights and a random input. Not a test: prints numbers. For ViT
 * architectures {@link #breakdown} also times each op of the forward on its own at the model's shapes, to show
 * where the time goes.
 */
public final class ModelBenchmark {
    private ModelBenchmark() {}

    /** One measurement; ms is the median over iterations, peak activation bytes from the device ledger. */
    /** packedLinears: how many Linear weights were packed once ({@code --prepack}), packedBytes their extra memory. */
    public record Result(String arch, int batch, double ms, double minMs, int threads, String path,
                         long parameters, long peakActivationBytes, int packedLinears, long packedBytes) {
        public String toJson() {
            return String.format(Locale.ROOT,
                    "{\"bench\":\"model\",\"arch\":\"%s\",\"batch\":%d,\"ms\":%.3f,\"min_ms\":%.3f,\"threads\":%d,"
                            + "\"path\":\"%s\",\"parameters\":%d,\"peak_activation_bytes\":%d,\"prepacked_linears\":%d,"
                            + "\"prepacked_bytes\":%d}",
                    arch, batch, ms, minMs, threads, path, parameters, peakActivationBytes, packedLinears, packedBytes);
        }
    }

    public static Result run(String arch, int batch, Backend backend, int warmup, int iters) {
        return run(arch, batch, backend, warmup, iters, false);
    }

    /** With {@code prepack}, the frozen Linear weights are packed once before timing (Module#prepackLinears). */
    public static Result run(String arch, int batch, Backend backend, int warmup, int iters, boolean prepack) {
        if (warmup < 0 || iters < 1 || batch < 1) {
            throw new IllegalArgumentException("batch and iters must be >= 1 and warmup >= 0, got " + batch + ", " + iters + ", " + warmup);
        }
        try (Backbone model = Architectures.create(arch, backend, 1);
             Tensor x = Tensor.randn(backend, new Random(2), 1f, Architectures.inputShape(arch, batch).dims()).untrack();
             var noGrad = GradMode.noGrad()) {
            int packed = 0;
            long packedBytes = 0;
            if (prepack) {
                MemoryLedger ledger = backend.ledger();
                long weightsBefore = ledger.live(MemoryCategory.WEIGHTS);
                model.module().trainable(false);
                packed = model.module().prepackLinears();
                packedBytes = ledger.live(MemoryCategory.WEIGHTS) - weightsBefore;
            }
            for (int i = 0; i < warmup; i++) {
                model.forward(x, LayerConsumer.NONE).close();
            }
            MemoryLedger ledger = backend.ledger();
            long before = ledger.live(MemoryCategory.ACTIVATIONS);
            ledger.resetPeaks();
            double[] times = time(iters, () -> model.forward(x, LayerConsumer.NONE).close());
            long peak = ledger.peak(MemoryCategory.ACTIVATIONS) - before;
            return new Result(arch, batch, median(times), times[0], CpuParallel.threads(), VectorSupport.describe(),
                    model.module().parameterCount(), peak, packed, packedBytes);
        }
    }

    /**
     * Milliseconds per forward spent in each op of a ViT forward, each op timed alone (median of iters) on random
     * tensors of the model's shapes and multiplied by how often the forward runs it. Keys in forward order.
     */
    public static Map<String, Double> breakdown(String arch, int batch, Backend backend, int iters) {
        VitConfig c = VitConfig.named(arch);
        if (c == null) {
            throw new IllegalArgumentException("the op breakdown covers ViT architectures only (" + String.join(", ", VitConfig.names()) + ")");
        }
        Random r = new Random(3);
        int n = c.tokens();
        int d = c.dim();
        int hidden = c.mlpHidden();
        int depth = c.depth();
        Map<String, Double> ms = new LinkedHashMap<>();
        try (Scope s = Scope.open(); var noGrad = GradMode.noGrad()) {
            Tensor img = Tensor.randn(backend, r, 1f, batch, c.channels(), c.height(), c.width());
            Tensor convW = Tensor.randn(backend, r, 0.02f, d, c.channels(), c.patch(), c.patch());
            Tensor convB = Tensor.randn(backend, r, 0.02f, d);
            Tensor x = Tensor.randn(backend, r, 1f, batch, n, d);
            Tensor gamma = Tensor.randn(backend, r, 1f, d);
            Tensor qkvW = Tensor.randn(backend, r, 0.02f, 3 * d, d);
            Tensor qkvB = Tensor.randn(backend, r, 0.02f, 3 * d);
            Tensor qkv = Tensor.randn(backend, r, 1f, batch, n, 3 * d);
            Tensor projW = Tensor.randn(backend, r, 0.02f, d, d);
            Tensor fc1W = Tensor.randn(backend, r, 0.02f, hidden, d);
            Tensor fc1B = Tensor.randn(backend, r, 0.02f, hidden);
            Tensor h = Tensor.randn(backend, r, 1f, batch, n, hidden);
            Tensor fc2W = Tensor.randn(backend, r, 0.02f, d, hidden);
            float scale = (float) (1 / Math.sqrt(c.headDim()));
            ms.put("patch_embed (conv)", opMs(iters, () -> ConvOps.conv2d(img, convW, convB, c.strideH(), c.strideW(), 0, 0, 1, 1)));
            ms.put("layer norms", (2 * depth + 1) * opMs(iters, () -> NnOps.layerNorm(x, gamma, gamma, c.eps())));
            ms.put("qkv linear", depth * opMs(iters, () -> LinalgOps.linear(x, qkvW, qkvB)));
            ms.put("attention", depth * opMs(iters, () -> NnOps.attentionPacked(qkv, c.heads(), null, null, scale)));
            ms.put("proj linear", depth * opMs(iters, () -> LinalgOps.linear(x, projW, gamma)));
            ms.put("fc1 linear", depth * opMs(iters, () -> LinalgOps.linear(x, fc1W, fc1B)));
            ms.put("gelu", depth * opMs(iters, h::gelu));
            ms.put("fc2 linear", depth * opMs(iters, () -> LinalgOps.linear(h, fc2W, gamma)));
            ms.put("residual adds", 2 * depth * opMs(iters, () -> x.add(x)));
        }
        return ms;
    }

    private static double opMs(int iters, Supplier<Tensor> op) {
        op.get().close();
        return median(time(iters, () -> op.get().close()));
    }

    private static double[] time(int iters, Runnable body) {
        double[] times = new double[iters];
        for (int i = 0; i < iters; i++) {
            long t0 = System.nanoTime();
            body.run();
            times[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(times);
        return times;
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
