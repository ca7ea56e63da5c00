package org.mettle.backend.cuda;

import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.memory.MemoryCategory;
import org.mettle.tensor.DType;
import org.mettle.tensor.Tensor;

/**
 * HOST FALLBACK for primitives (or argument combinations) without a CUDA kernel: copies the operands to the host,
 * runs the CPU backend's kernel and copies the outputs back. Correct but slow; every use is counted by name so that
 * reports and tests can show which paths are not on the GPU.
 */
final class HostFallback {
    private final Backend device;
    /** Set by {@link CudaBackend} when {@link CudaProfiler#enabled()}. */
    CudaProfiler profiler;
    private final AtomicLong count = new AtomicLong();
    private final Map<String, AtomicLong> byName = new ConcurrentHashMap<>();

    HostFallback(Backend device) {
        this.device = device;
    }

    long count() {
        return count.get();
    }

    Map<String, Long> counts() {
        Map<String, Long> out = new java.util.TreeMap<>();
        byName.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    /**
     * Runs {@code cpuOp} on host copies of {@code operands} (nulls stay null; a tensor passed twice maps to one copy),
     * then copies the host copies of {@code outputs} back to the device.
     */
    void run(String name, Tensor[] operands, Tensor[] outputs, Function<Tensor[], Void> cpuOp) {
        count.incrementAndGet();
        byName.computeIfAbsent(name, k -> new AtomicLong()).incrementAndGet();
        Backend cpu = Backends.cpu();
        Map<Tensor, Tensor> copies = new IdentityHashMap<>();
        long t0 = System.nanoTime();
        try {
            Tensor[] host = new Tensor[operands.length];
            for (int i = 0; i < operands.length; i++) {
                Tensor t = operands[i];
                if (t == null) {
                    continue;
                }
                host[i] = copies.computeIfAbsent(t, d -> toHost(cpu, d));
            }
            cpuOp.apply(host);
            for (Tensor out : outputs) {
                if (out != null) {
                    Tensor h = copies.get(out);
                    if (h == null) {
                        throw new IllegalStateException(name + ": output " + out.describeShort() + " is not among the operands");
                    }
                    if (out.dtype() == DType.I32) {
                        device.writeInts(out, cpu.readInts(h));
                    } else {
                        device.write(out, cpu.readFloats(h));
                    }
                }
            }
        } finally {
            copies.values().forEach(Tensor::close);
            if (profiler != null) {
                profiler.add("fallback " + name, System.nanoTime() - t0, 0);
            }
        }
    }

    private Tensor toHost(Backend cpu, Tensor d) {
        Tensor h = Tensor.empty(cpu, d.shape(), d.dtype(), MemoryCategory.WORKSPACE);
        if (d.dtype() == DType.I32) {
            cpu.writeInts(h, device.readInts(d));
        } else {
            cpu.write(h, device.readFloats(d));
        }
        return h;
    }
}
