package org.mettle.data.audio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mettle.cli.FbankCommand;
import org.mettle.io.SafetensorsFile;
import picocli.CommandLine;

/** {@code mettle fbank}: defaults are the AST call, output matches torchaudio, and mistakes give one clear line. */
class FbankCommandTest {
    @TempDir
    Path dir;

    @Test
    void defaultsReproduceTorchaudiosAstCall() {
        Path out = dir.resolve("voice.safetensors");
        assertEquals(0, run("--input", AudioGolden.wav("real_voice_16k").toString(), "--output", out.toString()));
        try (SafetensorsFile f = SafetensorsFile.open(out); AudioGolden g = AudioGolden.open("kaldi.safetensors")) {
            assertEquals(java.util.List.of("fbank"), f.names());
            assertEquals(java.util.Arrays.toString(g.shape("ast_voice_16k.out64")), java.util.Arrays.toString(f.info("fbank").shape()));
            assertEquals(128, f.info("fbank").shape()[1]);
            double err = AudioGolden.maxAbsDiff(f.readFloats("fbank"), g.floats("ast_voice_16k.out64"), "cli kaldi");
            assertTrue(err <= 1e-3, "CLI output differs from torchaudio by " + err);
            assertEquals("kaldi", f.metadata().get("kind"));
            assertTrue(f.metadata().get("settings").contains("window_type=hanning"), f.metadata().toString());
        }
    }

    @Test
    void kaldiOptionsReachTheFilterbank() {
        Path out = dir.resolve("noise.safetensors");
        assertEquals(0, run("--input", AudioGolden.wav("synth_tones_noise_8k").toString(), "--output", out.toString(),
                "--num-mel-bins", "23", "--frame-length", "20", "--frame-shift", "5", "--window-type", "povey",
                "--no-snip-edges", "--use-energy", "--no-htk-compat", "--preemphasis", "0.5"));
        KaldiFbankOptions o = KaldiFbankOptions.astDefaults();
        o.numMelBins = 23;
        o.frameLength = 20;
        o.frameShift = 5;
        o.windowType = KaldiFbankOptions.WindowType.POVEY;
        o.snipEdges = false;
        o.useEnergy = true;
        o.htkCompat = false;
        o.preemphasisCoefficient = 0.5;
        Audio a = WavReader.read(AudioGolden.wav("synth_tones_noise_8k"));
        FeatureMatrix expected = new KaldiFbank(o, 8000).compute(a.samples());
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            assertEquals(0.0, AudioGolden.maxAbsDiff(f.readFloats("fbank"), expected.data(), "cli options"));
            assertEquals(24, f.info("fbank").shape()[1]);
        }
    }

    @Test
    void htsatKindMatchesTheReference() {
        Path out = dir.resolve("bell.safetensors");
        assertEquals(0, run("--input", AudioGolden.wav("real_bell_32k").toString(), "--output", out.toString(), "--kind", "htsat"));
        try (SafetensorsFile f = SafetensorsFile.open(out); AudioGolden g = AudioGolden.open("htsat.safetensors")) {
            assertEquals(64, f.info("fbank").shape()[1]);
            double err = AudioGolden.maxAbsDiff(f.readFloats("fbank"), g.floats("bell_32k.out64"), "cli htsat");
            assertTrue(err <= 1e-3, "CLI htsat output differs by " + err + " dB");
        }
    }

    @Test
    void htsatKindResamplesInDoubleToTheFloat64Reference() {
        Path out = dir.resolve("chime.safetensors");
        assertEquals(0, run("--input", AudioGolden.wav("real_chime_44k").toString(), "--output", out.toString(), "--kind", "htsat"));
        try (SafetensorsFile f = SafetensorsFile.open(out); AudioGolden g = AudioGolden.open("htsat.safetensors")) {
            // every bin, quiet ones included: torchaudio float64 resample + float64 log-mel
            double err = AudioGolden.maxAbsDiff(f.readFloats("fbank"), g.floats("chime_44k_end_to_end.out64"), "cli htsat 44.1k");
            assertTrue(err <= 1e-3, "CLI htsat output of a 44.1 kHz file differs by " + err + " dB");
        }
    }

    @Test
    void mistakesGiveOneClearLine() {
        String wav = AudioGolden.wav("real_bell_32k").toString();
        String out = dir.resolve("x.safetensors").toString();
        assertError("--kind htsat has a fixed front end", "--input", wav, "--output", out, "--kind", "htsat", "--frame-length", "30");
        assertError("--kind must be kaldi or htsat", "--input", wav, "--output", out, "--kind", "mfcc");
        assertError("no such file", "--input", dir.resolve("none.wav").toString(), "--output", out);
        assertError("unsupported WAV encoding A-law", "--input", AudioGolden.wav("unsupported_alaw").toString(), "--output", out);
        assertError("--channel must be 'mean' or a channel index", "--input", wav, "--output", out, "--channel", "left");
        assertError("channel 1 requested but the file has 1 channel(s)", "--input", wav, "--output", out, "--channel", "1");
        assertError("unknown window type 'gauss'", "--input", wav, "--output", out, "--window-type", "gauss");
    }

    private static int run(String... args) {
        return new CommandLine(new FbankCommand()).execute(args);
    }

    private static void assertError(String fragment, String... args) {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new FbankCommand());
        cl.setErr(new PrintWriter(err));
        cl.setExecutionExceptionHandler((ex, cmd, parse) -> {
            cmd.getErr().println("mettle: " + ex.getMessage());
            return 1;
        });
        int code = cl.execute(args);
        assertEquals(1, code, String.join(" ", args));
        assertTrue(err.toString().contains(fragment), "expected '" + fragment + "' in: " + err);
    }
}
