package org.mettle.backend;

import org.mettle.backend.cpu.CpuBackend;
import org.mettle.backend.cuda.CudaBackend;
import org.mettle.backend.cuda.CudaRuntime;
import org.mettle.backend.meta.MetaBackend;

/** The process-wide backends and device selection ({@code --device auto|cpu|cuda|meta}). */
public final class Backends {
    private static volatile CpuBackend cpu;
    private static volatile MetaBackend meta;
    private static volatile CudaBackend cuda;

    private Backends() {}

    public static Backend cpu() {
        CpuBackend b = cpu;
        if (b == null) {
            synchronized (Backends.class) {
                if (cpu == null) {
                    cpu = new CpuBackend();
                }
                b = cpu;
            }
        }
        return b;
    }

    public static Backend meta() {
        MetaBackend b = meta;
        if (b == null) {
            synchronized (Backends.class) {
                if (meta == null) {
                    meta = new MetaBackend();
                }
                b = meta;
            }
        }
        return b;
    }

    /** One line on whether CUDA is usable and, when not, why (detection runs once per process). */
    public static String cudaStatus() {
        return CudaRuntime.status();
    }

    public static boolean cudaUsable() {
        return CudaRuntime.isUsable();
    }

    /** The CUDA backend; fails with the one-line reason when CUDA is not usable. */
    public static Backend cuda() {
        CudaBackend b = cuda;
        if (b == null) {
            synchronized (Backends.class) {
                if (cuda == null) {
                    if (!CudaRuntime.isUsable()) {
                        throw new IllegalArgumentException("--device cuda: CUDA " + cudaStatus() + "; use --device cpu");
                    }
                    cuda = new CudaBackend(CudaRuntime.get());
                }
                b = cuda;
            }
        }
        return b;
    }

    /**
     * Resolves a --device value. "auto" picks CUDA when it is usable and the CPU otherwise; "cuda" fails with the
     * reason when CUDA is not usable.
     */
    public static Backend select(String device) {
        switch (device.toLowerCase()) {
            case "cpu":
                return cpu();
            case "meta":
                return meta();
            case "auto":
                return CudaRuntime.isUsable() ? cuda() : cpu();
            case "cuda":
                return cuda();
            default:
                throw new IllegalArgumentException("unknown device '" + device + "': expected auto, cpu, cuda or meta");
        }
    }
}
