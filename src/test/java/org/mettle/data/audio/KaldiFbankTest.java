package org.mettle.data.audio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * KaldiFbank against torchaudio.compliance.kaldi.fbank on real and synthetic audio (make_audio_fixtures.py):
 * every case within 1e-3 (log domain) of torchaudio run on the float64 waveform, and the AST-style cases also
 * against the usual float32 call, where only torch's own float32 rounding (its distance from float64) is allowed.
 */
class KaldiFbankTest {
    private static final double LOG_TOLERANCE = 1e-3;

    @Test
    void matchesTorchaudioOnEveryCase() {
        StringBuilder report = new StringBuilder();
        try (AudioGolden g = AudioGolden.open("kaldi.safetensors")) {
            assertTrue(g.cases.size() >= 10, "expected the full case list, got " + g.cases.keySet());
            for (Map.Entry<String, Map<String, String>> c : g.cases.entrySet()) {
                String name = c.getKey();
                Map<String, String> params = c.getValue();
                Audio audio = AudioGolden.input(params);
                assertEquals(Integer.parseInt(params.get("sample_frequency")), audio.sampleRate(), name);
                KaldiFbankOptions options = AudioGolden.kaldiOptions(params);
                FeatureMatrix f = new KaldiFbank(options, audio.sampleRate()).compute(audio.samples());
                assertArrayEquals(g.shape(name + ".out64"), new int[] {f.frames(), f.bins()}, name + ": frames x bins");
                float[] expected = g.floats(name + ".out64");
                double err = AudioGolden.maxAbsDiff(f.data(), expected, name);
                // linear (not log) energies: the same 1e-3 relative to the largest value, i.e. log-domain-like
                double tolerance = options.useLogFbank ? LOG_TOLERANCE : LOG_TOLERANCE * maxAbs(expected);
                assertTrue(err <= tolerance, name + ": max abs error " + err + " > " + tolerance);
                report.append(String.format("%s %dx%d err64 %.2e", name, f.frames(), f.bins(), err));
                if (g.has(name + ".out32")) {
                    float[] torch32 = g.floats(name + ".out32");
                    double err32 = 0;
                    for (int i = 0; i < expected.length; i++) {
                        double torchRounding = Math.abs((double) torch32[i] - expected[i]);
                        double d = Math.abs((double) f.data()[i] - torch32[i]);
                        assertTrue(d <= LOG_TOLERANCE + torchRounding, name + "[" + i + "]: " + f.data()[i] + " vs float32 torchaudio "
                                + torch32[i] + " (float64 torchaudio " + expected[i] + ")");
                        err32 = Math.max(err32, d);
                    }
                    report.append(String.format(" err32 %.2e", err32));
                }
                report.append('\n');
            }
        }
        System.out.print(report);
    }

    @Test
    void defaultsAreKaldisAndAstsCall() {
        KaldiFbankOptions k = KaldiFbankOptions.kaldiDefaults();
        assertEquals(KaldiFbankOptions.WindowType.POVEY, k.windowType);
        assertEquals(23, k.numMelBins);
        assertEquals(0.97, k.preemphasisCoefficient);
        assertTrue(k.removeDcOffset && k.snipEdges && k.roundToPowerOfTwo && k.rawEnergy && k.usePower && k.useLogFbank);
        KaldiFbankOptions ast = KaldiFbankOptions.astDefaults();
        assertEquals(KaldiFbankOptions.WindowType.HANNING, ast.windowType);
        assertEquals(128, ast.numMelBins);
        assertTrue(ast.htkCompat && !ast.useEnergy);
        assertEquals(25.0, ast.frameLength);
        assertEquals(10.0, ast.frameShift);
    }

    @Test
    void frameGeometryFollowsTorchaudio() {
        KaldiFbank f = new KaldiFbank(KaldiFbankOptions.astDefaults(), 16000);
        assertEquals(400, f.windowSize());
        assertEquals(160, f.windowShift());
        assertEquals(512, f.fftSize());
        assertEquals(998, f.numFrames(160000)); // 10 s: what AST pads to 1024
        KaldiFbank odd = new KaldiFbank(KaldiFbankOptions.astDefaults(), 44100);
        assertEquals(1102, odd.windowSize());
        assertEquals(441, odd.windowShift());
        assertEquals(2048, odd.fftSize());
    }

    @Test
    void minDurationGivesNoFrames() {
        KaldiFbankOptions o = KaldiFbankOptions.astDefaults();
        o.minDuration = 1.0;
        FeatureMatrix f = new KaldiFbank(o, 16000).compute(new float[8000]);
        assertEquals(0, f.frames());
        assertEquals(128, f.bins());
    }

    @Test
    void silenceIsLogEpsilonEverywhere() {
        FeatureMatrix f = new KaldiFbank(KaldiFbankOptions.astDefaults(), 16000).compute(new float[1600]);
        for (float v : f.data()) {
            assertEquals((float) Math.log(KaldiFbank.EPSILON), v, 0f);
        }
    }

    @Test
    void badSettingsAreExplained() {
        IllegalArgumentException tooShort = assertThrows(IllegalArgumentException.class,
                () -> new KaldiFbank(KaldiFbankOptions.astDefaults(), 16000).compute(new float[399]));
        assertTrue(tooShort.getMessage().contains("shorter than one 25.0 ms frame (400 samples)"), tooShort.getMessage());
        KaldiFbankOptions odd = KaldiFbankOptions.astDefaults();
        odd.roundToPowerOfTwo = false;
        odd.frameLength = 25.0625; // 401 samples at 16 kHz: an odd FFT torchaudio refuses as well
        IllegalArgumentException oddFft = assertThrows(IllegalArgumentException.class, () -> new KaldiFbank(odd, 16000));
        assertTrue(oddFft.getMessage().contains("must be even"), oddFft.getMessage());
        KaldiFbankOptions high = KaldiFbankOptions.astDefaults();
        high.highFreq = 9000;
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class, () -> new KaldiFbank(high, 16000));
        assertTrue(range.getMessage().contains("Nyquist 8000.0"), range.getMessage());
        KaldiFbankOptions bins = KaldiFbankOptions.astDefaults();
        bins.numMelBins = 3;
        assertThrows(IllegalArgumentException.class, () -> new KaldiFbank(bins, 16000));
        assertThrows(IllegalArgumentException.class, () -> KaldiFbankOptions.WindowType.parse("gauss"));
    }

    private static double maxAbs(float[] a) {
        double m = 0;
        for (float v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }
}
