package org.mettle.autograd;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.mettle.backend.cpu.CpuPointwise;
import org.mettle.tensor.DType;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Tensor;

/**
 * linear and matMul with a frozen BF16 weight: forward and input gradient against the double reference on the
 * BF16-rounded weight values (OpCheck: finite differences for the gradient), and a clear error for a BF16 tensor
 * that requires grad.
 */
class Bf16WeightOpsTest {
    private final OpCheck check = new OpCheck(21);

    /** A constant input whose values are exactly representable in BF16, so the reference sees what the GEMM reads. */
    private OpCheck.Input bf16Rounded(int... dims) {
        OpCheck.Input in = check.randn(dims);
        double[] v = in.value().v;
        for (int i = 0; i < v.length; i++) {
            v[i] = CpuPointwise.fromBf16(CpuPointwise.toBf16((float) v[i]));
        }
        return OpCheck.constant(in);
    }

    @Test
    void linearForwardAndInputGradient() {
        check.check("linear, BF16 weight", t -> LinalgOps.linear(t[0], t[1].toType(DType.BF16), t[2]),
                r -> Ref.linear(r[0], r[1], r[2]), check.randn(2, 5, 7), bf16Rounded(6, 7), check.randn(6));
        check.check("linear, BF16 weight, one row, no bias", t -> LinalgOps.linear(t[0], t[1].toType(DType.BF16), null),
                r -> Ref.linear(r[0], r[1], null), check.randn(1, 33), bf16Rounded(17, 33));
    }

    @Test
    void matMulWithBf16RightOperand() {
        check.check("matMul, BF16 rhs", t -> t[0].matMul(t[1].toType(DType.BF16)), r -> Ref.matMul(r[0], r[1]),
                check.randn(2, 3, 5, 7), bf16Rounded(7, 4));
        check.check("matMul batched, BF16 rhs", t -> t[0].matMul(t[1].toType(DType.BF16)), r -> Ref.matMul(r[0], r[1]),
                check.randn(2, 5, 7), bf16Rounded(2, 7, 3));
    }

    @Test
    void bf16TensorThatRequiresGradIsRefused() {
        try (Scope scope = Scope.open()) {
            Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
            Tensor w = Tensor.of(new float[] {1, 0, 0, 0, 1, 0}, 2, 3).toType(DType.BF16).named("proj.weight").requiresGrad(true);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LinalgOps.linear(x, w, null));
            assertTrue(e.getMessage().contains("'proj.weight'") && e.getMessage().contains("frozen weights only"), e.getMessage());
            Tensor wt = Tensor.of(new float[] {1, 0, 0, 1, 0, 0}, 3, 2).toType(DType.BF16).requiresGrad(true);
            IllegalArgumentException m = assertThrows(IllegalArgumentException.class, () -> x.matMul(wt));
            assertTrue(m.getMessage().contains("requires grad"), m.getMessage());
            IllegalArgumentException left = assertThrows(IllegalArgumentException.class,
                    () -> LinalgOps.linear(x.toType(DType.BF16), w.toType(DType.F32), null));
            assertTrue(left.getMessage().contains("must be F32"), left.getMessage());
        }
    }
}
