package org.mettle.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.mettle.autograd.GradMode;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.nn.TransformerBlock;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Tensor;

/** The ledger's promises: frozen forwards do not grow with depth, saved bytes grow linearly, meta == cpu. */
class LedgerTest {
    private static final int DIM = 32;
    private static final int HEADS = 4;
    private static final int TOKENS = 10;
    private static final int BATCH = 2;

    /** Peaks of one run: activations, saved, total. */
    record Peaks(long activations, long saved, long total, long liveAfter) {}

    private static List<TransformerBlock> stack(Backend backend, int depth) {
        Random random = new Random(7);
        List<TransformerBlock> blocks = new ArrayList<>();
        for (int i = 0; i < depth; i++) {
            blocks.add(new TransformerBlock(backend, random, DIM, HEADS, 4f));
        }
        return blocks;
    }

    /** Runs the blocks, releasing each block's input as soon as its output exists (a streaming forward). */
    private static Peaks run(Backend backend, int depth, boolean withGrad) {
        MemoryLedger ledger = backend.ledger();
        long liveBefore = ledger.liveTotal();
        long activationsBefore = ledger.live(MemoryCategory.ACTIVATIONS);
        long savedBefore = ledger.live(MemoryCategory.SAVED);
        List<TransformerBlock> blocks = stack(backend, depth);
        ledger.resetPeaks();
        try (Scope scope = Scope.open()) {
            Tensor x = Tensor.randn(backend, new Random(1), 1f, BATCH, TOKENS, DIM).untrack();
            if (withGrad) {
                x.requiresGrad(true);
            }
            try (var mode = withGrad ? GradMode.enableGrad() : GradMode.noGrad()) {
                Tensor h = x;
                for (TransformerBlock b : blocks) {
                    Tensor next = b.forward(h).untrack();
                    if (h != x) {
                        h.close();
                    }
                    h = next;
                }
                // relative to what was live before: other tests in this JVM may hold tensors of their own
                Peaks p = new Peaks(ledger.peak(MemoryCategory.ACTIVATIONS) - activationsBefore,
                        ledger.peak(MemoryCategory.SAVED) - savedBefore, ledger.peakTotal() - liveBefore, 0);
                if (withGrad) {
                    h.sum().backward();
                }
                h.close();
                x.close();
                return p;
            }
        } finally {
            for (TransformerBlock b : blocks) {
                b.close();
            }
            assertEquals(liveBefore, ledger.liveTotal(), "every tensor of the run was released");
        }
    }

    @Test
    void frozenForwardPeakActivationsDoNotDependOnDepth() {
        Peaks shallow = run(Backends.cpu(), 4, false);
        Peaks deep = run(Backends.cpu(), 16, false);
        assertTrue(shallow.activations() > 0);
        assertEquals(shallow.activations(), deep.activations(), "peak activation bytes, 4 vs 16 frozen blocks");
        assertEquals(0, deep.saved(), "a frozen forward saves nothing for backward");
    }

    @Test
    void savedBytesGrowLinearlyWithDepthWhenGradientsFlow() {
        long s4 = run(Backends.cpu(), 4, true).saved();
        long s8 = run(Backends.cpu(), 8, true).saved();
        long s16 = run(Backends.cpu(), 16, true).saved();
        assertTrue(s4 > 0);
        assertEquals(s8 - s4, (s16 - s8) / 2, "saved bytes per block are constant");
        assertEquals(2 * s4, s8, "saved bytes are proportional to depth");
    }

    @Test
    void metaBackendReportsTheSamePeaksAsCpu() {
        for (boolean grad : new boolean[] {false, true}) {
            Peaks cpu = run(Backends.cpu(), 6, grad);
            Peaks meta = run(Backends.meta(), 6, grad);
            assertEquals(cpu, meta, "meta vs cpu peaks (grad=" + grad + ")");
        }
    }

    @Test
    void scopeReleasesEverythingNotKept() {
        Backend cpu = Backends.cpu();
        MemoryLedger ledger = cpu.ledger();
        long before = ledger.liveTotal();
        Tensor kept;
        try (Scope s = Scope.open()) {
            Tensor a = Tensor.ones(cpu, org.mettle.tensor.Shape.of(100));
            Tensor b = a.mul(3f).add(a);
            kept = s.keep(b.sum());
        }
        assertEquals(before + 4, ledger.liveTotal(), "only the kept scalar is live");
        assertEquals(400f, kept.item());
        kept.close();
        assertEquals(before, ledger.liveTotal());
    }
}
