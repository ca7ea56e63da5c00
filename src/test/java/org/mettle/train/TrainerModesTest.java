package org.mettle.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** AVVP training with the LLP metrics, and Mettle's two-pass low-memory step against the plain step in a real run. */
class TrainerModesTest {
    @TempDir
    Path dir;

    @Test
    void avvpRunLogsTheLlpMetrics() throws Exception {
        RunConfig c = TinyRuns.config("avvp");
        c.epochs = 1;
        Trainer.Result r = TinyRuns.train(c, dir.resolve("avvp"), "synthetic", false, 0, null);
        for (String k : List.of("seg_audio", "seg_visual", "seg_av", "seg_type_av", "seg_event_av", "event_type_av")) {
            assertTrue(r.bestVal().containsKey(k), k + " in " + r.bestVal());
            double v = r.bestVal().get(k);
            assertTrue(v >= 0 && v <= 1, k + " = " + v);
        }
        assertTrue(r.test().containsKey("event_event_av"));
    }

    @Test
    void lowMemoryRunMatchesThePlainRun() throws Exception {
        RunConfig c = TinyRuns.config("ave");
        c.epochs = 1;
        c.synthVideos = 8;
        Trainer.Result plain = TinyRuns.train(c.copy(), dir.resolve("plain"), "synthetic", false, 0, null);
        RunConfig low = c.copy();
        low.lowMemory = true;
        Trainer.Result twoPass = TinyRuns.train(low, dir.resolve("low"), dir.resolve("plain/data").toString(), false, 0, null);
        Map<String, Object> a = TrainerResumeTest.lines(dir.resolve("plain").resolve(Trainer.METRICS)).get(0);
        Map<String, Object> b = TrainerResumeTest.lines(dir.resolve("low").resolve(Trainer.METRICS)).get(0);
        // same math in another order: equal to float rounding
        assertEquals((Double) a.get("train_loss"), (Double) b.get("train_loss"), 1e-4 * Math.abs((Double) a.get("train_loss")));
        assertEquals(plain.trainableParams(), twoPass.trainableParams());
    }
}
