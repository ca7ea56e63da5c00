package org.mettle.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code compare --config tiny --steps 1}: the JSON line's shape and the numbers that do not depend on timing. */
class CompareCommandTest {
    private static final Pattern ENTRY = Pattern.compile(
            "\\{\"method\":\"([a-z-]+)\",\"peak_bytes\":(\\d+),\"step_ms\":([0-9.]+),\"trainable_params\":(\\d+),\"cpu_ms\":(-?[0-9.]+)}");

    private record Row(long peak, double ms, long params) {}

    private static String run(StringWriter err, String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        CommandLine cl = new CommandLine(new CompareCommand());
        cl.setErr(new PrintWriter(err));
        cl.setExecutionExceptionHandler((ex, cmd, parse) -> {
            cmd.getErr().println("mettle: " + ex.getMessage());
            return 1;
        });
        int code;
        try {
            System.setOut(new PrintStream(buffer, true, StandardCharsets.UTF_8));
            code = cl.execute(args);
        } finally {
            System.setOut(old);
        }
        return code + "\n" + buffer.toString(StandardCharsets.UTF_8);
    }

    @Test
    void tinyConfigPrintsEveryMethodAsJson() {
        StringWriter err = new StringWriter();
        String out = run(err, "--task", "ave", "--config", "tiny", "--steps", "1", "--device", "cpu", "--json");
        String[] lines = out.trim().split("\n");
        assertEquals("0", lines[0], "exit code; stderr: " + err);
        String last = lines[lines.length - 1].trim();
        assertTrue(last.startsWith("{\"config\":\"tiny\",\"methods\":[") && last.contains("],\"batch\":2,\"segments\":10,\"device\":\"")
                && last.endsWith("\"}"), last);
        assertTrue(!last.contains("device_peak_bytes"), "the driver's high-water mark is a cuda-only field: " + last);
        Map<String, Row> rows = new LinkedHashMap<>();
        Matcher m = ENTRY.matcher(last);
        while (m.find()) {
            rows.put(m.group(1), new Row(Long.parseLong(m.group(2)), Double.parseDouble(m.group(3)), Long.parseLong(m.group(4))));
        }
        assertEquals(List.of("mettle", "mettle-low-memory", "lavish", "linear", "full"), new ArrayList<>(rows.keySet()), last);
        for (Map.Entry<String, Row> e : rows.entrySet()) {
            assertTrue(e.getValue().peak() > 0 && e.getValue().ms() > 0 && e.getValue().params() > 0, e.getKey() + ": " + e.getValue());
        }
        assertEquals(rows.get("mettle").params(), rows.get("mettle-low-memory").params(), "same model, other step");
        assertTrue(rows.get("full").params() > rows.get("linear").params(), "full trains the backbones too");
        // measured ledger peaks, not times: backpropagating through the backbones keeps far more than LCD's graph
        assertTrue(rows.get("lavish").peak() > rows.get("mettle").peak(), "lavish " + rows.get("lavish") + " vs mettle " + rows.get("mettle"));
        assertTrue(rows.get("mettle-low-memory").peak() < rows.get("mettle").peak(), "two-pass mode keeps less");
    }

    @Test
    void batchAndSegmentsOverrideTheConfig() {
        StringWriter err = new StringWriter();
        String out = run(err, "--config", "tiny", "--batch", "1", "--segments", "2", "--steps", "1", "--warmup", "0", "--methods", "mettle", "--json");
        String[] lines = out.trim().split("\n");
        assertEquals("0", lines[0], "exit code; stderr: " + err);
        String last = lines[lines.length - 1];
        assertTrue(last.contains("],\"batch\":1,\"segments\":2,"), last);
        assertTrue(out.contains("batch 1 x 2 segments"), out);
        Matcher m = ENTRY.matcher(last);
        assertTrue(m.find() && m.group(1).equals("mettle") && !m.find(), "one method: " + last);
    }

    /** No GPU or driver here: one line that says why and what to do, exit code 1. */
    @Test
    void cudaWithoutAUsableGpuFailsWithTheReason() {
        org.junit.jupiter.api.Assumptions.assumeFalse(org.mettle.backend.cuda.CudaRuntime.isUsable(), "a usable GPU is present");
        StringWriter err = new StringWriter();
        String out = run(err, "--config", "tiny", "--steps", "1", "--methods", "mettle", "--device", "cuda", "--json");
        assertEquals("1", out.split("\n")[0], "exit code");
        String message = err.toString().trim();
        assertTrue(message.startsWith("mettle: --device cuda: CUDA ") && message.endsWith("use --device cpu") && !message.contains("\n"), message);
    }

    @Test
    void badOptionsAreExplained() {
        StringWriter err = new StringWriter();
        assertEquals("1", run(err, "--config", "huge").split("\n")[0]);
        assertTrue(err.toString().contains("--config huge: expected tiny or paper"), err.toString());
        err = new StringWriter();
        assertEquals("1", run(err, "--methods", "mettle,prompt").split("\n")[0]);
        assertTrue(err.toString().contains("unknown method 'prompt'"), err.toString());
        err = new StringWriter();
        assertEquals("1", run(err, "--task", "avvp").split("\n")[0]);
        assertTrue(err.toString().contains("AVE steps only"), err.toString());
        err = new StringWriter();
        assertEquals("1", run(err, "--batch", "0").split("\n")[0]);
        assertTrue(err.toString().contains("--batch and --segments must be at least 1"), err.toString());
    }
}
