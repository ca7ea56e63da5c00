package org.mettle.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The synth command on its own (Main registers it; see the lead's wiring). */
class SynthCommandTest {
    @TempDir
    Path dir;

    private int run(String... args) {
        CommandLine cl = new CommandLine(new SynthCommand());
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        cl.setExecutionExceptionHandler((ex, cmd, parse) -> {
            cmd.getErr().println("mettle: " + ex.getMessage());
            return 1;
        });
        int code = cl.execute(args);
        lastErr = err.toString();
        return code;
    }

    private String lastErr = "";

    @Test
    void writesEachTaskAndReadsItBack() {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true));
        try {
            assertEquals(0, run("--task", "ave", "--videos", "5", "--seed", "3", "--out", dir.resolve("ave").toString()));
            assertEquals(0, run("--task", "avvp", "--videos", "5", "--out", dir.resolve("avvp").toString(), "--size", "48"));
            assertEquals(0, run("--task", "avs", "--videos", "3", "--out", dir.resolve("avs").toString(), "--subset", "ms3", "--classes", "5"));
        } finally {
            System.setOut(old);
        }
        String out = buf.toString();
        assertTrue(out.contains("wrote a synthetic AVE dataset of 5 videos"), out);
        assertTrue(out.contains("0 skipped"), out);
        assertTrue(Files.isRegularFile(dir.resolve("ave/Annotations.txt")));
        assertTrue(Files.isRegularFile(dir.resolve("avvp/AVVP_eval_audio.csv")));
        assertTrue(Files.isRegularFile(dir.resolve("avs/Multi-sources/ms3_meta_data.csv")));
        assertTrue(!Files.exists(dir.resolve("avs/Single-source")));
    }

    @Test
    void badArgumentsSayWhatIsWrong() {
        assertNotEquals(0, run("--task", "avx", "--out", dir.resolve("a").toString()));
        assertTrue(lastErr.contains("use ave, avvp or avs"), lastErr);
        assertNotEquals(0, run("--task", "ave", "--videos", "0", "--out", dir.resolve("b").toString()));
        assertTrue(lastErr.contains("--videos must be positive"), lastErr);
        assertNotEquals(0, run("--task", "ave", "--size", "64by64", "--out", dir.resolve("c").toString()));
        assertTrue(lastErr.contains("expected WxH"), lastErr);
    }
}
