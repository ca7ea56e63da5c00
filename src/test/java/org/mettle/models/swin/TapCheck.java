package org.mettle.models.swin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.mettle.autograd.NnOps;
import org.mettle.backend.Backends;
import org.mettle.tensor.Tensor;

/**
 * Test support for attention taps: the tap's keys and values hold the same (key, value) pairs as keys and values
 * recomputed in natural token order, in any order. Checked the way LCD uses them: random global queries attend to
 * both sets and must get the same result; per-head sums over tokens must agree too.
 */
public final class TapCheck {
    private TapCheck() {}

    /** Asserts tapKeys/tapValues [B, H, L, d] hold the pairs of refKeys/refValues [B, H, L, d]; returns the error. */
    public static double assertSamePairs(String what, Tensor tapKeys, Tensor tapValues, Tensor refKeys, Tensor refValues, long seed) {
        assertArrayEquals(refKeys.shape().dims(), tapKeys.shape().dims(), what + ": key shape");
        assertArrayEquals(refValues.shape().dims(), tapValues.shape().dims(), what + ": value shape");
        int b = refKeys.dim(0);
        int h = refKeys.dim(1);
        int d = refKeys.dim(3);
        double worst = 0;
        try (Tensor q = Tensor.randn(Backends.cpu(), new Random(seed), 3f, b, h, 7, d)) {
            // 3x larger queries than unit keys make the softmax peaky, so a wrong key-value pairing shows
            try (Tensor a = NnOps.attention(q, tapKeys, tapValues, null, null, 1f);
                 Tensor r = NnOps.attention(q, refKeys, refValues, null, null, 1f)) {
                worst = Math.max(worst, check(what + ": attention over the tap", a, r));
            }
        }
        for (Tensor[] pair : new Tensor[][] {{tapKeys, refKeys}, {tapValues, refValues}}) {
            try (Tensor s1 = pair[0].sum(false, 2); Tensor s2 = pair[1].sum(false, 2)) {
                worst = Math.max(worst, check(what + ": per-head token sums", s1, s2));
            }
        }
        return worst;
    }

    private static double check(String what, Tensor actual, Tensor expected) {
        double err = Golden.relativeError(actual.toFloatArray(), expected.toFloatArray());
        assertTrue(err <= 1e-5, what + ": relative error " + err);
        return err;
    }
}
