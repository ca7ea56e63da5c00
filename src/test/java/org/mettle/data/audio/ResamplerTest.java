package org.mettle.data.audio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Resampler against torchaudio.functional.resample with its defaults, on real and synthetic audio. */
class ResamplerTest {
    /** The bar the issue sets; the measured errors are printed (and recorded in docs/audio.md). */
    private static final double TOLERANCE = 1e-5;

    @Test
    void matchesTorchaudioResample() {
        StringBuilder report = new StringBuilder();
        try (AudioGolden g = AudioGolden.open("resample.safetensors")) {
            assertTrue(g.cases.size() >= 9, "expected the full case list, got " + g.cases.keySet());
            for (Map.Entry<String, Map<String, String>> c : g.cases.entrySet()) {
                Map<String, String> p = c.getValue();
                Audio in = AudioGolden.input(p);
                assertEquals(Integer.parseInt(p.get("orig_freq")), in.sampleRate(), c.getKey());
                int newFreq = Integer.parseInt(p.get("new_freq"));
                Resampler resampler = new Resampler(in.sampleRate(), newFreq);
                float[] out = resampler.resample(in.samples());
                float[] expected = g.floats(c.getKey() + ".out");
                assertEquals(expected.length, resampler.outputLength(in.length()), c.getKey() + ": output length");
                double err = AudioGolden.maxAbsDiff(out, expected, c.getKey());
                assertTrue(err <= TOLERANCE, c.getKey() + ": max abs error " + err);
                report.append(String.format("%s: %d -> %d samples, max abs error %.2e%n", c.getKey(), in.length(), out.length, err));
            }
        }
        System.out.print(report);
    }

    @Test
    void sameRateIsACopy() {
        float[] x = {0.1f, -0.2f, 0.3f};
        float[] y = new Resampler(16000, 16000).resample(x);
        assertArrayEquals(x, y);
        assertNotSame(x, y);
    }

    @Test
    void toneSurvivesRoundTrip() {
        int n = 16000;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (0.5 * Math.sin(2 * Math.PI * 440 * i / 16000.0));
        }
        float[] up = Resampler.resample(x, 16000, 44100);
        assertEquals(44100, up.length);
        for (int i = 2000; i < 42000; i += 97) {
            assertEquals(0.5 * Math.sin(2 * Math.PI * 440 * i / 44100.0), up[i], 2e-3, "sample " + i);
        }
        float[] back = Resampler.resample(up, 44100, 16000);
        assertEquals(n, back.length);
        for (int i = 1000; i < 15000; i += 37) {
            assertEquals(x[i], back[i], 3e-3, "sample " + i);
        }
    }

    @Test
    void rejectsBadRates() {
        assertThrows(IllegalArgumentException.class, () -> new Resampler(0, 16000));
        assertThrows(IllegalArgumentException.class, () -> new Resampler(16000, 8000, 0, 0.99));
        assertThrows(IllegalArgumentException.class, () -> new Resampler(16000, 8000, 6, 1.5));
    }
}
