package org.mettle.backend;

import org.mettle.backend.cpu.CpuBackend;
import org.mettle.backend.meta.MetaBackend;

/** The process-wide backends and device selection ({@code --device auto|cpu|cuda|meta}). */
public final class Backends {
    private static volatile CpuBackend cpu;
    private static volatile MetaBackend meta;

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

    /** One line on whether CUDA is usable and, when not, why. */
    public static String cudaStatus() {
        return "not available: the CUDA backend is not built into this version yet (CPU and meta backends only)";
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
                return cpu();
            case "cuda":
                throw new IllegalArgumentException("--device cuda: CUDA " + cudaStatus() + "; use --device cpu");
            default:
                throw new IllegalArgumentException("unknown device '" + device + "': expected auto, cpu, cuda or meta");
        }
    }
}
