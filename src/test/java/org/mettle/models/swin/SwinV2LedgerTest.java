package org.mettle.models.swin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.mettle.autograd.GradMode;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.memory.MemoryCategory;
import org.mettle.memory.MemoryLedger;
import org.mettle.models.LayerConsumer;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;

/**
 * On the meta backend, a no-grad forward of swinv2_large_window12_192 at batch 1 has a peak activation memory that does
 * not depend on depth: the real depths 2/2/18/2 and 2/2/6/2 (same widths) peak at exactly the same bytes.
 */
class SwinV2LedgerTest {
    /** Peak bytes above the live bytes before the forward: activations, workspace, all categories. */
    record Peak(long activations, long workspace, long total) {}

    static Peak measure(SwinV2Config config, int batch) {
        Backend meta = Backends.meta();
        MemoryLedger ledger = meta.ledger();
        try (SwinTransformerV2 model = new SwinTransformerV2(config, meta, 0); var g = GradMode.noGrad();
             Tensor input = Tensor.empty(meta, Shape.of(model.inputShape(batch))).untrack()) {
            // first forward builds the cached constants (position biases, masks, gather orders: WEIGHTS)
            model.forward(input, LayerConsumer.NONE).close();
            long liveActivations = ledger.live(MemoryCategory.ACTIVATIONS);
            long liveWorkspace = ledger.live(MemoryCategory.WORKSPACE);
            long liveTotal = ledger.liveTotal();
            ledger.resetPeaks();
            Tensor out = model.forward(input, LayerConsumer.NONE);
            Peak p = new Peak(ledger.peak(MemoryCategory.ACTIVATIONS) - liveActivations,
                    ledger.peak(MemoryCategory.WORKSPACE) - liveWorkspace, ledger.peakTotal() - liveTotal);
            out.close();
            assertEquals(liveActivations, ledger.live(MemoryCategory.ACTIVATIONS), "every activation of the forward was released");
            return p;
        }
    }

    @Test
    void aCallersScopeReceivesOnlyTheOutput() {
        try (SwinTransformerV2 model = (SwinTransformerV2) SwinModels.create("swinv2_test_window4_64", Backends.meta(), 0);
             Tensor input = Tensor.empty(Backends.meta(), Shape.of(model.inputShape(2))).untrack();
             org.mettle.tensor.Scope scope = org.mettle.tensor.Scope.open(); var g = GradMode.noGrad()) {
            model.forward(input, LayerConsumer.NONE);
            assertEquals(1, scope.size(), "intermediates are released inside the forward, not left to the caller's scope");
        }
    }

    @Test
    void peakActivationMemoryDoesNotDependOnDepth() {
        SwinV2Config real = SwinV2Config.largeWindow12At192();
        Peak deep = measure(real, 1);
        Peak shallow = measure(real.withDepths("swinv2_large_window12_192_depth2262", 2, 2, 6, 2), 1);
        System.out.printf("swinv2_large_window12_192, batch 1, no grad, meta backend: peak activations %d bytes (%s), "
                        + "workspace %d bytes, all categories above the weights %d bytes (%s); depths 2/2/6/2: %d / %d / %d bytes%n",
                deep.activations(), MemoryLedger.bytes(deep.activations()), deep.workspace(), deep.total(), MemoryLedger.bytes(deep.total()),
                shallow.activations(), shallow.workspace(), shallow.total());
        assertEquals(shallow, deep, "peak forward memory must not grow with depth");
        assertTrue(deep.activations() > 0);
    }
}
