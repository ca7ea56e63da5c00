package org.mettle.data.audio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * HtsatLogMel against the torch reference of make_audio_fixtures.py (torch.stft + librosa's slaney mel formulas).
 * On identical 32 kHz input (native 32 kHz WAVs, or torchaudio's resampling stored in the fixture): within 1e-3 dB of
 * the float64 reference everywhere, and of the float32 pipeline HTS-AT runs up to that pipeline's own rounding.
 * End to end (an Audio at 44.1/48/16/11.025 kHz, resampled by our Resampler in double): within 1e-3 dB on every bin
 * of torchaudio's float64 resample + the float64 reference; the float32 torch pipeline is only reported, as its quiet
 * bins sit up to ~0.25 dB off from float32 resampling alone.
 */
class HtsatLogMelTest {
    private static final double DB_TOLERANCE = 1e-3;

    @Test
    void matchesTheTorchReference() {
        HtsatLogMel logMel = new HtsatLogMel();
        StringBuilder report = new StringBuilder();
        try (AudioGolden g = AudioGolden.open("htsat.safetensors")) {
            assertTrue(g.cases.size() >= 6, "expected the full case list, got " + g.cases.keySet());
            for (Map.Entry<String, Map<String, String>> c : g.cases.entrySet()) {
                String name = c.getKey();
                String mode = c.getValue().get("mode");
                Audio audio = AudioGolden.input(c.getValue());
                assertEquals(Integer.parseInt(c.getValue().get("sample_rate")), audio.sampleRate(), name);
                FeatureMatrix f = switch (mode) {
                    case "native", "end_to_end" -> logMel.compute(audio);
                    case "stored" -> logMel.compute(g.floats(name + ".input"));
                    default -> throw new AssertionError(name + ": unknown mode " + mode);
                };
                assertArrayEquals(g.shape(name + ".out64"), new int[] {f.frames(), f.bins()}, name + ": frames x bins");
                float[] exact = g.floats(name + ".out64");
                float[] torch32 = g.floats(name + ".out32");
                double err = AudioGolden.maxAbsDiff(f.data(), exact, name);
                double err32 = AudioGolden.maxAbsDiff(f.data(), torch32, name);
                if (mode.equals("end_to_end")) {
                    // our double-precision resampling vs torchaudio's float64 one: every bin, no exemption
                    assertTrue(err <= DB_TOLERANCE, name + ": max abs error " + err + " dB against torchaudio float64 "
                            + "resample + float64 log-mel (all bins)");
                    double err32Resampled = AudioGolden.maxAbsDiff(
                            logMel.compute(audio.resampledTo(HtsatLogMel.SAMPLE_RATE).samples()).data(), exact, name);
                    report.append(String.format("%s (%d Hz, end to end) %dx%d: %.2e dB vs float64 (all bins), %.2e dB vs "
                            + "the float32 torch pipeline; float32 resampling first would give %.2e dB vs float64%n", name,
                            audio.sampleRate(), f.frames(), f.bins(), err, err32, err32Resampled));
                    continue;
                }
                assertTrue(err <= DB_TOLERANCE, name + ": max abs error " + err + " dB against the float64 reference");
                for (int i = 0; i < exact.length; i++) {
                    double d = Math.abs((double) f.data()[i] - torch32[i]);
                    double torchRounding = Math.abs((double) torch32[i] - exact[i]);
                    assertTrue(d <= DB_TOLERANCE + torchRounding, name + "[" + i + "]: " + f.data()[i] + " vs float32 "
                            + torch32[i] + " (float64 " + exact[i] + ")");
                }
                report.append(String.format("%s (%s) %dx%d: max error %.2e dB vs float64, %.2e dB vs float32 torch%n",
                        name, mode, f.frames(), f.bins(), err, err32));
            }
        }
        System.out.print(report);
    }

    @Test
    void tenSecondsGive1001Frames() {
        assertEquals(1001, HtsatLogMel.numFrames(320000));
        assertEquals(2, HtsatLogMel.numFrames(513));
    }

    @Test
    void slaneyScaleIsLinearBelow1kHzAndLogAbove() {
        assertEquals(15.0, HtsatLogMel.hzToSlaneyMel(1000.0), 1e-12);
        assertEquals(0.75, HtsatLogMel.hzToSlaneyMel(50.0), 1e-12);
        for (double hz : new double[] {50, 700, 1000, 3000, 14000}) {
            assertEquals(hz, HtsatLogMel.slaneyMelToHz(HtsatLogMel.hzToSlaneyMel(hz)), 1e-9 * hz);
        }
        // slaney normalisation: each filter's area (in Hz) is 1, so sum(w) * bin width ~ 1 for wide filters
        float[][] w = HtsatLogMel.slaneyMelFilters(32000, 1024, 64, 50, 14000);
        double area = 0;
        for (float v : w[63]) {
            area += v * 31.25;
        }
        assertEquals(1.0, area, 0.02);
    }

    @Test
    void silenceIsTheAminFloor() {
        FeatureMatrix f = new HtsatLogMel().compute(new float[3200]);
        assertEquals(11, f.frames());
        for (float v : f.data()) {
            assertEquals(-100f, v, 0f);
        }
    }

    @Test
    void tooShortInputIsExplained() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new HtsatLogMel().compute(new float[512]));
        assertTrue(e.getMessage().contains("more than 512 samples"), e.getMessage());
    }
}
