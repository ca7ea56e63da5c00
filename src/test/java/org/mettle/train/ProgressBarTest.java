package org.mettle.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Off a terminal the bar prints one line per further ~10 % (and the last); lines show loss, throughput and ETA. */
class ProgressBarTest {
    @Test
    void logModePrintsAboutTenLines() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressBar bar = new ProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8), false, "epoch 1/3", 100);
        for (int done = 1; done <= 100; done++) {
            bar.update(done, 2.5, done * 4L);
        }
        String[] lines = bytes.toString(StandardCharsets.UTF_8).strip().split("\n");
        assertEquals(11, lines.length, String.join("\n", lines));
        assertTrue(lines[0].startsWith("epoch 1/3 [") && lines[0].contains("1/100") && lines[0].contains("loss 2.5000"), lines[0]);
        assertTrue(lines[10].contains("100/100") && lines[10].contains("samples/s") && lines[10].contains("ETA 00:00"), lines[10]);
        assertTrue(lines[10].contains("[########################]"), lines[10]);
    }

    @Test
    void clockFormats() {
        assertEquals("01:05", ProgressBar.clock(65));
        assertEquals("1:01:01", ProgressBar.clock(3661));
        assertEquals("--:--", ProgressBar.clock(Double.NaN));
    }
}
