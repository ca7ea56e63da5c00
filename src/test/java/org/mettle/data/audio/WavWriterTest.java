package org.mettle.data.audio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mettle.io.SafetensorsWriter;

/** WavWriter: round trips through WavReader, atomic replacement, errors, and torchaudio.load reading what it writes. */
class WavWriterTest {
    private static final Path PYTHON = Path.of("/usr/bin/python3");

    @TempDir
    Path dir;

    @Test
    void float32RoundTripsExactlyPerChannel() {
        float[][] ch = signal(3, 1001, 7);
        Path p = dir.resolve("f32.wav");
        WavWriter.write(p, ch, 22050, WavEncoding.FLOAT32);
        for (int c = 0; c < 3; c++) {
            float[] back = WavReader.read(p, c).samples();
            for (int i = 0; i < back.length; i++) {
                // reading rounds to sox's 2^-24 grid, as torchaudio does
                assertEquals(ch[c][i], back[i], 0x1p-25, "channel " + c + " sample " + i);
            }
        }
        Audio a = WavReader.read(p);
        assertEquals(22050, a.sampleRate());
        assertEquals(3, a.channels());
        assertEquals(WavEncoding.FLOAT32, a.encoding());
    }

    @Test
    void pcm16RoundTripsWithinHalfAStep() {
        float[][] ch = signal(2, 777, 8);
        ch[0][0] = 1.0f; // clips to 32767
        ch[0][1] = -1.0f;
        Path p = dir.resolve("s16.wav");
        WavWriter.write(p, ch, 16000, WavEncoding.PCM_S16);
        float[] left = WavReader.read(p, 0).samples();
        assertEquals(32767 / 32768f, left[0]);
        assertEquals(-1f, left[1]);
        for (int i = 2; i < left.length; i++) {
            assertEquals(ch[0][i], left[i], 0.5 / 32768 + 1e-9, "sample " + i);
        }
        float[] mono = WavReader.read(p).samples();
        for (int i = 2; i < mono.length; i++) {
            assertEquals((ch[0][i] + ch[1][i]) / 2, mono[i], 0.5 / 32768 + 1e-9, "mono sample " + i);
        }
    }

    @Test
    void replacesAtomicallyAndLeavesNoTemporaryFiles() throws IOException {
        Path p = dir.resolve("out.wav");
        WavWriter.writeMono(p, new float[] {0.5f, -0.5f}, 8000, WavEncoding.PCM_S16);
        WavWriter.writeMono(p, new float[] {0.25f}, 8000, WavEncoding.PCM_S16);
        assertArrayEquals(new float[] {0.25f}, WavReader.read(p).samples());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(p), files.toList());
        }
    }

    @Test
    void badArgumentsAreRefused() {
        Path p = dir.resolve("bad.wav");
        assertThrows(IllegalArgumentException.class, () -> WavWriter.writeMono(p, new float[] {Float.NaN}, 8000, WavEncoding.PCM_S16));
        assertThrows(IllegalArgumentException.class, () -> WavWriter.write(p, new float[][] {{0f}, {0f, 1f}}, 8000, WavEncoding.PCM_S16));
        assertThrows(IllegalArgumentException.class, () -> WavWriter.writeMono(p, new float[1], 8000, WavEncoding.PCM_S24));
        assertThrows(IllegalArgumentException.class, () -> WavWriter.writeMono(p, new float[1], 0, WavEncoding.PCM_S16));
        WavException noDir = assertThrows(WavException.class,
                () -> WavWriter.writeMono(dir.resolve("no/such/dir.wav"), new float[1], 8000, WavEncoding.PCM_S16));
        assertTrue(noDir.getMessage().contains("does not exist"), noDir.getMessage());
        assertFalse(Files.exists(p));
    }

    @Test
    void torchaudioLoadsWhatJavaWrites() throws IOException, InterruptedException {
        Assumptions.assumeTrue(Files.isExecutable(PYTHON), "no " + PYTHON + " (Debian's python3-torchaudio) on this machine");
        float[][] ch = signal(3, 513, 9);
        Path s16 = dir.resolve("s16_stereo.wav");
        Path f32 = dir.resolve("f32_3ch.wav");
        WavWriter.write(s16, new float[][] {ch[0], ch[1]}, 16000, WavEncoding.PCM_S16);
        WavWriter.write(f32, ch, 44100, WavEncoding.FLOAT32);
        Path expected = dir.resolve("expected.safetensors");
        float[] s16Left = WavReader.read(s16, 0).samples();
        float[] f32Mid = WavReader.read(f32, 1).samples();
        new SafetensorsWriter().addFloats("s16_ch0", new int[] {s16Left.length}, s16Left)
                .addFloats("f32_ch1", new int[] {f32Mid.length}, f32Mid).write(expected);
        String script = String.join("\n",
                "import sys, json, struct, numpy as np, torchaudio",
                "raw = open(sys.argv[3], 'rb').read(); n = struct.unpack('<Q', raw[:8])[0]; h = json.loads(raw[8:8 + n])",
                "def t(k): b, e = h[k]['data_offsets']; return np.frombuffer(raw[8 + n + b:8 + n + e], '<f4')",
                "a, ra = torchaudio.load(sys.argv[1]); b, rb = torchaudio.load(sys.argv[2])",
                "assert (ra, rb, a.shape[0], b.shape[0]) == (16000, 44100, 2, 3), (ra, rb, a.shape, b.shape)",
                "assert np.array_equal(a[0].numpy(), t('s16_ch0')) and np.array_equal(b[1].numpy(), t('f32_ch1'))",
                "print('OK torchaudio agrees')");
        Process proc = new ProcessBuilder(PYTHON.toString(), "-c", script, s16.toString(), f32.toString(), expected.toString())
                .redirectErrorStream(true).start();
        boolean finished = proc.waitFor(300, TimeUnit.SECONDS);
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!finished) {
            proc.destroyForcibly();
        }
        assertTrue(finished, "python did not finish: " + out);
        Assumptions.assumeFalse(out.contains("No module named"), "torchaudio/numpy missing for " + PYTHON + ": " + out);
        assertEquals(0, proc.exitValue(), out);
        assertTrue(out.contains("OK torchaudio agrees"), out);
    }

    private static float[][] signal(int channels, int n, long seed) {
        Random r = new Random(seed);
        float[][] ch = new float[channels][n];
        for (int c = 0; c < channels; c++) {
            for (int i = 0; i < n; i++) {
                ch[c][i] = (float) (0.6 * Math.sin(0.01 * i * (c + 1)) + 0.2 * r.nextGaussian());
                ch[c][i] = Math.max(-0.999f, Math.min(0.999f, ch[c][i]));
            }
        }
        return ch;
    }
}
