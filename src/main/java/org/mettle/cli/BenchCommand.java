package org.mettle.cli;

import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.backend.cuda.CudaBackend;
import org.mettle.backend.cuda.BenchResult;
import org.mettle.backend.cuda.CudaBench;
import org.mettle.bench.AttentionBenchmark;
import org.mettle.bench.GemmBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Kernel benchmarks. With --json the last line of stdout is one JSON object. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmark kernels (median of timed runs after warm-up).",
        subcommands = {BenchCommand.Gemm.class, BenchCommand.Attention.class, BenchCommand.TrainStep.class, BenchModelCommand.class,
            BenchKernelsCommand.Lcd.class, BenchKernelsCommand.Mti.class, BenchKernelsCommand.LayerNorm.class})
final class BenchCommand implements Runnable {
    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    static void requireCpu(String device) {
        if (!device.equalsIgnoreCase("cpu")) {
            Backends.select(device); // throws with the reason when the device is unusable
            throw new IllegalArgumentException("--device " + device + ": this benchmark runs on the CPU backend only for now; use --device cpu");
        }
    }

    /** The CUDA backend when --device names it (or auto finds it), null for the CPU; fails with the reason otherwise. */
    static CudaBackend cudaOrNull(String device) {
        if (device.equalsIgnoreCase("cpu")) {
            return null;
        }
        Backend b = Backends.select(device); // throws with the reason when the device is unusable
        if (b instanceof CudaBackend c) {
            return c;
        }
        requireCpu(b.device().name().toLowerCase());
        return null;
    }

    static void printCuda(BenchResult r, boolean json) {
        System.out.println(r.describe());
        if (json) {
            System.out.println(r.toJson());
        }
    }

    @Command(name = "gemm", mixinStandardHelpOptions = true, description = "C = A x B: fp32 on all CPU cores, or f32/tf32/bf16 on cuda (with cuBLAS's time where JCublas loads).")
    static final class Gemm implements Runnable {
        @Option(names = "--m", defaultValue = "1024", description = "rows of A and C (default ${DEFAULT-VALUE})") int m;
        @Option(names = "--n", defaultValue = "1024", description = "columns of B and C (default ${DEFAULT-VALUE})") int n;
        @Option(names = "--k", defaultValue = "1024", description = "inner dimension (default ${DEFAULT-VALUE})") int k;
        @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda or auto (default ${DEFAULT-VALUE})") String device;
        @Option(names = "--dtype", defaultValue = "f32", description = "cuda only: f32, tf32 (needs -Dmettle.cuda.tf32=true) or bf16") String dtype;
        @Option(names = "--trans-b", description = "cuda only: B stored [n, k] like a Linear weight (C = A B^T)") boolean transB;
        @Option(names = "--warmup", defaultValue = "5", description = "untimed runs (default ${DEFAULT-VALUE})") int warmup;
        @Option(names = "--iters", defaultValue = "20", description = "timed runs (default ${DEFAULT-VALUE})") int iters;
        @Option(names = "--json", description = "print one JSON object as the last line") boolean json;

        @Override
        public void run() {
            checkPositive("--m", m, "--n", n, "--k", k, "--iters", iters);
            CudaBackend cuda = cudaOrNull(device);
            if (cuda != null) {
                printCuda(CudaBench.gemm(cuda, m, n, k, dtype, transB, warmup, iters), json);
                return;
            }
            if (transB) {
                throw new IllegalArgumentException("--trans-b needs --device cuda (the CPU benchmark times A x B only)");
            }
            GemmBenchmark.Result r = GemmBenchmark.run(m, n, k, warmup, iters);
            System.out.printf("gemm %dx%dx%d fp32 cpu: %.3f ms median (min %.3f), %.1f GFLOP/s, %d threads, %s path%n",
                    m, n, k, r.ms(), r.minMs(), r.gflops(), r.threads(), r.path());
            if (json) {
                System.out.println(r.toJson());
            }
        }
    }

    @Command(name = "attention", mixinStandardHelpOptions = true, description = "Fused self-attention forward, fp32, all cores.")
    static final class Attention implements Runnable {
        @Option(names = "--batch", defaultValue = "1") int batch;
        @Option(names = "--heads", defaultValue = "12") int heads;
        @Option(names = "--tokens", defaultValue = "197") int tokens;
        @Option(names = "--head-dim", defaultValue = "64") int headDim;
        @Option(names = "--device", defaultValue = "cpu") String device;
        @Option(names = "--dtype", defaultValue = "f32", description = "cuda only: f32 or bf16") String dtype;
        @Option(names = "--warmup", defaultValue = "5") int warmup;
        @Option(names = "--iters", defaultValue = "20") int iters;
        @Option(names = "--json", description = "print one JSON object as the last line") boolean json;

        @Override
        public void run() {
            checkPositive("--batch", batch, "--heads", heads, "--tokens", tokens, "--head-dim", headDim, "--iters", iters);
            CudaBackend cuda = cudaOrNull(device);
            if (cuda != null) {
                printCuda(CudaBench.attention(cuda, batch, heads, tokens, headDim, dtype, warmup, iters), json);
                return;
            }
            AttentionBenchmark.Result r = AttentionBenchmark.run(batch, heads, tokens, headDim, warmup, iters);
            System.out.printf("attention B=%d H=%d N=%d D=%d fp32 cpu: %.3f ms median (min %.3f), %.1f GFLOP/s, %d threads, %s path%n",
                    batch, heads, tokens, headDim, r.ms(), r.minMs(), r.gflops(), r.threads(), r.path());
            if (json) {
                System.out.println(r.toJson());
            }
        }
    }

    @Command(name = "train-step", mixinStandardHelpOptions = true,
            description = "CUDA only: one training step (forward, backward, AdamW) of ViT blocks, fp32.")
    static final class TrainStep implements Runnable {
        @Option(names = "--batch", defaultValue = "16") int batch;
        @Option(names = "--tokens", defaultValue = "197") int tokens;
        @Option(names = "--dim", defaultValue = "768") int dim;
        @Option(names = "--heads", defaultValue = "12") int heads;
        @Option(names = "--depth", defaultValue = "12") int depth;
        @Option(names = "--device", defaultValue = "cuda") String device;
        @Option(names = "--warmup", defaultValue = "2") int warmup;
        @Option(names = "--iters", defaultValue = "5") int iters;
        @Option(names = "--json", description = "print one JSON object as the last line") boolean json;

        @Override
        public void run() {
            checkPositive("--batch", batch, "--tokens", tokens, "--dim", dim, "--heads", heads, "--depth", depth, "--iters", iters);
            CudaBackend cuda = cudaOrNull(device);
            if (cuda == null) {
                throw new IllegalArgumentException("bench train-step runs on --device cuda only");
            }
            BenchResult r = CudaBench.trainStep(cuda, batch, tokens, dim, heads, depth, warmup, iters);
            System.out.println("host fallbacks by primitive: " + cuda.fallbackCounts());
            printCuda(r, json);
        }
    }

    static void checkPositive(Object... nameValue) {
        for (int i = 0; i < nameValue.length; i += 2) {
            if ((Integer) nameValue[i + 1] < 1) {
                throw new IllegalArgumentException(nameValue[i] + " must be at least 1, got " + nameValue[i + 1]);
            }
        }
    }
}
