package org.mettle.autograd;

import static org.mettle.autograd.OpCheck.constant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.mettle.backend.BinaryOp;
import org.mettle.backend.Interpolation;
import org.mettle.backend.UnaryOp;
import org.mettle.tensor.Tensor;

/** Every differentiable op: forward vs the double reference, backward vs finite differences. */
class OpsTest {
    private final OpCheck check = new OpCheck(20261126L);

    private static final int[][][] BROADCASTS = {
        {{7, 3}, {7, 3}},
        {{3, 1, 5}, {4, 1}},
        {{2, 3, 4, 5}, {5}},
        {{2, 1, 4, 1}, {1, 3, 1, 5}},
        {{}, {3, 2}},
        {{1}, {1}},
    };

    @ParameterizedTest
    @EnumSource(value = BinaryOp.class, names = {"ADD", "SUB", "MUL", "DIV"})
    void binaryOpsWithBroadcasting(BinaryOp op) {
        for (int[][] shapes : BROADCASTS) {
            OpCheck.Input a = check.randn(shapes[0]);
            OpCheck.Input b = op == BinaryOp.DIV ? check.uniform(0.5, 2.0, shapes[1]) : check.randn(shapes[1]);
            check.check(op + " " + java.util.Arrays.deepToString(shapes),
                    t -> ElementwiseOps.binary(op, t[0], t[1]),
                    r -> Ref.zip(r[0], r[1], switch (op) {
                        case ADD -> Double::sum;
                        case SUB -> (x, y) -> x - y;
                        case MUL -> (x, y) -> x * y;
                        default -> (x, y) -> x / y;
                    }), a, b);
        }
    }

    @Test
    void binaryOpWithOneConstantOperand() {
        check.check("mul const", t -> t[0].mul(t[1]), r -> Ref.zip(r[0], r[1], (x, y) -> x * y),
                check.randn(4, 3), constant(check.randn(3)));
        check.check("div const numerator", t -> t[0].div(t[1]), r -> Ref.zip(r[0], r[1], (x, y) -> x / y),
                constant(check.randn(4, 3)), check.uniform(0.5, 2, 4, 3));
    }

    @Test
    void scalarOps() {
        check.check("add scalar", t -> t[0].add(1.5f), r -> r[0].map(x -> x + 1.5), check.randn(3, 5));
        check.check("sub scalar", t -> t[0].sub(0.25f), r -> r[0].map(x -> x - 0.25), check.randn(3, 5));
        check.check("mul scalar", t -> t[0].mul(-2.5f), r -> r[0].map(x -> -2.5 * x), check.randn(3, 5));
        check.check("div scalar", t -> t[0].div(4f), r -> r[0].map(x -> x / 4), check.randn(3, 5));
        check.check("pow scalar", t -> t[0].pow(2.5f), r -> r[0].map(x -> Math.pow(x, 2.5)), check.uniform(0.5, 2, 3, 5));
    }

    @Test
    void unaryOps() {
        check.check("neg", t -> t[0].neg(), r -> r[0].map(x -> -x), check.randn(17));
        check.check("exp", t -> t[0].exp(), r -> r[0].map(Math::exp), check.randn(17));
        check.check("log", t -> t[0].log(), r -> r[0].map(Math::log), check.uniform(0.2, 3, 17));
        check.check("sqrt", t -> t[0].sqrt(), r -> r[0].map(Math::sqrt), check.uniform(0.2, 3, 17));
        check.check("tanh", t -> t[0].tanh(), r -> r[0].map(Math::tanh), check.randn(17));
        check.check("sigmoid", t -> t[0].sigmoid(), r -> r[0].map(x -> 1 / (1 + Math.exp(-x))), check.randn(17));
        check.check("relu", t -> t[0].relu(), r -> r[0].map(x -> Math.max(0, x)), check.randn(17));
        check.check("gelu", t -> t[0].gelu(), r -> r[0].map(Ref::gelu), check.randn(3, 17));
        check.check("square", t -> t[0].square(), r -> r[0].map(x -> x * x), check.randn(17));
        check.check("rsqrt", t -> ElementwiseOps.unary(UnaryOp.RSQRT, t[0]), r -> r[0].map(x -> 1 / Math.sqrt(x)), check.uniform(0.2, 3, 17));
        check.check("abs", t -> ElementwiseOps.unary(UnaryOp.ABS, t[0]), r -> r[0].map(Math::abs), check.randn(17));
        check.check("reciprocal", t -> ElementwiseOps.unary(UnaryOp.RECIPROCAL, t[0]), r -> r[0].map(x -> 1 / x), check.uniform(0.5, 3, 17));
        check.check("gelu_tanh", t -> ElementwiseOps.unary(UnaryOp.GELU_TANH, t[0]),
                r -> r[0].map(x -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)))), check.randn(17));
        check.check("silu", t -> ElementwiseOps.unary(UnaryOp.SILU, t[0]), r -> r[0].map(x -> x / (1 + Math.exp(-x))), check.randn(17));
    }

    @Test
    void matMulShapes() {
        check.check("matMul 2d", t -> t[0].matMul(t[1]), r -> Ref.matMul(r[0], r[1]), check.randn(5, 7), check.randn(7, 3));
        check.check("matMul batched", t -> t[0].matMul(t[1]), r -> Ref.matMul(r[0], r[1]), check.randn(2, 5, 7), check.randn(2, 7, 3));
        check.check("matMul rank-2 rhs", t -> t[0].matMul(t[1]), r -> Ref.matMul(r[0], r[1]), check.randn(2, 3, 5, 7), check.randn(7, 4));
        check.check("matMul broadcast lhs", t -> t[0].matMul(t[1]), r -> Ref.matMul(r[0], r[1]), check.randn(5, 7), check.randn(3, 7, 4));
        check.check("matMul vector-like", t -> t[0].matMul(t[1]), r -> Ref.matMul(r[0], r[1]), check.randn(1, 9), check.randn(9, 1));
    }

    @Test
    void linearLayer() {
        check.check("linear", t -> LinalgOps.linear(t[0], t[1], t[2]), r -> Ref.linear(r[0], r[1], r[2]),
                check.randn(2, 3, 7), check.randn(5, 7), check.randn(5));
        check.check("linear no bias, frozen weight", t -> LinalgOps.linear(t[0], t[1], null), r -> Ref.linear(r[0], r[1], null),
                check.randn(4, 6), constant(check.randn(3, 6)));
    }

    @Test
    void reductions() {
        check.check("sum all", t -> t[0].sum(), r -> new Ref(new int[0], new double[] {r[0].total()}), check.randn(3, 4, 5));
        check.check("sum axis 1 keep", t -> t[0].sum(true, 1), r -> r[0].sum(true, 1), check.randn(3, 4, 5));
        check.check("sum axes 0,2", t -> t[0].sum(false, 0, 2), r -> r[0].sum(false, 0, 2), check.randn(3, 4, 5));
        check.check("mean axis -1", t -> t[0].mean(false, -1), r -> r[0].sum(false, 2).map(x -> x / 5), check.randn(3, 4, 5));
        check.check("mean all", t -> t[0].mean(), r -> new Ref(new int[0], new double[] {r[0].total() / 60}), check.randn(3, 4, 5));
    }

    @Test
    void shapeOps() {
        check.check("reshape", t -> t[0].reshape(4, -1), r -> new Ref(new int[] {4, 6}, r[0].v.clone()), check.randn(2, 3, 4));
        check.check("permute", t -> t[0].permute(2, 0, 1), r -> r[0].permute(2, 0, 1), check.randn(2, 3, 4));
        check.check("transpose", t -> t[0].transpose(-1, -2), r -> r[0].permute(0, 2, 1), check.randn(2, 3, 4));
        check.check("slice", t -> t[0].slice(1, 1, 3), r -> r[0].slice(1, 1, 3), check.randn(2, 4, 3));
        check.check("cat", t -> ShapeOps.cat(1, t[0], t[1], t[2]), r -> Ref.cat(1, r[0], r[1], r[2]),
                check.randn(2, 1, 3), check.randn(2, 4, 3), constant(check.randn(2, 2, 3)));
        check.check("expand", t -> t[0].expand(2, 3, 4), r -> r[0].expand(2, 3, 4), check.randn(3, 1));
    }

    @Test
    void indexSelectWithRepeatedIndices() {
        int[] idx = {2, 0, 2, 3, 2, 1};
        check.check("indexSelect", t -> ShapeOps.indexSelect(t[0], Tensor.ofInts(idx, 2, 3)),
                r -> {
                    Ref out = Ref.zeros(2, 3, 5);
                    for (int i = 0; i < idx.length; i++) {
                        System.arraycopy(r[0].v, idx[i] * 5, out.v, i * 5, 5);
                    }
                    return out;
                }, check.randn(4, 5));
    }

    @Test
    void rowOps() {
        check.check("softmax", t -> t[0].softmax(-1), r -> r[0].rowwise(Ref::softmaxRow), check.randn(3, 2, 7));
        check.check("logSoftmax", t -> t[0].logSoftmax(-1), r -> r[0].rowwise(Ref::logSoftmaxRow), check.randn(4, 9));
        check.check("layerNorm", t -> NnOps.layerNorm(t[0], t[1], t[2], 1e-5f), r -> r[0].layerNorm(r[1], r[2], 1e-5),
                check.randn(2, 3, 11), check.randn(11), check.randn(11));
        check.check("layerNorm no affine", t -> NnOps.layerNorm(t[0], null, null, 1e-6f), r -> r[0].layerNorm(null, null, 1e-6),
                check.randn(5, 1));
        check.check("l2Normalize", t -> NnOps.l2Normalize(t[0], 1e-12f), r -> r[0].l2Normalize(1e-12), check.randn(4, 6));
    }

    @Test
    void attentionWithBiasAndMask() {
        OpCheck.Input mask = constant(check.uniform(-3, 0, 2, 1, 5, 7));
        check.check("attention full", t -> NnOps.attention(t[0], t[1], t[2], t[3], t[4], 0.5f),
                r -> Ref.attention(r[0], r[1], r[2], r[3], r[4], 0.5),
                check.randn(4, 2, 5, 3), check.randn(4, 2, 7, 3), check.randn(4, 2, 7, 3), check.randn(1, 2, 5, 7), mask);
    }

    @Test
    void attentionQueryOnlyBackward() {
        // LCD's case: frozen keys and values, so only dq is computed
        check.check("attention query-only", t -> NnOps.attention(t[0], t[1], t[2], null, null, 0.35f),
                r -> Ref.attention(r[0], r[1], r[2], null, null, 0.35),
                check.randn(2, 3, 4, 5), constant(check.randn(2, 3, 9, 5)), constant(check.randn(2, 3, 9, 5)));
    }

    @Test
    void attentionFromPackedQkv() {
        int b = 2, n = 5, h = 2, d = 3;
        check.check("attentionPacked", t -> NnOps.attentionPacked(t[0], h, t[1], null, 0.6f),
                r -> {
                    Ref qkv = r[0]; // [B, N, 3*H*D]
                    Ref split = new Ref(new int[] {b, n, 3, h, d}, qkv.v).permute(2, 0, 3, 1, 4); // [3, B, H, N, D]
                    Ref q = new Ref(new int[] {b, h, n, d}, java.util.Arrays.copyOfRange(split.v, 0, b * h * n * d));
                    Ref k = new Ref(new int[] {b, h, n, d}, java.util.Arrays.copyOfRange(split.v, b * h * n * d, 2 * b * h * n * d));
                    Ref v = new Ref(new int[] {b, h, n, d}, java.util.Arrays.copyOfRange(split.v, 2 * b * h * n * d, 3 * b * h * n * d));
                    Ref o = Ref.attention(q, k, v, r[1], null, 0.6); // [B, H, N, D]
                    return new Ref(new int[] {b, n, h * d}, o.permute(0, 2, 1, 3).v);
                },
                check.randn(b, n, 3 * h * d), check.randn(1, h, n, n));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void conv2d(int stride) {
        check.check("conv2d stride " + stride, t -> ConvOps.conv2d(t[0], t[1], t[2], stride, 1),
                r -> RefNn.conv2d(r[0], r[1], r[2], stride, 1),
                check.randn(2, 3, 7, 6), check.randn(4, 3, 3, 3), check.randn(4));
    }

    @Test
    void patchEmbeddingConv() {
        check.check("conv2d patchify", t -> ConvOps.conv2d(t[0], t[1], t[2], 4, 0),
                r -> RefNn.conv2d(r[0], r[1], r[2], 4, 0),
                check.randn(1, 2, 8, 12), check.randn(3, 2, 4, 4), check.randn(3));
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void bilinearInterpolation(boolean alignCorners) {
        check.check("bilinear up", t -> ConvOps.interpolate(t[0], 7, 9, Interpolation.BILINEAR, alignCorners),
                r -> RefNn.bilinear(r[0], 7, 9, alignCorners), check.randn(2, 2, 3, 4));
        check.check("bilinear down", t -> ConvOps.interpolate(t[0], 3, 2, Interpolation.BILINEAR, alignCorners),
                r -> RefNn.bilinear(r[0], 3, 2, alignCorners), check.randn(1, 2, 7, 5));
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void bicubicAndNearestInterpolation(boolean alignCorners) {
        // references by linearity: each output is the op applied to one-hot inputs (the engine's own forward is
        // golden-tested against PyTorch); this checks that forward and backward are adjoint and consistent
        OpCheck.Input x = check.randn(1, 2, 4, 5);
        check.check("bicubic", t -> ConvOps.interpolate(t[0], 7, 3, Interpolation.BICUBIC, alignCorners),
                r -> linearReference(r[0], 7, 3, Interpolation.BICUBIC, alignCorners), x);
        if (!alignCorners) {
            check.check("nearest", t -> ConvOps.interpolate(t[0], 9, 2, Interpolation.NEAREST, false),
                    r -> linearReference(r[0], 9, 2, Interpolation.NEAREST, false), x);
        }
    }

    /** y = A x evaluated in double: A's columns are the engine's responses to unit inputs. */
    private static Ref linearReference(Ref x, int oh, int ow, Interpolation mode, boolean align) {
        int n = x.v.length;
        int planeOut = oh * ow;
        int planes = x.dims[0] * x.dims[1];
        int planeIn = n / planes;
        Ref y = Ref.zeros(x.dims[0], x.dims[1], oh, ow);
        for (int j = 0; j < planeIn; j++) {
            float[] unit = new float[planeIn];
            unit[j] = 1f;
            float[] response;
            try (Tensor u = Tensor.of(unit, 1, 1, x.dims[2], x.dims[3]);
                 Tensor r = ConvOps.interpolate(u, oh, ow, mode, align)) {
                response = r.toFloatArray();
            }
            for (int p = 0; p < planes; p++) {
                for (int i = 0; i < planeOut; i++) {
                    y.v[p * planeOut + i] += response[i] * x.v[p * planeIn + j];
                }
            }
        }
        return y;
    }

    @Test
    void pooling() {
        check.check("maxPool2d", t -> ConvOps.maxPool2d(t[0], 3, 2, 1), r -> RefNn.maxPool(r[0], 3, 2, 1), check.randn(2, 2, 7, 6));
        check.check("avgPool2d incl pad", t -> ConvOps.avgPool2d(t[0], 3, 2, 1, true), r -> RefNn.avgPool(r[0], 3, 2, 1, true),
                check.randn(2, 2, 7, 6));
        check.check("avgPool2d excl pad", t -> ConvOps.avgPool2d(t[0], 3, 2, 1, false), r -> RefNn.avgPool(r[0], 3, 2, 1, false),
                check.randn(1, 3, 5, 5));
    }

    @Test
    void losses() {
        int[] targets = {2, 0, -100, 4, 1};
        check.check("crossEntropy smoothing+ignore",
                t -> LossOps.crossEntropy(t[0], Tensor.ofInts(targets, 5), -100, 0.1f, null),
                r -> new Ref(new int[0], new double[] {RefNn.crossEntropy(r[0], targets, -100, 0.1)}),
                check.randn(5, 6));
        OpCheck.Input tgt = constant(check.uniform(0, 1, 3, 4));
        check.check("bceWithLogits posWeight",
                t -> LossOps.bceWithLogits(t[0], t[1], t[2]),
                r -> new Ref(new int[0], new double[] {RefNn.bceWithLogits(r[0], r[1], r[2])}),
                check.randn(3, 4), tgt, constant(check.uniform(0.5, 3, 4)));
    }
}
