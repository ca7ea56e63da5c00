package org.mettle.backend.cuda;

/**
 * Which fp32 CUDA-core GEMM kernel {@link CudaBackend#gemm} launches (kernels/gemm.cu), from the system property
 * {@value #PROPERTY}, read once per backend:
 * <ul>
 *   <li>{@code v1}: {@code gemm_f32} (128x128 tiles; verified on an H200; the default);</li>
 *   <li>{@code v2}: {@code gemm_f32_v2_<T>_<ab>} (3-stage cp.async; not yet run on a GPU) with the block tile T = 128
 *       or 64 and a split of K picked per call by {@link #plan} (64 or split-K where 128-wide blocks would leave most
 *       of the GPU idle);</li>
 *   <li>{@code v2-128}, {@code v2-64}: v2 with the tile forced and K not split (to calibrate {@link #plan}).</li>
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
    /**
     * Split-K cost relative to the GEMM: the partials' extra traffic ~ SPLIT_TRAFFIC (S + 1) / K (2 x fp32 rate / memory
     * bandwidth, ~50 TFLOP/s over ~4 TB/s) plus one more launch ~ SPLIT_LAUNCH / (M N K) (4 us at 50 TFLOP/s). Estimates.
     */
    static final double SPLIT_TRAFFIC = 25;
    static final double SPLIT_LAUNCH = 1e8;
    /** K-slices: at most this many, each a multiple of 16 (whole k-tiles) and at least this long. */
    static final int MAX_SPLITS = 8;
    static final int MIN_SPLIT_K = 128;
    /** A block's pipeline fill and epilogue, in k-tiles of 16 (its efficiency: k-tiles / (k-tiles + this)). An estimate. */
    static final double PIPELINE_FILL_TILES = 2;

    /** A v2 launch: the block tile (128 or 64) and the number of K-slices (1: no split). */
    public record Plan(int tile, int splits) {
        public static final Plan DEFAULT = new Plan(128, 1);
    }

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
        return CudaSettings.choose(PROPERTY, value == null || value.isBlank() ? null : value, V1, values(), GemmF32Variant::label, "v1 (gemm_f32, the default), v2 "
                + "(gemm_f32_v2_*, tile and K-split picked per shape), v2-128 or v2-64 (v2 with that tile, no split)");
    }

    /** As the property and the benchmark JSON spell it. */
    public String label() {
        return label;
    }

    /**
     * The launch of C [batch, m, n] = op(A) op(B) with inner dimension k on a GPU with {@code sms} multiprocessors: for
     * v2 the tile and K-split with the largest estimated throughput = speed per SM x share of each tile inside C x share
     * of the last wave's slots that are busy x pipeline efficiency / (1 + split cost); K is split only for batch 1, into
     * slices that are whole k-tiles of at least {@value #MIN_SPLIT_K}. Ties keep the earlier candidate (128 before 64,
     * fewer splits first).
     * {@link #V2_128} and {@link #V2_64} force their tile without splits; {@link #V1} is 128 without splits.
     */
    public Plan plan(int m, int n, int k, int batch, int sms) {
        switch (this) {
            case V1, V2_128:
                return Plan.DEFAULT;
            case V2_64:
                return new Plan(64, 1);
            default:
                break;
        }
        if (m <= 0 || n <= 0 || batch <= 0) {
            return Plan.DEFAULT;
        }
        Plan best = Plan.DEFAULT;
        double bestScore = -1;
        for (int tile : new int[] {128, 64}) {
            for (int s = 1; s <= MAX_SPLITS; s++) {
                if (s > 1 && (batch != 1 || k % s != 0 || (k / s) % 16 != 0 || k / s < MIN_SPLIT_K)) {
                    continue;
                }
                double kTiles = Math.ceil(k / (double) s / 16);
                double score = score(m, n, (long) batch * s, tile, sms) / (1 + splitCost(m, n, k, s))
                        * kTiles / (kTiles + PIPELINE_FILL_TILES);
                if (score > bestScore) {
                    best = new Plan(tile, s);
                    bestScore = score;
                }
            }
        }
        return best;
    }

    private static double splitCost(int m, int n, int k, int splits) {
        return splits == 1 ? 0 : SPLIT_TRAFFIC * (splits + 1) / k + SPLIT_LAUNCH / ((double) m * n * k);
    }

    private static double score(int m, int n, long copies, int t, int sms) {
        int slots = sms * (t == 128 ? BLOCKS_PER_SM_128 : BLOCKS_PER_SM_64);
        double speed = t == 128 ? 1.0 : SMALL_TILE_SPEED;
        long tm = CudaKernels.cdiv(m, t), tn = CudaKernels.cdiv(n, t);
        double blocks = (double) tm * tn * copies;
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
