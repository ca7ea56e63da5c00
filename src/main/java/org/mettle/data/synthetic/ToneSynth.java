package org.mettle.data.synthetic;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.mettle.data.audio.WavEncoding;
import org.mettle.data.audio.WavWriter;

/**
 * Mixes class sounds into a mono track: per one-second segment, the classes heard and their gains. Phases run on
 * across segments, and a 10 ms ramp at each on/off edge avoids clicks. Oscillators are complex rotations
 * (StrictMath for their start values), so the samples are the same on every JVM.
 */
final class ToneSynth {
    private ToneSynth() {}

    /** A class heard in a segment at a gain. */
    record Voice(int classIndex, double gain) {}

    /** Writes a clip as a mono 16-bit PCM WAV (atomically), creating its directory first. */
    static void writeWav(Path file, float[] samples, int sampleRate) {
        Path dir = file.toAbsolutePath().getParent();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create directory " + dir + " for " + file.getFileName() + ": " + e.getMessage(), e);
        }
        WavWriter.writeMono(file, samples, sampleRate, WavEncoding.PCM_S16);
    }

    /**
     * voices.get(s) are the voices of segment s (segmentSeconds long); white noise of the given level is added.
     * Returns samples in [-1, 1].
     */
    static float[] render(List<List<Voice>> voices, double segmentSeconds, int sampleRate, double noise, SplittableRandom rng,
                          int classCount) {
        int perSegment = (int) Math.round(segmentSeconds * sampleRate);
        int n = perSegment * voices.size();
        double[] out = new double[n];
        int ramp = Math.max(1, sampleRate / 100);
        for (int k = 0; k < classCount; k++) {
            double[] gains = new double[voices.size()];
            boolean any = false;
            for (int s = 0; s < voices.size(); s++) {
                for (Voice v : voices.get(s)) {
                    if (v.classIndex() == k) {
                        gains[s] += v.gain();
                        any = true;
                    }
                }
            }
            if (any) {
                addClass(out, ClassSound.of(k), gains, perSegment, ramp, sampleRate);
            }
        }
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            double v = out[i] + noise * (2 * rng.nextDouble() - 1);
            f[i] = (float) Math.max(-1, Math.min(1, v));
        }
        return f;
    }

    private static void addClass(double[] out, ClassSound sound, double[] gains, int perSegment, int ramp, int sampleRate) {
        int n = out.length;
        // per-sample gain envelope: segment gains with linear ramps at changes
        double[] env = new double[n];
        for (int s = 0; s < gains.length; s++) {
            java.util.Arrays.fill(env, s * perSegment, (s + 1) * perSegment, gains[s]);
        }
        for (int s = 0; s <= gains.length; s++) {
            double before = s == 0 ? 0 : gains[s - 1];
            double after = s == gains.length ? 0 : gains[s];
            if (before == after) {
                continue;
            }
            int edge = s * perSegment;
            for (int i = Math.max(0, edge - ramp / 2); i < Math.min(n, edge + ramp / 2); i++) {
                double t = (i - (edge - ramp / 2) + 0.5) / ramp;
                env[i] = before + (after - before) * t;
            }
        }
        if (sound.tremoloHz() > 0) { // amplitude modulation between 0.4 and 1
            rotate(2 * Math.PI * sound.tremoloHz() / sampleRate, n, (i, sin) -> env[i] *= 0.7 + 0.3 * sin);
        }
        double[] h = sound.harmonics();
        double nyquist = sampleRate / 2.0;
        for (int j = 0; j < h.length; j++) {
            double f = sound.fundamental() * (j + 1);
            if (h[j] == 0 || f >= nyquist * 0.95) {
                continue;
            }
            double a = h[j];
            rotate(2 * Math.PI * f / sampleRate, n, (i, sin) -> out[i] += env[i] * a * sin);
        }
    }

    private interface SampleSink {
        void accept(int i, double sin);
    }

    /** Calls sink with sin(w i) for i = 0..n-1, from a complex rotation renormalised every 1024 steps. */
    private static void rotate(double w, int n, SampleSink sink) {
        double cw = StrictMath.cos(w);
        double sw = StrictMath.sin(w);
        double re = 1;
        double im = 0;
        for (int i = 0; i < n; i++) {
            sink.accept(i, im);
            double nre = re * cw - im * sw;
            im = re * sw + im * cw;
            re = nre;
            if ((i & 1023) == 1023) {
                double mag = Math.sqrt(re * re + im * im);
                re /= mag;
                im /= mag;
            }
        }
    }
}
