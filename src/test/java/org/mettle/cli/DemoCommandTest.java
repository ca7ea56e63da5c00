package org.mettle.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo end to end at a toy size with the shipped tiny backbones: table, JSON and kept runs. */
class DemoCommandTest {
    @TempDir
    Path tmp;

    @Test
    @SuppressWarnings("unchecked")
    void comparesMethodsOnOneSyntheticSet() throws Exception {
        Path out = tmp.resolve("demo");
        TrainCommandsTest.Outcome o = TrainCommandsTest.execute(new DemoCommand(), "--methods", "mettle,linear", "--videos", "10", "--held-out", "2", "--epochs", "1",
                "--out", out.toString(), "--json");
        assertEquals(0, o.code(), o.error());
        assertTrue(o.out().contains("method") && o.out().contains("test acc"), o.out());
        List<Object> methods = (List<Object>) o.lastJson().get("methods");
        assertEquals(2, methods.size());
        for (int i = 0; i < 2; i++) {
            Map<String, Object> m = (Map<String, Object>) methods.get(i);
            assertEquals(List.of("mettle", "linear").get(i), m.get("method"));
            double acc = ((Number) m.get("accuracy")).doubleValue();
            assertTrue(acc >= 0 && acc <= 1, "accuracy " + acc);
            assertTrue(((Number) m.get("peak_bytes")).longValue() > 0);
            assertTrue(((Number) m.get("step_ms")).doubleValue() > 0);
            assertTrue(((Number) m.get("trainable_params")).longValue() > 0);
        }
        // mettle trains meta-tokens, LCD layers and the head: more than the linear probe's projections and head
        assertTrue(((Number) ((Map<String, Object>) methods.get(0)).get("trainable_params")).longValue()
                > ((Number) ((Map<String, Object>) methods.get(1)).get("trainable_params")).longValue());
        // one data set shared by both runs, each run with its checkpoints
        assertTrue(Files.isDirectory(out.resolve("data")));
        assertTrue(Files.isRegularFile(out.resolve("run-mettle").resolve("best.safetensors")));
        assertTrue(Files.isRegularFile(out.resolve("run-linear").resolve("best.safetensors")));
        assertFalse(Files.exists(out.resolve("run-linear").resolve("data")), "the linear run must reuse the demo's data");
    }

    @Test
    @SuppressWarnings("unchecked")
    void severalSeedsReportMeanAndSpread() {
        Path out = tmp.resolve("seeds");
        TrainCommandsTest.Outcome o = TrainCommandsTest.execute(new DemoCommand(), "--methods", "linear", "--videos", "10", "--held-out", "2",
                "--epochs", "1", "--seeds", "3,4", "--out", out.toString(), "--json");
        assertEquals(0, o.code(), o.error());
        assertTrue(o.out().contains("seed 3:") && o.out().contains("seed 4:") && o.out().contains("mean +- standard deviation"), o.out());
        assertEquals(List.of(3L, 4L), o.lastJson().get("seeds"));
        Map<String, Object> linear = (Map<String, Object>) ((List<Object>) o.lastJson().get("methods")).get(0);
        List<Object> accs = (List<Object>) linear.get("accuracies");
        assertEquals(2, accs.size());
        double a = ((Number) accs.get(0)).doubleValue();
        double b = ((Number) accs.get(1)).doubleValue();
        assertEquals((a + b) / 2, ((Number) linear.get("accuracy")).doubleValue(), 1e-12);
        assertEquals(Math.abs(a - b) / Math.sqrt(2), ((Number) linear.get("accuracy_std")).doubleValue(), 1e-12);
        assertTrue(Files.isDirectory(out.resolve("seed-3").resolve("data")) && Files.isDirectory(out.resolve("seed-4").resolve("run-linear")));

        TrainCommandsTest.Outcome twice = TrainCommandsTest.execute(new DemoCommand(), "--seeds", "1,1", "--out", tmp.resolve("y").toString());
        assertEquals(1, twice.code());
        assertTrue(twice.error().contains("repeats a seed"), twice.error());
    }

    @Test
    void rejectsUnknownMethods() {
        TrainCommandsTest.Outcome o = TrainCommandsTest.execute(new DemoCommand(), "--methods", "mettle,adapterz", "--out", tmp.resolve("x").toString());
        assertEquals(1, o.code());
        assertTrue(o.error().contains("adapterz") && o.error().contains("lavish"), o.error());
    }
}
