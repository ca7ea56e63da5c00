package org.mettle.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** bench gemm: the CPU path still runs A x B, and --trans-b (a CUDA-only option) fails in one line on the CPU. */
class BenchGemmCommandTest {
    /** Runs the CLI, returning {exit code, stdout, stderr}. */
    private static Object[] run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int rc = Main.run(args);
            return new Object[] {rc, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
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
