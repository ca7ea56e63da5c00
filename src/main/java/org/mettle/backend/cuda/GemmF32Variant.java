package org.mettle.backend.cuda;

import java.util.Locale;

/**
 * Which fp32 CUDA-core GEMM kernel {@link CudaBackend#gemm} launches (kernels/gemm.cu): {@code v1} = {@code gemm_f32}
 * (verified on an H200, the default), {@code v2} = {@code gemm_f32_v2_nn|nt|tn|tt} (128x128x16 tiles, 3-stage
 * cp.async; not yet run on a GPU). Chosen by the system property {@value #PROPERTY}, read once per backend.
 */
public enum GemmF32Variant {
    V1,
    V2;

    public static final String PROPERTY = "mettle.cuda.gemmF32";

    /** The variant named by {@value #PROPERTY}; v1 when unset or blank. */
    public static GemmF32Variant fromSystemProperty() {
        return parse(System.getProperty(PROPERTY));
    }

    /** "v1" or "v2" (any case, surrounding blanks ignored); null or blank means v1. */
    public static GemmF32Variant parse(String value) {
        if (value == null || value.isBlank()) {
            return V1;
        }
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "v1" -> V1;
            case "v2" -> V2;
            default -> throw new IllegalArgumentException("-D" + PROPERTY + "=" + value + ": expected v1 (gemm_f32, the default) "
                    + "or v2 (gemm_f32_v2_*)");
        };
    }

    /** The kernel that computes op(A) op(B) in fp32 on CUDA cores for these transposes. */
    public String kernel(boolean transA, boolean transB) {
        if (this == V1) {
            return "gemm_f32";
        }
        return "gemm_f32_v2_" + (transA ? 't' : 'n') + (transB ? 't' : 'n');
    }

    /** "v1" or "v2", as the property and the benchmark JSON spell it. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
