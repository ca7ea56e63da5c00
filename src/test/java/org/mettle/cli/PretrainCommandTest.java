package org.mettle.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The pretrain command on its own (Main registers it; see the lead's wiring): bad arguments fail clearly, --json. */
class PretrainCommandTest {
    @TempDir
    Path dir;

    private String lastErr = "";

    private int run(String... args) {
        CommandLine cl = new CommandLine(new PretrainCommand());
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

    @Test
    void badArgumentsFailWithAMessageAndWriteNothing() {
        Path out = dir.resolve("w.safetensors");
        String o = out.toString();
        assertEquals(1, run("--arch", "resnet50", "--steps", "2", "--out", o));
        assertTrue(lastErr.contains("resnet50") && lastErr.contains("swinv2_mini_window4_64"), lastErr);
        assertEquals(1, run("--arch", "htsat_test", "--steps", "0", "--out", o));
        assertTrue(lastErr.contains("--steps must be at least 1, got 0"), lastErr);
        assertEquals(1, run("--arch", "htsat_test", "--steps", "2", "--classes", "29", "--out", o));
        assertTrue(lastErr.contains("--classes must be between 1 and 28, got 29"), lastErr);
        assertEquals(1, run("--arch", "htsat_test", "--steps", "2", "--lr", "-1", "--out", o));
        assertTrue(lastErr.contains("--lr must be a positive finite number"), lastErr);
        assertEquals(1, run("--arch", "htsat_test", "--steps", "2", "--warmup", "5", "--out", o));
        assertTrue(lastErr.contains("--warmup must be between 0 and --steps (2), got 5"), lastErr);
        assertEquals(1, run("--arch", "htsat_test", "--steps", "1", "--batch", "2", "--val-examples", "2", "--out", dir.toString()));
        assertTrue(lastErr.contains("is a directory"), lastErr);
        assertNotEquals(0, run("--arch", "htsat_test", "--steps", "2"));
        assertTrue(lastErr.contains("--out"), lastErr);
        assertFalse(Files.exists(out));
    }

    @Test
    void jsonLastLineAndProbe() {
        Path out = dir.resolve("a.safetensors");
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream oldErr = System.err;
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        int code;
        try {
            code = run("--arch", "swinv2_test_window4_64", "--steps", "3", "--batch", "4", "--classes", "2", "--val-examples", "8",
                    "--probe-examples", "16", "--out", out.toString(), "--json");
        } finally {
            System.setOut(old);
            System.setErr(oldErr);
        }
        assertEquals(0, code, lastErr);
        String[] lines = buf.toString(StandardCharsets.UTF_8).trim().split("\n");
        String last = lines[lines.length - 1];
        assertTrue(last.matches("\\{\"arch\":\"swinv2_test_window4_64\",\"target\":\"class\",\"steps\":3,\"val_accuracy\":[0-9.]+,\"seconds\":[0-9.]+"
                + ",\"probe_accuracy\":[0-9.]+,\"random_init_probe_accuracy\":[0-9.]+}"), last);
        assertTrue(Files.exists(out));
    }
}
