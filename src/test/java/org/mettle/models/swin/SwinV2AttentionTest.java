package org.mettle.models.swin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.mettle.backend.Backends;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Tensor;

/** The logit-scale clamp (timm: exp(min(logit_scale, log 100))) in the frozen (cached) and trainable paths. */
class SwinV2AttentionTest {
    @Test
    void headScaleIsClampedAtOneHundredWithAZeroGradientAboveTheClamp() {
        WindowLayout layout = WindowLayout.timmV2(Backends.cpu(), 8, 8, 4, true);
        try (WindowAttentionV2 attn = new WindowAttentionV2(Backends.cpu(), new Random(1), 8, 2, layout, 0); Scope s = Scope.open()) {
            Tensor logit = attn.namedParameters().get("logit_scale");
            Backends.cpu().write(logit, new float[] {5.0f, 2.0f});
            float[] frozen = attn.headScale().toFloatArray();
            assertArrayEquals(new float[] {100f, (float) Math.exp(2.0)}, frozen, 1e-4f);
            attn.releaseCaches();
            logit.requiresGrad(true);
            Tensor trainable = attn.headScale();
            assertArrayEquals(frozen, trainable.toFloatArray(), 1e-4f);
            trainable.sum().backward();
            float[] grad = logit.grad().toFloatArray();
            assertEquals(0f, grad[0], 0f, "no gradient above the clamp");
            assertEquals(Math.exp(2.0), grad[1], 1e-5);
            logit.zeroGrad();
        } finally {
            layout.close();
        }
    }

    @Test
    void relativeCoordinatesFollowTimm() {
        // window 3: offsets -2..2 / 2 * 8 = -8, -4, 0, 4, 8 -> sign * log2(|v| + 1) / 3
        float[] t = WindowAttentionV2.relativeCoordsTable(3, 3, 0);
        double l9 = Math.log(9) / Math.log(2) / 3;
        double l5 = Math.log(5) / Math.log(2) / 3;
        assertEquals(-l9, t[0], 1e-6);
        assertEquals(-l9, t[1], 1e-6);
        assertEquals(-l9, t[2], 1e-6);
        assertEquals(-l5, t[3], 1e-6);
        assertEquals(0f, t[(2 * 5 + 2) * 2], 0f);
        // pretrained window 5: offsets divided by 4 instead of 2
        float[] p = WindowAttentionV2.relativeCoordsTable(3, 3, 5);
        assertEquals(-Math.log(5) / Math.log(2) / 3, p[0], 1e-6);
    }
}
