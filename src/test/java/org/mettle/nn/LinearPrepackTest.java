package org.mettle.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.mettle.autograd.GradMode;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.memory.MemoryCategory;
import org.mettle.memory.MemoryLedger;
import org.mettle.tensor.Device;
import org.mettle.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Linear with its frozen weight packed once for the CPU GEMM: same results, used only where it is safe. */
class LinearPrepackTest {
    private final Backend cpu = Backends.cpu();

    @Test
    void packedForwardGivesTheSameResultsAndCountsItsCopy() {
        try (Linear layer = new Linear(cpu, new Random(1), 96, 200, true)) {
            layer.trainable(false);
            MemoryLedger ledger = MemoryLedger.of(Device.CPU);
            long weightsBefore = ledger.live(MemoryCategory.WEIGHTS);
            try (Tensor x = Tensor.randn(cpu, new Random(2), 1f, 3, 7, 96).untrack(); var noGrad = GradMode.noGrad()) {
                float[] plain;
                try (Tensor y = layer.forward(x)) {
                    plain = y.toFloatArray();
                }
                assertTrue(layer.prepack());
                assertTrue(ledger.live(MemoryCategory.WEIGHTS) - weightsBefore >= 200L * 96 * 4, "the packed copy is in the ledger");
                try (Tensor y = layer.forward(x)) {
                    assertArrayEquals(new int[] {3, 7, 200}, y.shape().dims());
                    float[] packed = y.toFloatArray();
                    for (int i = 0; i < plain.length; i++) {
                        assertEquals(plain[i], packed[i], 1e-5f * Math.max(1f, Math.abs(plain[i])), "element " + i);
                    }
                }
            }
            layer.dropPrepacked();
            assertEquals(weightsBefore, ledger.live(MemoryCategory.WEIGHTS), "dropping frees the copy");
        }
    }

    @Test
    void gradientsAndTrainableWeightsTakeTheOrdinaryPath() {
        try (Linear layer = new Linear(cpu, new Random(3), 16, 8, true)) {
            layer.trainable(true);
            assertFalse(layer.prepack(), "a trainable weight is not packed");
            layer.trainable(false);
            assertTrue(layer.prepack());
            try (Tensor x = Tensor.randn(cpu, new Random(4), 1f, 5, 16).untrack()) {
                x.requiresGrad(true);
                try (Tensor y = layer.forward(x)) {
                    assertNotNull(y.gradFn(), "an input that needs a gradient records the linear node");
                }
            }
            layer.trainable(true);
            try (Tensor x = Tensor.randn(cpu, new Random(5), 1f, 5, 16).untrack(); Tensor y = layer.forward(x)) {
                assertFalse(layer.isPrepacked(), "unfreezing drops the snapshot before it can go stale");
                assertNotNull(y);
            }
        }
    }

    @Test
    void moduleTreePacksEveryFrozenLinearAndCloseFreesThem() {
        MemoryLedger ledger = MemoryLedger.of(Device.CPU);
        long before = ledger.live(MemoryCategory.WEIGHTS);
        Mlp mlp = new Mlp(cpu, new Random(6), 32, 64);
        mlp.trainable(false);
        assertEquals(2, mlp.prepackLinears());
        mlp.close();
        assertEquals(before, ledger.live(MemoryCategory.WEIGHTS), "weights and packed copies all freed");
    }
}
