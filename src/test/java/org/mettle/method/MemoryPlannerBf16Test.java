package org.mettle.method;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.mettle.backend.Backends;
import org.mettle.memory.MemoryCategory;
import org.mettle.models.Backbone;
import org.mettle.nn.FrozenWeights;
import org.mettle.tensor.DType;

/**
 * {@code --weights-dtype bf16} on tiny backbones: for every method with frozen backbones the plan's WEIGHTS peak drops
 * by exactly half the backbones' Linear weight bytes and nothing else changes; {@code full} refuses it.
 */
class MemoryPlannerBf16Test {
    private static final LcdConfig LCD = new LcdConfig(4, LayerSelection.all(), 8, 64);

    private static MemoryPlanner.Result plan(String method, boolean inference, boolean lowMemory, DType weights) {
        return MemoryPlanner.plan(new MemoryPlanner.Request(Task.AVE, method, TinyMettle.VISUAL, TinyMettle.AUDIO, 1, 3, inference,
                lowMemory, LCD, weights));
    }

    /** Bytes that BF16 storage saves on both tiny backbones (from F32 backbones converted in place). */
    private static long savedBytes() {
        try (Backbone v = MemoryPlanner.visualBackbone(TinyMettle.VISUAL, Backends.meta());
             Backbone a = MemoryPlanner.audioBackbone(TinyMettle.AUDIO, Backends.meta())) {
            return FrozenWeights.toBf16(v.module()).bytesSaved() + FrozenWeights.toBf16(a.module()).bytesSaved();
        }
    }

    @Test
    void bf16HalvesTheBackboneWeightMatricesOfEveryFrozenBackboneMethod() {
        long saved = savedBytes();
        assertTrue(saved > 0);
        String[][] cases = {{"mettle", ""}, {"mettle", "low"}, {"mettle", "inference"}, {MemoryPlanner.LAVISH, ""},
            {"linear", ""}, {MemoryPlanner.BACKPROP_BOUND, ""}};
        for (String[] c : cases) {
            boolean low = c[1].equals("low");
            boolean inference = c[1].equals("inference");
            MemoryPlanner.Result f32 = plan(c[0], inference, low, DType.F32);
            MemoryPlanner.Result bf16 = plan(c[0], inference, low, DType.BF16);
            String what = c[0] + " " + c[1];
            assertEquals(saved, f32.peakByCategory().get(MemoryCategory.WEIGHTS) - bf16.peakByCategory().get(MemoryCategory.WEIGHTS),
                    what + ": WEIGHTS peak drops by the converted bytes (no F32 transient)");
            for (MemoryCategory cat : MemoryCategory.values()) {
                if (cat != MemoryCategory.WEIGHTS) {
                    assertEquals(f32.peakByCategory().get(cat), bf16.peakByCategory().get(cat), what + ": " + cat + " unchanged");
                }
            }
            assertEquals(saved, f32.peakBytes() - bf16.peakBytes(), what + ": the total peak drops by the same bytes");
            assertTrue(bf16.toJson().contains("\"weights_dtype\":\"bf16\""), bf16.toJson());
        }
    }

    @Test
    void cliOptionReachesThePlan() {
        java.io.ByteArrayOutputStream buffer = new java.io.ByteArrayOutputStream();
        java.io.PrintStream old = System.out;
        int code;
        try {
            System.setOut(new java.io.PrintStream(buffer, true, java.nio.charset.StandardCharsets.UTF_8));
            code = new picocli.CommandLine(new org.mettle.cli.MemoryCommand()).execute("--method", "mettle", "--visual", TinyMettle.VISUAL,
                    "--audio", TinyMettle.AUDIO, "--segments", "3", "--common-width", "64", "--weights-dtype", "bf16", "--json");
        } finally {
            System.setOut(old);
        }
        assertEquals(0, code);
        String out = buffer.toString(java.nio.charset.StandardCharsets.UTF_8).trim();
        assertTrue(out.endsWith("}") && out.contains("\"weights_dtype\":\"bf16\""), out);
    }

    @Test
    void fullFineTuningRefusesBf16() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> plan("full", false, false, DType.BF16));
        assertTrue(e.getMessage().contains("--method full trains"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> plan("mettle", false, false, DType.F16));
    }
}
