package org.mettle.backend.cpu;

/** Entry point to the CPU GEMM: the Vector API kernel when this JVM has it, the scalar kernel otherwise. */
public final class Gemm {
    private static final GemmKernel KERNEL =
            VectorSupport.load(GemmKernel.class, "org.mettle.backend.cpu.VectorGemm", new ScalarGemm());

    private Gemm() {}

    public static GemmKernel kernel() {
        return KERNEL;
    }
}
