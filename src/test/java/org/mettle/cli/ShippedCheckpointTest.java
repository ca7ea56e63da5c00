package org.mettle.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped files in weights/ stay consistent: the Mettle AVE checkpoint on the shipped tiny backbones reproduces the
 * test accuracy weights/README.md states, and predict uses it when no checkpoint is given.
 */
class ShippedCheckpointTest {
    static final Path SHIPPED = Path.of("weights", "mettle_ave_tiny.safetensors");

    @TempDir
    Path tmp;

    @Test
    @SuppressWarnings("unchecked")
    void shippedCheckpointReproducesItsStatedTestAccuracyAndIsPredictsDefault() throws Exception {
        assertTrue(Files.isRegularFile(SHIPPED), "run the tests from the repository root: " + SHIPPED.toAbsolutePath() + " is missing");
        // the synthetic set is regenerated from the config stored in the checkpoint (240 videos, 64 held out each, seed 0)
        TrainCommandsTest.Outcome eval = TrainCommandsTest.execute(new EvalCommand(), "--checkpoint", SHIPPED.toString(), "--data", "synthetic",
                "--split", "test", "--json");
        assertEquals(0, eval.code(), eval.error());
        Map<String, Object> metrics = (Map<String, Object>) eval.lastJson().get("metrics");
        double accuracy = ((Number) metrics.get("accuracy")).doubleValue();
        // weights/README.md: 0.90625 on 640 test segments; allow one segment of float-summation-order drift
        assertEquals(0.90625, accuracy, 1.0 / 640 + 1e-6, "shipped checkpoint's test accuracy");

        Path data = tmp.resolve("clip");
        TrainCommandsTest.Outcome synth = TrainCommandsTest.execute(new SynthCommand(), "--task", "ave", "--videos", "3", "--seed", "7",
                "--sample-rate", "32000", "--out", data.toString());
        assertEquals(0, synth.code(), synth.error());
        Path frames;
        try (var s = Files.list(data.resolve("frames"))) {
            frames = s.sorted().findFirst().orElseThrow();
        }
        Path wav = data.resolve("audio").resolve(frames.getFileName() + ".wav");
        TrainCommandsTest.Outcome o = TrainCommandsTest.execute(new PredictCommand(), "--frames", frames.toString(), "--audio", wav.toString(), "--json");
        assertEquals(0, o.code(), o.error());
        List<Object> segments = (List<Object>) o.lastJson().get("segments");
        assertEquals(10, segments.size());
        for (Object seg : segments) {
            Map<String, Object> probs = (Map<String, Object>) ((Map<String, Object>) seg).get("probs");
            assertEquals(29, probs.size());
            assertEquals(1.0, probs.values().stream().mapToDouble(v -> ((Number) v).doubleValue()).sum(), 1e-4);
        }
    }
}
