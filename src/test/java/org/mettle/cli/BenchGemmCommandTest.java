package org.mettle.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** bench gemm: the CPU path still runs A x B, and --trans-b (a CUDA-only option) fails in one line on the CPU. */
class BenchGemmCommandTest {
    private static Object[] run(String... args) {
        return CliCapture.run(args);
    }

    @Test
    void transBNeedsCudaAndPlainGemmStillRunsOnTheCpu() {
        Object[] r = run("bench", "gemm", "--m", "8", "--n", "8", "--k", "8", "--trans-b", "--device", "cpu", "--iters", "1", "--warmup", "0");
        assertEquals(1, r[0], (String) r[2]);
        String err = ((String) r[2]).strip();
        assertTrue(err.contains("--trans-b needs --device cuda") && !err.contains("\n"), err);
        r = run("bench", "gemm", "--m", "8", "--n", "8", "--k", "8", "--device", "cpu", "--iters", "1", "--warmup", "0", "--json");
        assertEquals(0, r[0], (String) r[2]);
        assertTrue(((String) r[1]).contains("gemm 8x8x8 fp32 cpu"), (String) r[1]);
    }
}
