import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import java.util.function.Supplier;
import org.mettle.autograd.GradMode;
import org.mettle.autograd.LinalgOps;
import org.mettle.autograd.NnOps;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.backend.cpu.CpuParallel;
import org.mettle.models.Architectures;
import org.mettle.models.Backbone;
import org.mettle.models.LayerConsumer;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Tensor;

/**
 * Single-thread CPU time of the ops of a vit_base_patch16_224 forward (batch 1) and of the whole forward: thread
 * CPU time rather than wall time, so that other jobs on a shared machine disturb it less (they still share caches
 * and, on SMT siblings, the core). Counterpart of bench/torch_vit_ops.py; bench/vit_cpu_time.sh alternates both.
 *
 *   METTLE_THREADS=1 java --add-modules jdk.incubator.vector -cp "target/classes:target/lib/*" bench/VitOpsCpuTime.java [iters]
 *
 * Prints one JSON line: best (min) and median ms per op call, and per forward.
 */
public class VitOpsCpuTime {
    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();

    public static void main(String[] args) {
        if (CpuParallel.threads() != 1) {
            throw new IllegalStateException("run with METTLE_THREADS=1: thread CPU time only covers the calling thread");
        }
        int iters = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        Backend be = Backends.cpu();
        Random r = new Random(1);
        int n = 197, d = 768, hidden = 3072;
        StringBuilder json = new StringBuilder("{\"impl\":\"mettle\",\"clock\":\"thread_cpu\",\"threads\":1");
        try (Scope s = Scope.open(); var noGrad = GradMode.noGrad()) {
            Tensor x = Tensor.randn(be, r, 1f, 1, n, d);
            Tensor h = Tensor.randn(be, r, 1f, 1, n, hidden);
            Tensor qkvW = Tensor.randn(be, r, .02f, 3 * d, d);
            Tensor qkvB = Tensor.randn(be, r, .02f, 3 * d);
            Tensor projW = Tensor.randn(be, r, .02f, d, d);
            Tensor bias = Tensor.randn(be, r, .02f, d);
            Tensor fc1W = Tensor.randn(be, r, .02f, hidden, d);
            Tensor fc1B = Tensor.randn(be, r, .02f, hidden);
            Tensor fc2W = Tensor.randn(be, r, .02f, d, hidden);
            Tensor qkv = Tensor.randn(be, r, 1f, 1, n, 3 * d);
            Tensor gamma = Tensor.randn(be, r, 1f, d);
            op(json, "qkv", iters, () -> LinalgOps.linear(x, qkvW, qkvB));
            op(json, "proj", iters, () -> LinalgOps.linear(x, projW, bias));
            op(json, "fc1", iters, () -> LinalgOps.linear(x, fc1W, fc1B));
            op(json, "fc2", iters, () -> LinalgOps.linear(h, fc2W, bias));
            op(json, "attention", iters, () -> NnOps.attentionPacked(qkv, 12, null, null, 0.125f));
            op(json, "gelu", iters, h::gelu);
            op(json, "layer_norm", iters, () -> NnOps.layerNorm(x, gamma, gamma, 1e-6f));
            try (Backbone model = Architectures.create("vit_base_patch16_224", be, 1)) {
                Tensor img = Tensor.randn(be, r, 1f, 1, 3, 224, 224);
                op(json, "model", Math.max(3, iters / 3), () -> model.forward(img, LayerConsumer.NONE));
            }
        }
        System.out.println(json.append('}'));
    }

    private static void op(StringBuilder json, String name, int iters, Supplier<Tensor> body) {
        // enough calls for C2 to compile the op's kernels (3 measured mostly the JIT's warm-up)
        for (int i = 0; i < 30; i++) {
            body.get().close();
        }
        double[] ms = new double[iters];
        for (int i = 0; i < iters; i++) {
            long t0 = MX.getCurrentThreadCpuTime();
            body.get().close();
            ms[i] = (MX.getCurrentThreadCpuTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        json.append(String.format(Locale.ROOT, ",\"%s\":{\"min_ms\":%.3f,\"ms\":%.3f}", name, ms[0], ms[iters / 2]));
    }
}
