package org.mettle.data.audio;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.mettle.io.SafetensorsFile;

/**
 * Reads the fixtures of src/test/python/make_audio_fixtures.py: golden/audio/{decode,resample,kaldi,htsat}.safetensors
 * (case parameters in __metadata__ as "key=value ..." strings) and the input WAVs under golden/audio/wav.
 */
final class AudioGolden implements AutoCloseable {
    static final Path ROOT = Path.of("src/test/resources/golden/audio");

    final SafetensorsFile file;
    /** Case name -> parameters, sorted by case name. */
    final Map<String, Map<String, String>> cases = new TreeMap<>();

    private AudioGolden(SafetensorsFile file) {
        this.file = file;
        for (Map.Entry<String, String> e : file.metadata().entrySet()) {
            Map<String, String> params = new LinkedHashMap<>();
            for (String kv : e.getValue().trim().split("\\s+")) {
                int eq = kv.indexOf('=');
                params.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
            cases.put(e.getKey(), params);
        }
    }

    static AudioGolden open(String name) {
        Path p = ROOT.resolve(name);
        assertTrue(Files.isRegularFile(p), "missing " + p + " (run /usr/bin/python3 src/test/python/make_audio_fixtures.py from the project root)");
        AudioGolden g = new AudioGolden(SafetensorsFile.open(p));
        assertFalse(g.cases.isEmpty(), p + " has no cases");
        return g;
    }

    static Path wav(String stem) {
        return ROOT.resolve("wav").resolve(stem + ".wav");
    }

    /** The case's input: the WAV decoded (channels averaged) and sliced [offset, offset + length) when given. */
    static Audio input(Map<String, String> params) {
        Audio a = WavReader.read(wav(params.get("input")));
        int offset = Integer.parseInt(params.getOrDefault("offset", "0"));
        int length = Integer.parseInt(params.getOrDefault("length", "0"));
        if (offset == 0 && (length == 0 || length == a.length())) {
            return a;
        }
        float[] slice = Arrays.copyOfRange(a.samples(), offset, length == 0 ? a.length() : offset + length);
        return new Audio(slice, a.sampleRate(), a.channels(), a.bitsPerSample(), a.encoding());
    }

    float[] floats(String name) {
        return file.readFloats(name);
    }

    int[] shape(String name) {
        return file.info(name).shape();
    }

    boolean has(String name) {
        return file.contains(name);
    }

    /** Kaldi options from a case's torchaudio keyword arguments (unknown keys fail the test: no option goes untested). */
    static KaldiFbankOptions kaldiOptions(Map<String, String> params) {
        KaldiFbankOptions o = KaldiFbankOptions.kaldiDefaults();
        for (Map.Entry<String, String> e : params.entrySet()) {
            String v = e.getValue();
            switch (e.getKey()) {
                case "input", "offset", "length", "sample_frequency" -> { }
                case "dither" -> assertTrue(Double.parseDouble(v) == 0.0, "dither " + v);
                case "blackman_coeff" -> o.blackmanCoeff = Double.parseDouble(v);
                case "energy_floor" -> o.energyFloor = Double.parseDouble(v);
                case "frame_length" -> o.frameLength = Double.parseDouble(v);
                case "frame_shift" -> o.frameShift = Double.parseDouble(v);
                case "high_freq" -> o.highFreq = Double.parseDouble(v);
                case "low_freq" -> o.lowFreq = Double.parseDouble(v);
                case "min_duration" -> o.minDuration = Double.parseDouble(v);
                case "num_mel_bins" -> o.numMelBins = Integer.parseInt(v);
                case "preemphasis_coefficient" -> o.preemphasisCoefficient = Double.parseDouble(v);
                case "htk_compat" -> o.htkCompat = bool(v);
                case "raw_energy" -> o.rawEnergy = bool(v);
                case "remove_dc_offset" -> o.removeDcOffset = bool(v);
                case "round_to_power_of_two" -> o.roundToPowerOfTwo = bool(v);
                case "snip_edges" -> o.snipEdges = bool(v);
                case "subtract_mean" -> o.subtractMean = bool(v);
                case "use_energy" -> o.useEnergy = bool(v);
                case "use_log_fbank" -> o.useLogFbank = bool(v);
                case "use_power" -> o.usePower = bool(v);
                case "window_type" -> o.windowType = KaldiFbankOptions.WindowType.parse(v);
                default -> throw new AssertionError("fixture option " + e.getKey() + " is not mapped to KaldiFbankOptions");
            }
        }
        return o;
    }

    private static boolean bool(String v) {
        if (!v.equals("True") && !v.equals("False")) {
            throw new AssertionError("not a Python bool: " + v);
        }
        return v.equals("True");
    }

    /** Largest |a[i] - b[i]|, failing on length mismatch or a NaN. */
    static double maxAbsDiff(float[] actual, float[] expected, String what) {
        if (actual.length != expected.length) {
            throw new AssertionError(what + ": " + actual.length + " values, expected " + expected.length);
        }
        double max = 0;
        for (int i = 0; i < actual.length; i++) {
            double d = Math.abs((double) actual[i] - expected[i]);
            if (Double.isNaN(d)) {
                throw new AssertionError(what + ": NaN at " + i);
            }
            max = Math.max(max, d);
        }
        return max;
    }

    @Override
    public void close() {
        file.close();
    }
}
