package org.mettle.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.mettle.backend.Backends;
import org.mettle.backend.cuda.CudaRuntime;

/** bench lcd / mti / layernorm: backbone geometries, the CPU path end to end, and the one-line failure without CUDA. */
class BenchKernelsCommandTest {
    private static Object[] run(String... args) {
        return CliCapture.run(args);
    }

    private static String lastLine(String s) {
        String[] lines = s.strip().split("\n");
        return lines[lines.length - 1];
    }

    @Test
    void layersFollowTheBackboneConfigs() {
        int[] swinTokens = {2304, 576, 144, 36};
        int[] swinHeads = {6, 12, 24, 48};
        for (int s = 0; s < 4; s++) {
            BenchKernelsCommand.Layer l = BenchKernelsCommand.layer("swinv2-l", s);
            assertEquals(swinTokens[s], l.tokens(), l.describe());
            assertEquals(swinHeads[s], l.heads(), l.describe());
            assertEquals(32, l.headDim(), l.describe());
            assertEquals(192 << s, l.width(), l.describe());
        }
        BenchKernelsCommand.Layer h = BenchKernelsCommand.layer("htsat", 0);
        assertEquals(4096, h.tokens());
        assertEquals(4, h.heads());
        assertEquals(24, h.headDim());
        BenchKernelsCommand.Layer v = BenchKernelsCommand.layer("vit-b", 3);
        assertEquals(197, v.tokens());
        assertEquals(12, v.heads());
        assertEquals(64, v.headDim());
        assertEquals(768, v.width());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BenchKernelsCommand.layer("htsat", 4));
        assertTrue(e.getMessage().contains("stages 0..3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BenchKernelsCommand.layer("resnet", 0));
        assertTrue(e.getMessage().contains("swinv2-l, htsat, vit-b"), e.getMessage());
    }

    @Test
    void cpuRunsPrintOneJsonObjectLast() {
        Object[] lcd = run("bench", "lcd", "--device", "cpu", "--model", "vit-b", "--batch", "1", "--backward", "--iters", "1",
                "--warmup", "0", "--json");
        assertEquals(0, lcd[0], String.valueOf(lcd[2]));
        String json = lastLine((String) lcd[1]);
        assertTrue(json.startsWith("{\"bench\":\"lcd_fwd_bwd\",\"device\":\"cpu\""), json);
        assertTrue(json.contains("\"shape\":\"B1_H12_Nq4_Nk197_D64\""), json);
        assertTrue(json.endsWith("\"model\":\"vit_base_patch16_224\"}"), json);

        Object[] mti = run("bench", "mti", "--device", "cpu", "--model", "swinv2-l", "--stage", "3", "--batch", "1", "--iters", "1",
                "--warmup", "0", "--json");
        assertEquals(0, mti[0], String.valueOf(mti[2]));
        assertTrue(lastLine((String) mti[1]).contains("\"shape\":\"B1_H48_Nq36_Nk8_D32\""), (String) mti[1]);
        assertTrue(lastLine((String) mti[1]).endsWith("\"stage\":3}"), (String) mti[1]);

        Object[] ln = run("bench", "layernorm", "--device", "cpu", "--rows", "197", "--width", "768", "--iters", "1", "--warmup", "0", "--json");
        assertEquals(0, ln[0], String.valueOf(ln[2]));
        assertTrue(lastLine((String) ln[1]).contains("\"shape\":\"197x768\""), (String) ln[1]);
    }

    @Test
    void badOptionsSayWhatWasWrong() {
        Object[] r = run("bench", "lcd", "--device", "cpu", "--dtype", "bf16", "--iters", "1");
        assertEquals(1, r[0]);
        assertTrue(((String) r[2]).contains("--dtype bf16 needs --device cuda"), (String) r[2]);
        r = run("bench", "lcd", "--device", "cpu", "--path", "fast", "--iters", "1");
        assertEquals(1, r[0]);
        assertTrue(((String) r[2]).contains("expected auto, lcd or generic"), (String) r[2]);
    }

    @Test
    void cudaBenchmarksFailWithTheOneLineReasonWhenCudaIsUnusable() {
        for (String bench : new String[] {"lcd", "mti", "layernorm", "gemm", "attention"}) {
            if (CudaRuntime.isUsable()) {
                Object[] r = run("bench", bench, "--device", "cuda", "--iters", "1", "--warmup", "0", "--json");
                assertEquals(0, r[0], bench + ": " + r[2]);
                assertTrue(lastLine((String) r[1]).contains("\"device\":\"cuda\""), (String) r[1]);
                continue;
            }
            Object[] r = run("bench", bench, "--device", "cuda", "--json");
            assertEquals(1, r[0], bench);
            String err = ((String) r[2]).strip();
            assertFalse(err.contains("\n"), bench + ": the failure must be one line: " + err);
            assertTrue(err.startsWith("mettle: --device cuda: "), err);
            assertTrue(err.contains(Backends.cudaStatus().substring("not available: ".length())), err);
            assertTrue(err.contains("use --device cpu"), err);
            assertFalse(((String) r[1]).contains("{"), bench + ": no JSON on failure");
        }
    }
}
