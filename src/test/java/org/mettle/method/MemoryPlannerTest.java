package org.mettle.method;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.mettle.cli.MemoryCommand;
import org.mettle.memory.MemoryCategory;
import picocli.CommandLine;

/** The planner on tiny backbones: deterministic, ordered as the method promises, and the CLI's JSON line. */
class MemoryPlannerTest {
    private static final LcdConfig LCD = new LcdConfig(4, LayerSelection.all(), 8, 64);

    private static MemoryPlanner.Result plan(Task task, boolean inference, boolean lowMemory, int segments) {
        return MemoryPlanner.plan(new MemoryPlanner.Request(task, "mettle", TinyMettle.VISUAL, TinyMettle.AUDIO, 1, segments, inference,
                lowMemory, LCD));
    }

    @Test
    void peaksAreDeterministicAndOrdered() {
        for (Task task : Task.values()) {
            MemoryPlanner.Result train = plan(task, false, false, 4);
            MemoryPlanner.Result again = plan(task, false, false, 4);
            MemoryPlanner.Result low = plan(task, false, true, 4);
            MemoryPlanner.Result inference = plan(task, true, false, 4);
            assertEquals(train.peakBytes(), again.peakBytes(), task + ": the same plan twice gives the same bytes");
            assertTrue(inference.peakBytes() < low.peakBytes(), task + ": inference " + inference.peakBytes() + " < low-memory " + low.peakBytes());
            assertTrue(low.peakBytes() < train.peakBytes(), task + ": low-memory " + low.peakBytes() + " < plain " + train.peakBytes());
            assertEquals(0L, inference.peakByCategory().get(MemoryCategory.SAVED), task + ": inference saves nothing");
            assertEquals(0L, inference.peakByCategory().get(MemoryCategory.GRADIENTS), task + ": inference has no gradients");
            // AdamW keeps two moments per trainable parameter
            assertEquals(2 * 4L * train.trainableParams(), train.peakByCategory().get(MemoryCategory.OPTIMIZER), task + ": optimizer state");
            assertTrue(train.peakByCategory().get(MemoryCategory.SAVED) > 0, task + ": LCD saves its keys and values");
        }
    }

    /** Backpropagating through the backbone (the LAVisH-style lower bound) must cost more than Mettle's LCD graph. */
    @Test
    void backpropBoundCostsMoreThanMettle() {
        for (Task task : Task.values()) {
            MemoryPlanner.Result mettle = plan(task, false, false, 4);
            MemoryPlanner.Result bound = MemoryPlanner.plan(new MemoryPlanner.Request(task, MemoryPlanner.BACKPROP_BOUND, TinyMettle.VISUAL,
                    TinyMettle.AUDIO, 1, 4, false, false, LCD));
            long mettleSaved = mettle.peakByCategory().get(MemoryCategory.SAVED);
            long boundSaved = bound.peakByCategory().get(MemoryCategory.SAVED);
            assertTrue(boundSaved > 2 * mettleSaved, task + ": saved through the backbone " + boundSaved + " vs LCD " + mettleSaved);
            assertTrue(bound.peakBytes() > mettle.peakBytes() - mettle.peakByCategory().get(MemoryCategory.OPTIMIZER),
                    task + ": peaks " + bound.peakBytes() + " vs " + mettle.peakBytes());
        }
    }

    @Test
    void savedBytesGrowWithSegmentsNotParameters() {
        MemoryPlanner.Result two = plan(Task.AVE, false, false, 2);
        MemoryPlanner.Result four = plan(Task.AVE, false, false, 4);
        assertEquals(two.trainableParams(), four.trainableParams());
        assertEquals(two.frozenParams(), four.frozenParams());
        assertTrue(four.peakByCategory().get(MemoryCategory.SAVED) > two.peakByCategory().get(MemoryCategory.SAVED));
    }

    @Test
    void commandPrintsOneJsonLine() {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        PrintStream old = System.out;
        int code;
        try {
            System.setOut(new PrintStream(buffer, true, StandardCharsets.UTF_8));
            code = new CommandLine(new MemoryCommand()).execute("--task", "avvp", "--method", "mettle", "--visual", TinyMettle.VISUAL,
                    "--audio", TinyMettle.AUDIO, "--batch", "1", "--segments", "3", "--common-width", "64", "--json");
        } finally {
            System.setOut(old);
        }
        assertEquals(0, code);
        String[] lines = buffer.toString(StandardCharsets.UTF_8).trim().split("\n");
        String last = lines[lines.length - 1].trim();
        assertTrue(last.startsWith("{\"task\":\"avvp\"") && last.endsWith("}"), "last line is the JSON object: " + last);
        assertTrue(last.contains("\"mode\":\"train\"") && last.contains("\"peak_by_category\":{\"weights\":"), last);
        Matcher peak = Pattern.compile("\"peak_bytes\":(\\d+)").matcher(last);
        assertTrue(peak.find() && Long.parseLong(peak.group(1)) > 0, last);
    }

    @Test
    void lavishSavesMoreThanTheBackpropBoundAndMoreThanMettle() {
        MemoryPlanner.Result mettle = plan(Task.AVE, false, false, 4);
        MemoryPlanner.Result bound = MemoryPlanner.plan(new MemoryPlanner.Request(Task.AVE, MemoryPlanner.BACKPROP_BOUND, TinyMettle.VISUAL,
                TinyMettle.AUDIO, 1, 4, false, false, LCD));
        MemoryPlanner.Result lavish = MemoryPlanner.plan(new MemoryPlanner.Request(Task.AVE, MemoryPlanner.LAVISH, TinyMettle.VISUAL,
                TinyMettle.AUDIO, 1, 4, false, false, LCD));
        MemoryPlanner.Result lavishInference = MemoryPlanner.plan(new MemoryPlanner.Request(Task.AVE, MemoryPlanner.LAVISH, TinyMettle.VISUAL,
                TinyMettle.AUDIO, 1, 4, true, false, LCD));
        long lavishSaved = lavish.peakByCategory().get(MemoryCategory.SAVED);
        // the bound is a lower bound: LAVisH keeps the backbones' activations and its adapters' on top
        assertTrue(lavishSaved > bound.peakByCategory().get(MemoryCategory.SAVED), "lavish " + lavishSaved + " vs bound");
        assertTrue(lavishSaved > 2 * mettle.peakByCategory().get(MemoryCategory.SAVED), "lavish " + lavishSaved + " vs mettle");
        assertEquals(2 * 4L * lavish.trainableParams(), lavish.peakByCategory().get(MemoryCategory.OPTIMIZER), "AdamW state");
        assertEquals(0L, lavishInference.peakByCategory().get(MemoryCategory.SAVED), "inference saves nothing");
        assertTrue(lavishInference.peakBytes() < lavish.peakBytes());
    }

    @Test
    void unknownBackboneAndUnknownMethodsAreClearErrors() {
        IllegalArgumentException arch = assertThrows(IllegalArgumentException.class, () -> MemoryPlanner.plan(new MemoryPlanner.Request(
                Task.AVE, "mettle", "swinv2_nope", TinyMettle.AUDIO, 1, 1, false, false, LCD)));
        assertTrue(arch.getMessage().contains("swinv2_nope") && arch.getMessage().contains("known"), arch.getMessage());
        IllegalArgumentException method = assertThrows(IllegalArgumentException.class, () -> new MemoryPlanner.Request(
                Task.AVE, "prompt-tuning", TinyMettle.VISUAL, TinyMettle.AUDIO, 1, 1, false, false, LCD));
        assertTrue(method.getMessage().contains("prompt-tuning") && method.getMessage().contains("lavish"), method.getMessage());
    }
}
