package org.mettle.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.tensor.DType;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Tensor;

/** The {@code weights_dtype} key: presets stay f32, bf16 builds BF16 backbone weight matrices that train, full refuses. */
class RunConfigBf16Test {
    @Test
    void keyRoundTripsAndIsValidated() {
        assertEquals("f32", RunConfig.tiny().weightsDtype);
        assertEquals("f32", RunConfig.paper().weightsDtype);
        RunConfig c = RunConfig.fromJson("{\"weights_dtype\": \"bf16\"}", "x.json").validate();
        assertEquals(DType.BF16, c.weightsDType());
        assertEquals("bf16", RunConfig.fromJson(c.toJson(), "copy").weightsDtype);
        RunConfig wrong = RunConfig.tiny();
        wrong.weightsDtype = "f16";
        assertTrue(assertThrows(IllegalArgumentException.class, wrong::validate).getMessage().contains("f32 or bf16"));
        RunConfig full = RunConfig.tiny();
        full.method = "full";
        full.weightsDtype = "bf16";
        assertTrue(assertThrows(IllegalArgumentException.class, full::validate).getMessage().contains("method full trains"));
    }

    @Test
    void bf16RunModelHasBf16BackboneMatricesAndTrainsItsOwnTensors() {
        Backend cpu = Backends.cpu();
        RunConfig c = TinyRuns.config("ave");
        c.weightsDtype = "bf16";
        c.validate();
        try (RunModel run = RunModel.build(c, cpu); Scope scope = Scope.open()) {
            long bf16 = run.visual().module().namedParameters().values().stream().filter(t -> t.dtype() == DType.BF16).count()
                    + run.audio().module().namedParameters().values().stream().filter(t -> t.dtype() == DType.BF16).count();
            assertTrue(bf16 > 0, "backbone weight matrices are BF16");
            assertEquals(DType.BF16, run.visual().module().namedParameters().get("layers.0.blocks.0.attn.qkv.weight").dtype());
            run.model().trainableTensors().forEach((name, t) -> assertEquals(DType.F32, t.dtype(), name + " trains in F32"));

            int rows = c.batch * c.segments;
            int side = run.frontEnd().frameSide();
            int[] seg = run.frontEnd().audioSegmentShape();
            Tensor frames = Tensor.randn(cpu, new Random(1), 1f, rows, 3, side, side);
            Tensor audio = Tensor.randn(cpu, new Random(2), 1f, rows, seg[0], seg[1]);
            int[] labels = new int[rows];
            for (int i = 0; i < rows; i++) {
                labels[i] = i % 3;
            }
            Tensor loss = run.model().loss(frames, audio, Tensor.ofInts(labels, rows), c.batch, c.segments);
            loss.backward();
            assertTrue(Float.isFinite(loss.item()), "finite loss");
            boolean anyGrad = run.model().trainableTensors().values().stream().anyMatch(t -> t.grad() != null);
            assertTrue(anyGrad, "gradients reach the trainable tensors");
        }
    }
}
