package org.mettle.backend.cpu;

import org.mettle.backend.AttentionLayout;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Finite-difference check of the attention backward, and the argument errors users can meet. */
class CpuAttentionGradCheckTest {
    private static final int B = 2, H = 2, NQ = 3, NK = 5, D = 3;
    private static final float SCALE = 0.7f;

    private final SplittableRandom rnd = new SplittableRandom(5);
    private final AttentionLayout qLayout = AttentionLayout.contiguous(H, NQ, D);
    private final AttentionLayout kvLayout = AttentionLayout.contiguous(H, NK, D);
    private final float[] q = random(B * H * NQ * D);
    private final float[] k = random(B * H * NK * D);
    private final float[] v = random(B * H * NK * D);
    /** Bias shared by both batch entries, one per head; a constant -100 mask on one key of row 0. */
    private final float[] bias = random(H * NQ * NK);
    private final float[] mask = new float[NQ * NK];
    private final float[] weights = random(B * H * NQ * D);

    private float[] random(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return a;
    }

    /** loss = sum(o * w), accumulated in double. */
    private double loss(AttentionKernels kernels) {
        float[] o = new float[B * H * NQ * D];
        float[] lse = new float[B * H * NQ];
        CpuAttention.forward(kernels, 0, 0, B, H, NQ, NK, D, SCALE, q, qLayout, k, kvLayout, v, kvLayout,
                bias, 1, H, mask, 1, 1, o, qLayout, lse);
        double sum = 0;
        for (int i = 0; i < o.length; i++) {
            sum += (double) o[i] * weights[i];
        }
        return sum;
    }

    /** Central difference of the loss with respect to x[i], with the step actually representable in float. */
    private double numericGrad(AttentionKernels kernels, float[] x, int i) {
        float saved = x[i];
        float up = saved + 5e-3f;
        float down = saved - 5e-3f;
        x[i] = up;
        double lossUp = loss(kernels);
        x[i] = down;
        double lossDown = loss(kernels);
        x[i] = saved;
        return (lossUp - lossDown) / ((double) up - down);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"scalar", "vector"})
    void backwardMatchesFiniteDifferences(String path) {
        mask[2] = -100f;
        AttentionKernels kernels = CpuAttentionTest.kernels(path);
        float[] o = new float[B * H * NQ * D];
        float[] lse = new float[B * H * NQ];
        CpuAttention.forward(kernels, 0, 0, B, H, NQ, NK, D, SCALE, q, qLayout, k, kvLayout, v, kvLayout,
                bias, 1, H, mask, 1, 1, o, qLayout, lse);
        float[] dq = new float[q.length];
        float[] dk = new float[k.length];
        float[] dv = new float[v.length];
        float[] dBias = new float[bias.length];
        for (CpuAttention.BackwardSchedule schedule : CpuAttention.BackwardSchedule.values()) {
            Arrays.fill(dBias, 0f);
            CpuAttention.backward(kernels, schedule, 2, 2, B, H, NQ, NK, D, SCALE, q, qLayout, k, kvLayout, v,
                    kvLayout, bias, 1, H, mask, 1, 1, o, qLayout, lse, weights, qLayout, dq, qLayout, dk, kvLayout,
                    dv, kvLayout, dBias);
            compare("dq " + schedule, kernels, q, dq);
            compare("dk " + schedule, kernels, k, dk);
            compare("dv " + schedule, kernels, v, dv);
            compare("dBias " + schedule, kernels, bias, dBias);
        }
    }

    private void compare(String what, AttentionKernels kernels, float[] x, float[] analytic) {
        double largest = 0;
        for (float g : analytic) {
            largest = Math.max(largest, Math.abs(g));
        }
        assertTrue(largest > 1e-3, what + ": gradient is (nearly) zero everywhere, the check would be vacuous");
        for (int i = 0; i < x.length; i++) {
            double numeric = numericGrad(kernels, x, i);
            if (Math.abs(numeric - analytic[i]) > 2e-3 * Math.max(1, largest)) {
                fail(what + "[" + i + "]: finite difference " + numeric + " vs backward " + analytic[i]);
            }
        }
    }

    @Test
    void argumentErrorsNameTheOperandAndTheExpectation() {
        float[] o = new float[B * H * NQ * D];
        float[] lse = new float[B * H * NQ];
        IllegalArgumentException shortK = assertThrows(IllegalArgumentException.class, () ->
                CpuAttention.forward(B, H, NQ, NK, D, SCALE, q, qLayout, Arrays.copyOf(k, k.length - 1), kvLayout,
                        v, kvLayout, null, 1, 1, null, 1, 1, o, qLayout, lse));
        assertTrue(shortK.getMessage().contains("attention k") && shortK.getMessage().contains("reaches index"),
                shortK.getMessage());

        IllegalArgumentException badBiasBatch = assertThrows(IllegalArgumentException.class, () ->
                CpuAttention.forward(2 * B, H, NQ, NK, D, SCALE, new float[2 * q.length], qLayout,
                        new float[2 * k.length], kvLayout, new float[2 * v.length], kvLayout,
                        new float[3 * H * NQ * NK], 3, H, null, 1, 1, new float[2 * o.length], qLayout,
                        new float[2 * lse.length]));
        assertTrue(badBiasBatch.getMessage().contains("bias") && badBiasBatch.getMessage().contains("divide B=4"),
                badBiasBatch.getMessage());

        IllegalArgumentException badMaskHeads = assertThrows(IllegalArgumentException.class, () ->
                CpuAttention.forward(B, H, NQ, NK, D, SCALE, q, qLayout, k, kvLayout, v, kvLayout,
                        null, 1, 1, new float[3 * NQ * NK], 1, 3, o, qLayout, lse));
        assertTrue(badMaskHeads.getMessage().contains("mask") && badMaskHeads.getMessage().contains("H=2"),
                badMaskHeads.getMessage());

        IllegalArgumentException shortLse = assertThrows(IllegalArgumentException.class, () ->
                CpuAttention.forward(B, H, NQ, NK, D, SCALE, q, qLayout, k, kvLayout, v, kvLayout,
                        null, 1, 1, null, 1, 1, o, qLayout, new float[2]));
        assertTrue(shortLse.getMessage().contains("lse"), shortLse.getMessage());

        IllegalArgumentException noDq = assertThrows(IllegalArgumentException.class, () ->
                CpuAttention.backwardQuery(B, H, NQ, NK, D, SCALE, q, qLayout, k, kvLayout, v, kvLayout,
                        null, 1, 1, null, 1, 1, o, qLayout, lse, o, qLayout, null, qLayout));
        assertTrue(noDq.getMessage().contains("dq"), noDq.getMessage());

        IllegalArgumentException zeroHeads = assertThrows(IllegalArgumentException.class, () ->
                CpuAttention.forward(B, 0, NQ, NK, D, SCALE, q, qLayout, k, kvLayout, v, kvLayout,
                        null, 1, 1, null, 1, 1, o, qLayout, lse));
        assertTrue(zeroHeads.getMessage().contains("H=0"), zeroHeads.getMessage());
    }
}
