package org.mettle.backend.cpu;

import org.mettle.backend.AttentionLayout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Forward and backward of {@link CpuAttention} against a double-precision reference that materialises softmax. */
class CpuAttentionTest {
    static final float SENTINEL = 12345f;

    enum Kind { CONTIGUOUS, PADDED, PACKED }

    /** One attention problem: sizes, inputs and where every operand lives. */
    static final class Case {
        final int B, H, Nq, Nk, D;
        final float scale;
        final Kind kind;
        float[] q, k, v;
        AttentionLayout ql, kl, vl;
        float[] bias;
        int biasB = 1, biasH = 1;
        float[] mask;
        int maskB = 1, maskH = 1;
        final SplittableRandom rnd;

        Case(int B, int H, int Nq, int Nk, int D, Kind kind, long seed) {
            this.B = B;
            this.H = H;
            this.Nq = Nq;
            this.Nk = Nk;
            this.D = D;
            this.kind = kind;
            this.scale = (float) (1.0 / Math.sqrt(D));
            this.rnd = new SplittableRandom(seed);
            if (kind == Kind.PACKED) {
                if (Nq != Nk) {
                    throw new IllegalArgumentException("packed qkv needs Nq == Nk");
                }
                float[] qkv = random(B * Nq * 3 * H * D, 1f);
                q = k = v = qkv;
                ql = AttentionLayout.packedQkv(0, H, Nq, D);
                kl = AttentionLayout.packedQkv(1, H, Nq, D);
                vl = AttentionLayout.packedQkv(2, H, Nq, D);
            } else {
                ql = layout(Nq, 1);
                kl = layout(Nk, 2);
                vl = layout(Nk, 3);
                q = fillOperand(ql, Nq);
                k = fillOperand(kl, Nk);
                v = fillOperand(vl, Nk);
            }
        }

        /** Contiguous, or padded with a different gap per operand (so strides are all "odd"). */
        AttentionLayout layout(int n, int salt) {
            if (kind == Kind.CONTIGUOUS) {
                return AttentionLayout.contiguous(H, n, D);
            }
            int sN = D + salt;
            int sH = n * sN + 2 * salt + 1;
            int sB = H * sH + 3 * salt;
            return new AttentionLayout(salt + 2, sB, sH, sN);
        }

        AttentionLayout outLayout(int n, int salt) {
            return kind == Kind.PACKED ? AttentionLayout.tokensMajor(H, n, D) : layout(n, salt);
        }

        float[] fillOperand(AttentionLayout l, int n) {
            return fillOperand(l, n, rnd);
        }

        float[] fillOperand(AttentionLayout l, int n, SplittableRandom rnd) {
            float[] a = new float[size(l, n)];
            Arrays.fill(a, SENTINEL);
            for (int b = 0; b < B; b++) {
                for (int h = 0; h < H; h++) {
                    for (int i = 0; i < n; i++) {
                        for (int t = 0; t < D; t++) {
                            a[l.index(b, h, i) + t] = (float) (rnd.nextDouble() * 2 - 1);
                        }
                    }
                }
            }
            return a;
        }

        float[] outArray(AttentionLayout l, int n) {
            float[] a = new float[size(l, n)];
            Arrays.fill(a, SENTINEL);
            return a;
        }

        int size(AttentionLayout l, int n) {
            return (int) l.lastIndex(B, H, n, D) + 1 + (kind == Kind.PADDED ? 5 : 0);
        }

        float[] random(int n, float amp) {
            float[] a = new float[n];
            for (int i = 0; i < n; i++) {
                a[i] = (float) ((rnd.nextDouble() * 2 - 1) * amp);
            }
            return a;
        }

        Case withBias(int bb, int hb) {
            biasB = bb;
            biasH = hb;
            bias = random(bb * hb * Nq * Nk, 2f);
            return this;
        }

        Case withMask(int mb, int mh, float[] values) {
            maskB = mb;
            maskH = mh;
            mask = values;
            return this;
        }

        /** Multiplies q by a factor, for large logits. */
        Case amplify(float factor) {
            for (int i = 0; i < q.length; i++) {
                if (q[i] != SENTINEL) {
                    q[i] *= factor;
                }
            }
            return this;
        }
    }

    /** Outputs of one forward + backward run. */
    static final class Result {
        float[] o, lse, dq, dk, dv, dBias;
        AttentionLayout ol, dql, dkl, dvl;
        float[] dO;
        AttentionLayout dOl;
    }

    /** Reference values, contiguous [B,H,N,D] (lse [B,H,Nq], dBias [Bb,Hb,Nq,Nk]). */
    static final class Ref {
        double[] o, lse, dq, dk, dv, dBias;
    }

    static AttentionKernels scalarKernels() {
        return new ScalarAttentionKernels();
    }

    static AttentionKernels vectorKernels() {
        // the scalar-path surefire run (-Dmettle.expectVector=false, no vector module) skips the vector half
        org.junit.jupiter.api.Assumptions.assumeTrue(Boolean.parseBoolean(System.getProperty("mettle.expectVector",
                "true")), "a JVM without jdk.incubator.vector (-Dmettle.expectVector=false) cannot run the vector path");
        AttentionKernels kv = VectorSupport.load(AttentionKernels.class,
                "org.mettle.backend.cpu.VectorAttentionKernels", null);
        assertNotNull(kv, "the Vector API path must be tested: run the tests with --add-modules jdk.incubator.vector");
        return kv;
    }

    static AttentionKernels kernels(String path) {
        return path.equals("vector") ? vectorKernels() : scalarKernels();
    }

    static float get(float[] a, AttentionLayout l, int b, int h, int n, int t) {
        return a[l.index(b, h, n) + t];
    }

    /** Runs forward then the full backward with dO random; dBias starts at `dBiasInit` when there is a bias. */
    static Result run(Case c, AttentionKernels kernels, CpuAttention.BackwardSchedule schedule, int bq, int bk,
                      float dBiasInit) {
        Result r = new Result();
        r.ol = c.outLayout(c.Nq, 4);
        r.o = c.outArray(r.ol, c.Nq);
        r.lse = new float[c.B * c.H * c.Nq];
        CpuAttention.forward(kernels, bq, bk, c.B, c.H, c.Nq, c.Nk, c.D, c.scale, c.q, c.ql, c.k, c.kl, c.v, c.vl,
                c.bias, c.biasB, c.biasH, c.mask, c.maskB, c.maskH, r.o, r.ol, r.lse);
        r.dOl = c.outLayout(c.Nq, 5);
        r.dO = c.fillOperand(r.dOl, c.Nq, new SplittableRandom(99)); // the same dO on every run of a case
        if (c.kind == Kind.PACKED) {
            float[] dqkv = new float[c.q.length];
            Arrays.fill(dqkv, SENTINEL);
            r.dq = r.dk = r.dv = dqkv;
            r.dql = c.ql;
            r.dkl = c.kl;
            r.dvl = c.vl;
        } else {
            r.dql = c.layout(c.Nq, 6);
            r.dkl = c.layout(c.Nk, 7);
            r.dvl = c.layout(c.Nk, 8);
            r.dq = c.outArray(r.dql, c.Nq);
            r.dk = c.outArray(r.dkl, c.Nk);
            r.dv = c.outArray(r.dvl, c.Nk);
        }
        if (c.bias != null) {
            r.dBias = new float[c.bias.length];
            Arrays.fill(r.dBias, dBiasInit);
        }
        CpuAttention.backward(kernels, schedule, bq, bk, c.B, c.H, c.Nq, c.Nk, c.D, c.scale, c.q, c.ql, c.k, c.kl,
                c.v, c.vl, c.bias, c.biasB, c.biasH, c.mask, c.maskB, c.maskH, r.o, r.ol, r.lse, r.dO, r.dOl,
                r.dq, r.dql, r.dk, r.dkl, r.dv, r.dvl, r.dBias);
        return r;
    }

    static int sharedRow(int sb, int sh, Case c, int b, int h, int i) {
        return (((b % sb) * sh + (sh == 1 ? 0 : h)) * c.Nq + i) * c.Nk;
    }

    static Ref reference(Case c, float[] dO, AttentionLayout dOl) {
        int B = c.B, H = c.H, Nq = c.Nq, Nk = c.Nk, D = c.D;
        Ref ref = new Ref();
        ref.o = new double[B * H * Nq * D];
        ref.lse = new double[B * H * Nq];
        ref.dq = new double[B * H * Nq * D];
        ref.dk = new double[B * H * Nk * D];
        ref.dv = new double[B * H * Nk * D];
        ref.dBias = c.bias == null ? null : new double[c.bias.length];
        double[] p = new double[Nk];
        double[] dP = new double[Nk];
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < H; h++) {
                for (int i = 0; i < Nq; i++) {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < Nk; j++) {
                        double s = 0;
                        for (int t = 0; t < D; t++) {
                            s += (double) get(c.q, c.ql, b, h, i, t) * get(c.k, c.kl, b, h, j, t);
                        }
                        s *= c.scale;
                        if (c.bias != null) {
                            s += c.bias[sharedRow(c.biasB, c.biasH, c, b, h, i) + j];
                        }
                        if (c.mask != null) {
                            s += c.mask[sharedRow(c.maskB, c.maskH, c, b, h, i) + j];
                        }
                        p[j] = s;
                        max = Math.max(max, s);
                    }
                    int row = (b * H + h) * Nq + i;
                    if (max == Double.NEGATIVE_INFINITY) {
                        ref.lse[row] = Double.NEGATIVE_INFINITY;
                        continue; // o, dq and this row's contributions stay 0
                    }
                    double sum = 0;
                    for (int j = 0; j < Nk; j++) {
                        p[j] = Math.exp(p[j] - max);
                        sum += p[j];
                    }
                    ref.lse[row] = max + Math.log(sum);
                    double rowDot = 0;
                    for (int j = 0; j < Nk; j++) {
                        p[j] /= sum;
                        double g = 0;
                        for (int t = 0; t < D; t++) {
                            ref.o[row * D + t] += p[j] * get(c.v, c.vl, b, h, j, t);
                            g += (double) get(dO, dOl, b, h, i, t) * get(c.v, c.vl, b, h, j, t);
                        }
                        dP[j] = g;
                        rowDot += p[j] * g;
                    }
                    for (int j = 0; j < Nk; j++) {
                        double dS = p[j] * (dP[j] - rowDot);
                        int kRow = (b * H + h) * Nk + j;
                        for (int t = 0; t < D; t++) {
                            ref.dq[row * D + t] += c.scale * dS * get(c.k, c.kl, b, h, j, t);
                            ref.dk[kRow * D + t] += c.scale * dS * get(c.q, c.ql, b, h, i, t);
                            ref.dv[kRow * D + t] += p[j] * get(dO, dOl, b, h, i, t);
                        }
                        if (ref.dBias != null) {
                            ref.dBias[sharedRow(c.biasB, c.biasH, c, b, h, i) + j] += dS;
                        }
                    }
                }
            }
        }
        return ref;
    }

    static double maxAbs(double[] a) {
        double m = 0;
        for (double x : a) {
            if (Double.isFinite(x)) {
                m = Math.max(m, Math.abs(x));
            }
        }
        return m;
    }

    /** |actual - ref| <= tol * max(1, max|ref|) for every element of a [B,H,N,D] operand at its layout. */
    static void assertOperand(String what, double[] ref, float[] actual, AttentionLayout l, Case c, int n, double tol) {
        double bound = tol * Math.max(1, maxAbs(ref));
        for (int b = 0; b < c.B; b++) {
            for (int h = 0; h < c.H; h++) {
                for (int i = 0; i < n; i++) {
                    for (int t = 0; t < c.D; t++) {
                        double r = ref[((b * c.H + h) * n + i) * c.D + t];
                        float a = get(actual, l, b, h, i, t);
                        if (!(Math.abs(a - r) <= bound)) {
                            fail(what + " at (b=" + b + ", h=" + h + ", n=" + i + ", d=" + t + "): expected " + r
                                    + " got " + a + " (bound " + bound + ")");
                        }
                    }
                }
            }
        }
    }

    static void assertFlat(String what, double[] ref, float[] actual, double offset, double tol) {
        double bound = tol * Math.max(1, maxAbs(ref));
        for (int i = 0; i < ref.length; i++) {
            double r = ref[i] + offset;
            boolean ok = Double.isInfinite(r) ? actual[i] == r : Math.abs(actual[i] - r) <= bound;
            if (!ok) {
                fail(what + "[" + i + "]: expected " + r + " got " + actual[i] + " (bound " + bound + ")");
            }
        }
    }

    /** Elements of a padded output that no layout addresses must keep the sentinel. */
    static void assertGapsUntouched(String what, float[] a, Case c, AttentionLayout l, int n) {
        boolean[] covered = new boolean[a.length];
        for (int b = 0; b < c.B; b++) {
            for (int h = 0; h < c.H; h++) {
                for (int i = 0; i < n; i++) {
                    Arrays.fill(covered, l.index(b, h, i), l.index(b, h, i) + c.D, true);
                }
            }
        }
        for (int i = 0; i < a.length; i++) {
            if (!covered[i] && a[i] != SENTINEL) {
                fail(what + ": element " + i + " outside the layout was overwritten with " + a[i]);
            }
        }
    }

    static void check(Case c, Result r, double tol, float dBiasInit) {
        Ref ref = reference(c, r.dO, r.dOl);
        assertOperand("o", ref.o, r.o, r.ol, c, c.Nq, tol);
        assertFlat("lse", ref.lse, r.lse, 0, tol);
        assertOperand("dq", ref.dq, r.dq, r.dql, c, c.Nq, tol);
        assertOperand("dk", ref.dk, r.dk, r.dkl, c, c.Nk, tol);
        assertOperand("dv", ref.dv, r.dv, r.dvl, c, c.Nk, tol);
        if (c.bias != null) {
            assertFlat("dBias", ref.dBias, r.dBias, dBiasInit, tol);
        }
        if (c.kind == Kind.PADDED) {
            assertGapsUntouched("o", r.o, c, r.ol, c.Nq);
            assertGapsUntouched("dq", r.dq, c, r.dql, c.Nq);
            assertGapsUntouched("dk", r.dk, c, r.dkl, c.Nk);
            assertGapsUntouched("dv", r.dv, c, r.dvl, c.Nk);
        }
    }

    static void runAndCheck(Case c, String path, double tol) {
        // default tiles with each schedule, and tiny tiles so every row spans several query blocks and key tiles
        for (CpuAttention.BackwardSchedule s : CpuAttention.BackwardSchedule.values()) {
            check(c, run(c, kernels(path), s, 0, 0, 0.5f), tol, 0.5f);
            check(c, run(c, kernels(path), s, 3, 5, 0.5f), tol, 0.5f);
        }
    }

    static Stream<Arguments> oddSizes() {
        int[][] sizes = {
            // B, H, Nq, Nk, D
            {2, 3, 5, 7, 1}, {1, 2, 1, 9, 3}, {2, 1, 6, 1, 17}, {1, 1, 1, 1, 64}, {1, 2, 33, 70, 64},
            {2, 2, 17, 130, 17}, {1, 1, 40, 3, 16}, {1, 3, 4, 300, 32},
        };
        Stream.Builder<Arguments> out = Stream.builder();
        for (String path : new String[] {"scalar", "vector"}) {
            for (int[] s : sizes) {
                out.add(Arguments.of(path, s[0], s[1], s[2], s[3], s[4]));
            }
        }
        return out.build();
    }

    @ParameterizedTest(name = "{0} B={1} H={2} Nq={3} Nk={4} D={5}")
    @MethodSource("oddSizes")
    void matchesReferenceForOddSizesAndPaddedLayouts(String path, int B, int H, int Nq, int Nk, int D) {
        runAndCheck(new Case(B, H, Nq, Nk, D, Kind.CONTIGUOUS, 1 + Nq * 31L + Nk), path, 1e-4);
        runAndCheck(new Case(B, H, Nq, Nk, D, Kind.PADDED, 2 + D * 17L), path, 1e-4);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("paths")
    void denseForwardSplitsLongRowsIntoBlocksAndLongSequencesStayTiled(String path) {
        // default tiles and Nk <= 1024 take DenseAttentionForward: 150 x 1000 logits exceed its scratch, so the
        // queries are split into blocks; 1100 keys take the tiled forward even with default tiles
        int rows = DenseAttentionForward.blockRows(1, 150, 1000, 1);
        assertTrue(rows < 150 && rows * 1000 <= 1 << 16 && rows % 8 == 0, "query block of " + rows + " rows");
        runAndCheck(new Case(1, 1, 150, 1000, 8, Kind.PADDED, 31).withBias(1, 1), path, 1e-4);
        runAndCheck(new Case(1, 1, 9, 1100, 8, Kind.CONTIGUOUS, 32), path, 1e-4);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("paths")
    void readsAndWritesFusedQkvLayout(String path) {
        // q, k, v interleaved as [B, N, 3, H, D]; o written as [B, N, H*D]; dq, dk, dv into one dqkv array
        runAndCheck(new Case(2, 3, 19, 19, 16, Kind.PACKED, 7), path, 1e-4);
        runAndCheck(new Case(1, 2, 9, 9, 5, Kind.PACKED, 8), path, 1e-4);
    }

    static Stream<String> paths() {
        return Stream.of("scalar", "vector");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("paths")
    void biasSharedAcrossBatchAndHeadsAccumulatesItsGradient(String path) {
        int B = 4, H = 3;
        for (int bb : new int[] {1, 2, 4}) {
            for (int hb : new int[] {1, H}) {
                Case c = new Case(B, H, 7, 11, 8, Kind.PADDED, 100 + bb * 10L + hb).withBias(bb, hb);
                runAndCheck(c, path, 1e-4);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("paths")
    void swinWindowsWithBiasAndShiftMask(String path) {
        // B = batch 2 x 4 windows; bias per head shared by all windows; mask per window shared by heads
        int windows = 4, B = 2 * windows, H = 2, N = 9;
        Case c = new Case(B, H, N, N, 8, Kind.PACKED, 11).withBias(1, H);
        float[] mask = new float[windows * N * N];
        for (int w = 0; w < windows; w++) {
            for (int i = 0; i < N; i++) {
                for (int j = 0; j < N; j++) {
                    boolean sameRegion = (i * (w + 1)) % 3 == (j * (w + 1)) % 3;
                    mask[(w * N + i) * N + j] = sameRegion ? 0f : -100f;
                }
            }
        }
        runAndCheck(c.withMask(windows, 1, mask), path, 1e-4);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("paths")
    void infiniteMaskIncludingFullyMaskedRows(String path) {
        int B = 2, H = 2, Nq = 6, Nk = 13;
        float[] mask = new float[H * Nq * Nk];
        for (int h = 0; h < H; h++) {
            for (int j = 0; j < Nk; j++) {
                mask[(h * Nq + 1) * Nk + j] = Float.NEGATIVE_INFINITY; // row 1: every key masked
                if (j < 5) {
                    mask[(h * Nq + 2) * Nk + j] = Float.NEGATIVE_INFINITY; // row 2: the first key tile (of 5) masked
                }
                if (j % 3 == h) {
                    mask[(h * Nq + 4) * Nk + j] = Float.NEGATIVE_INFINITY;
                }
            }
        }
        Case c = new Case(B, H, Nq, Nk, 7, Kind.CONTIGUOUS, 21).withBias(B, H).withMask(1, H, mask);
        runAndCheck(c, path, 1e-4);
        Result r = run(c, kernels(path), CpuAttention.BackwardSchedule.AUTO, 3, 5, 0f);
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < H; h++) {
                assertEquals(Float.NEGATIVE_INFINITY, r.lse[(b * H + h) * Nq + 1], "lse of a fully masked row");
                for (int t = 0; t < c.D; t++) {
                    assertEquals(0f, get(r.o, r.ol, b, h, 1, t), "o of a fully masked row");
                    assertEquals(0f, get(r.dq, r.dql, b, h, 1, t), "dq of a fully masked row");
                }
            }
        }
        for (float[] a : new float[][] {r.o, r.dq, r.dk, r.dv, r.dBias}) {
            for (float x : a) {
                assertFalse(Float.isNaN(x), "no NaN anywhere");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("paths")
    void largeLogitsStayFinite(String path) {
        // logits of a few hundred: exp of them overflows float, so only a max-shifted softmax stays finite
        Case c = new Case(1, 2, 10, 37, 16, Kind.CONTIGUOUS, 31).amplify(400f);
        runAndCheck(c, path, 2e-3);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("paths")
    void queryOnlyBackwardEqualsFullBackwardDq(String path) {
        Case c = new Case(2, 3, 11, 50, 24, Kind.PADDED, 41).withBias(2, 1);
        float[] mask = new float[c.Nq * c.Nk];
        mask[3] = -100f;
        mask[c.Nk + 4] = Float.NEGATIVE_INFINITY;
        c.withMask(1, 1, mask);
        for (int[] tiles : new int[][] {{0, 0}, {4, 16}}) {
            for (CpuAttention.BackwardSchedule s : CpuAttention.BackwardSchedule.values()) {
                Result full = run(c, kernels(path), s, tiles[0], tiles[1], 0f);
                float[] dq = c.outArray(full.dql, c.Nq);
                CpuAttention.backward(kernels(path), CpuAttention.BackwardSchedule.AUTO, tiles[0], tiles[1],
                        c.B, c.H, c.Nq, c.Nk, c.D, c.scale, c.q, c.ql, c.k, c.kl, c.v, c.vl, c.bias, c.biasB,
                        c.biasH, c.mask, c.maskB, c.maskH, full.o, full.ol, full.lse, full.dO, full.dOl,
                        dq, full.dql, null, null, null, null, null);
                for (int i = 0; i < dq.length; i++) {
                    assertEquals(full.dq[i], dq[i], 1e-6f * Math.max(1f, Math.abs(full.dq[i])),
                            "query-only dq vs full dq at " + i + " (" + s + ")");
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("paths")
    void lcdShapeFewQueriesManyKeys(String path) {
        // LCD: K=4 meta-token queries over a layer's keys/values; query-only backward
        Case c = new Case(2, 3, 4, 2304, 32, Kind.CONTIGUOUS, 51);
        Result r = run(c, kernels(path), CpuAttention.BackwardSchedule.AUTO, 0, 0, 0f);
        Ref ref = reference(c, r.dO, r.dOl);
        assertOperand("o", ref.o, r.o, r.ol, c, c.Nq, 1e-4);
        float[] dq = new float[r.dq.length];
        CpuAttention.backward(kernels(path), CpuAttention.BackwardSchedule.AUTO, 0, 0, c.B, c.H, c.Nq, c.Nk, c.D,
                c.scale, c.q, c.ql, c.k, c.kl, c.v, c.vl, null, 1, 1, null, 1, 1, r.o, r.ol, r.lse, r.dO, r.dOl,
                dq, r.dql, null, null, null, null, null);
        assertOperand("dq (query-only)", ref.dq, dq, r.dql, c, c.Nq, 1e-4);
    }

    @Test
    void publicEntryPointsUseTheDetectedPath() {
        assertEquals(VectorSupport.available() ? "vector" : "scalar", CpuAttention.path());
        Case c = new Case(2, 2, 5, 6, 8, Kind.CONTIGUOUS, 61).withBias(1, 2);
        AttentionLayout ol = AttentionLayout.contiguous(c.H, c.Nq, c.D);
        float[] o = new float[c.B * c.H * c.Nq * c.D];
        float[] lse = new float[c.B * c.H * c.Nq];
        CpuAttention.forward(c.B, c.H, c.Nq, c.Nk, c.D, c.scale, c.q, c.ql, c.k, c.kl, c.v, c.vl, c.bias, c.biasB,
                c.biasH, null, 1, 1, o, ol, lse);
        float[] dO = c.random(o.length, 1f);
        float[] dq = new float[o.length];
        float[] dk = new float[c.B * c.H * c.Nk * c.D];
        float[] dv = new float[dk.length];
        float[] dBias = new float[c.bias.length];
        AttentionLayout kl = AttentionLayout.contiguous(c.H, c.Nk, c.D);
        CpuAttention.backward(c.B, c.H, c.Nq, c.Nk, c.D, c.scale, c.q, c.ql, c.k, c.kl, c.v, c.vl, c.bias, c.biasB,
                c.biasH, null, 1, 1, o, ol, lse, dO, ol, dq, ol, dk, kl, dv, kl, dBias);
        float[] dqOnly = new float[o.length];
        CpuAttention.backwardQuery(c.B, c.H, c.Nq, c.Nk, c.D, c.scale, c.q, c.ql, c.k, c.kl, c.v, c.vl, c.bias,
                c.biasB, c.biasH, null, 1, 1, o, ol, lse, dO, ol, dqOnly, ol);
        Ref ref = reference(c, dO, ol);
        assertOperand("o", ref.o, o, ol, c, c.Nq, 1e-4);
        assertOperand("dq", ref.dq, dq, ol, c, c.Nq, 1e-4);
        assertOperand("dk", ref.dk, dk, kl, c, c.Nk, 1e-4);
        assertOperand("dv", ref.dv, dv, kl, c, c.Nk, 1e-4);
        assertFlat("dBias", ref.dBias, dBias, 0, 1e-4);
        assertArrayEquals(dq, dqOnly, 1e-6f);
    }

    @Test
    void scalarAndVectorPathsAgree() {
        Case c = new Case(2, 3, 45, 77, 40, Kind.PADDED, 71).withBias(2, 3);
        Result s = run(c, scalarKernels(), CpuAttention.BackwardSchedule.AUTO, 0, 0, 0f);
        Result v = run(c, vectorKernels(), CpuAttention.BackwardSchedule.AUTO, 0, 0, 0f);
        float[][][] pairs = {{s.o, v.o}, {s.dq, v.dq}, {s.dk, v.dk}, {s.dv, v.dv}, {s.dBias, v.dBias}};
        for (float[][] pair : pairs) {
            for (int i = 0; i < pair[0].length; i++) {
                assertEquals(pair[0][i], pair[1][i], 1e-5f * Math.max(1f, Math.abs(pair[0][i])), "element " + i);
            }
        }
        assertTrue(s.lse.length > 0);
    }
}
