package org.mettle.backend.cuda;

import java.util.Locale;

/**
 * Which fp32 CUDA-core GEMM kernel {@link CudaBackend#gemm} launches (kernels/gemm.cu), from the system property
 * {@value #PROPERTY}, read once per backend:
 * <ul>
 *   <li>{@code v1}: {@code gemm_f32} (128x128 tiles; verified on an H200; the default);</li>
 *   <li>{@code v2}: {@code gemm_f32_v2_<T>_<ab>} (3-stage cp.async; not yet run on a GPU) with the block tile T = 128
 *       or 64 picked per call by {@link #tile} (64 when 128-wide blocks would leave most of the GPU idle);</li>
 *   <li>{@code v2-128}, {@code v2-64}: v2 with the tile forced (to calibrate {@link #tile} on a GPU).</li>
 * </ul>
 */
public enum GemmF32Variant {
    V1("v1"),
    V2("v2"),
    V2_128("v2-128"),
    V2_64("v2-64");

    public static final String PROPERTY = "mettle.cuda.gemmF32";
    /**
     * Throughput of a 64x64 block per SM relative to a 128x128 one when both fill the GPU (4x4 vs 8x8 results per
     * thread: twice the shared-memory reads per FMA). An estimate until measured: compare v2-64 with v2-128 on a GPU.
     */
    static final double SMALL_TILE_SPEED = 0.75;
    /** Resident blocks per SM (ptxas: 128 registers and 48 KB for T = 128, <= 80 registers and 24 KB for T = 64). */
    static final int BLOCKS_PER_SM_128 = 2;
    static final int BLOCKS_PER_SM_64 = 3;

    private final String label;

    GemmF32Variant(String label) {
        this.label = label;
    }

    /** The variant named by {@value #PROPERTY}; v1 when unset or blank. */
    public static GemmF32Variant fromSystemProperty() {
        return parse(System.getProperty(PROPERTY));
    }

    /** "v1", "v2", "v2-128" or "v2-64" (any case, surrounding blanks ignored); null or blank means v1. */
    public static GemmF32Variant parse(String value) {
        if (value == null || value.isBlank()) {
            return V1;
        }
        String v = value.trim().toLowerCase(Locale.ROOT);
        for (GemmF32Variant g : values()) {
            if (g.label.equals(v)) {
                return g;
            }
        }
        throw new IllegalArgumentException("-D" + PROPERTY + "=" + value + ": expected v1 (gemm_f32, the default), v2 "
                + "(gemm_f32_v2_*, tile picked per shape), v2-128 or v2-64 (v2 with that tile)");
    }

    /** As the property and the benchmark JSON spell it. */
    public String label() {
        return label;
    }

    /**
     * The block tile (128 or 64) of a v2 launch for C [batch, m, n] on a GPU with {@code sms} multiprocessors: the one
     * with the larger estimated throughput = speed per SM x share of each tile inside C x share of the last wave's
     * slots that are busy. Ties go to 128. Always 128 for {@link #V2_128}, 64 for {@link #V2_64}.
     */
    public int tile(int m, int n, int batch, int sms) {
        if (this == V2_128 || this == V1) {
            return 128;
        }
        if (this == V2_64) {
            return 64;
        }
        if (m <= 0 || n <= 0 || batch <= 0) {
            return 128;
        }
        double big = score(m, n, batch, 128, sms * BLOCKS_PER_SM_128, 1.0);
        double small = score(m, n, batch, 64, sms * BLOCKS_PER_SM_64, SMALL_TILE_SPEED);
        return small > big ? 64 : 128;
    }

    private static double score(int m, int n, int batch, int t, int slots, double speed) {
        long tm = CudaKernels.cdiv(m, t), tn = CudaKernels.cdiv(n, t);
        double blocks = (double) tm * tn * batch;
        double inside = (double) m * n / ((double) tm * t * tn * t);
        double waves = Math.ceil(blocks / Math.max(1, slots));
        return speed * inside * blocks / (waves * Math.max(1, slots));
    }

    /** The kernel that computes op(A) op(B) in fp32 on CUDA cores for these transposes and this tile. */
    public String kernel(boolean transA, boolean transB, int tile) {
        if (this == V1) {
            return "gemm_f32";
        }
        if (tile != 128 && tile != 64) {
            throw new IllegalArgumentException("gemm_f32_v2: tile " + tile + " (expected 128 or 64)");
        }
        return "gemm_f32_v2_" + tile + "_" + (transA ? 't' : 'n') + (transB ? 't' : 'n');
    }
}
