package org.mettle.backend.cpu;

/**
 * Loop order for products with few rows of C, such as a ViT's token matrix times a weight (197 x 768 times
 * 768 x 2304, batch 1). All of op(A) for a chunk of depth slices is packed once per thread (about 600 KiB at
 * 197 x 768, kept in that core's L2); then each NR-wide micro-panel of op(B) is packed one depth slice at a time
 * into a buffer that stays in L1 and swept against every row panel at once. Compared with the general nest this
 * reads op(B) exactly once per call, never writes a packed copy of it back to L3, and has no thin leftover row
 * block (197 = 192 + 5 rows there meant a second pass over all of packed B for five rows). Threads split the
 * micro-panels of B; each thread packs its own copy of the A chunk (small next to its share of B).
 */
final class FewRowsGemm {
    /** Products whose rows, rounded up to the tile height, exceed this take the general loop nest. */
    static final int MAX_ROWS = 256;

    private FewRowsGemm() {}

    static boolean applies(BlockedGemm g, int m, int n, boolean parallel) {
        if (BlockedGemm.roundUp(m, g.mr) > MAX_ROWS) {
            return false;
        }
        // Threads split the column panels: with too few of them the general nest (which can split rows) balances better.
        return !parallel || BlockedGemm.ceilDiv(n, g.nr) >= 2 * CpuParallel.threads();
    }

    /** Packed A per depth chunk, in floats: four of the general nest's MC x KC blocks (768 KiB by default). */
    private static int aBudgetFloats(BlockedGemm g) {
        return 4 * g.mcMax * g.kcMax;
    }

    /** Arguments checked, m, n, k and alpha non-zero, beta already applied to C (accumulate: add into C). */
    static void run(BlockedGemm g, boolean transA, boolean transB, int m, int n, int k, float alpha,
                    float[] a, int aOff, int lda, float[] b, int bOff, int ldb, boolean accumulate,
                    float[] c, int cOff, int ldc, boolean parallel) {
        int rowsPadded = BlockedGemm.roundUp(m, g.mr);
        int slicesPerChunk = Math.max(1, aBudgetFloats(g) / (rowsPadded * g.kcMax));
        int chunkDepth = slicesPerChunk * g.kcMax;
        int panels = BlockedGemm.ceilDiv(n, g.nr);
        for (int dc = 0; dc < k; dc += chunkDepth) {
            Chunk chunk = new Chunk(g, transA, transB, m, n, alpha, a, aOff, lda, b, bOff, ldb,
                    accumulate || dc > 0, c, cOff, ldc, rowsPadded, dc, Math.min(chunkDepth, k - dc), new Object());
            if (parallel) {
                CpuParallel.parallelFor(panels, 1, chunk::sweep);
            } else {
                chunk.sweep(0, panels);
            }
        }
    }

    /**
     * One depth chunk [dc, dc + depth) of the product. Its packed A is cached in each thread's workspace under
     * {@code token}, an identity that holds no operand (the workspace outlives the call).
     */
    private record Chunk(BlockedGemm g, boolean transA, boolean transB, int m, int n, float alpha,
                         float[] a, int aOff, int lda, float[] b, int bOff, int ldb, boolean accumulate,
                         float[] c, int cOff, int ldc, int rowsPadded, int dc, int depth, Object token) {

        /** Micro-panels [p0, p1) of op(B) against all rows, over this chunk's depth. */
        void sweep(int p0, int p1) {
            GemmWorkspace ws = BlockedGemm.WORKSPACE.get();
            int mr = g.mr;
            int nr = g.nr;
            int kcMax = g.kcMax;
            float[] pa = packedA(ws);
            float[] pb = ws.panelB(nr * kcMax);
            for (int panel = p0; panel < p1; panel++) {
                int j = panel * nr;
                int cols = Math.min(nr, n - j);
                for (int pc = dc; pc < dc + depth; pc += kcMax) {
                    int kc = Math.min(kcMax, dc + depth - pc);
                    g.packB(transB, b, bOff, ldb, n, j, pc, kc, 0, 1, pb, 0, ws);
                    boolean acc = accumulate || pc > dc;
                    int sliceBase = (pc - dc) * rowsPadded;
                    for (int i = 0; i < m; i += mr) {
                        g.tile(Math.min(mr, m - i), cols, kc, pa, sliceBase + i * kc, 1, mr, pb, 0, nr, 1f,
                                c, cOff + i * ldc + j, ldc, acc, ws);
                    }
                }
            }
        }

        /** This thread's packed copy of op(A) over the chunk: slice s (KC deep) starts at s * rowsPadded * KC. */
        private float[] packedA(GemmWorkspace ws) {
            float[] pa = ws.fewRowsA(rowsPadded * depth);
            if (!ws.packedFor(token)) {
                for (int pc = dc; pc < dc + depth; pc += g.kcMax) {
                    int kc = Math.min(g.kcMax, dc + depth - pc);
                    g.packA(transA, a, aOff, lda, alpha, 0, m, pc, kc, pa, (pc - dc) * rowsPadded, ws);
                }
                ws.markPacked(token);
            }
            return pa;
        }
    }
}
