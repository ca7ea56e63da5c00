package org.mettle.data.audio;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Throughput of the audio front end in seconds of audio per second, one thread, median of timed runs after warm-up.
 * The same clips and steps as bench/torchaudio_fbank.py, so the two print comparable lines:
 * {@code java -cp target/classes org.mettle.data.audio.AudioBenchmark [--dir DIR] [--seconds 10] [--iters 15]}.
 * Clips (10 s of tones and noise) are written to DIR when missing: clip_16k.wav (mono), clip_44k_stereo.wav, clip_32k.wav.
 */
public final class AudioBenchmark {
    private AudioBenchmark() {
    }

    /** One measured step. */
    public record Result(String step, double audioSeconds, double medianMs, double minMs) {
        public double realtimeFactor() {
            return audioSeconds / (medianMs / 1000.0);
        }
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "mettle-audio-bench");
        int seconds = 10;
        int iters = 15;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--dir" -> dir = Path.of(args[++i]);
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--iters" -> iters = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + "; use --dir, --seconds, --iters");
            }
        }
        for (Result r : run(dir, seconds, iters)) {
            System.out.printf(Locale.ROOT, "java  %-34s %8.2f ms median (min %.2f)  %9.1f s of audio per s%n",
                    r.step(), r.medianMs(), r.minMs(), r.realtimeFactor());
        }
    }

    public static List<Result> run(Path dir, int seconds, int iters) throws Exception {
        Files.createDirectories(dir);
        Path mono16 = ensureClip(dir.resolve("clip_16k.wav"), 16000, 1, seconds);
        Path stereo44 = ensureClip(dir.resolve("clip_44k_stereo.wav"), 44100, 2, seconds);
        Path mono32 = ensureClip(dir.resolve("clip_32k.wav"), 32000, 1, seconds);
        float[] x16 = WavReader.read(mono16).samples();
        float[] x32 = WavReader.read(mono32).samples();
        float[] x44 = WavReader.read(stereo44).samples();
        double len = seconds;
        KaldiFbank kaldi = new KaldiFbank(KaldiFbankOptions.astDefaults(), 16000);
        HtsatLogMel htsat = new HtsatLogMel();
        Resampler to16 = new Resampler(44100, 16000);
        Resampler to32 = new Resampler(44100, 32000);
        List<Result> results = new ArrayList<>();
        results.add(time("decode wav 16k mono s16", len, iters, () -> WavReader.read(mono16)));
        results.add(time("decode wav 44.1k stereo s16", len, iters, () -> WavReader.read(stereo44)));
        results.add(time("kaldi fbank 16k (AST, 128 bins)", len, iters, () -> kaldi.compute(x16)));
        results.add(time("htsat log-mel 32k (64 bins)", len, iters, () -> htsat.compute(x32)));
        results.add(time("resample 44.1k -> 16k", len, iters, () -> to16.resample(x44)));
        results.add(time("resample 44.1k -> 32k", len, iters, () -> to32.resample(x44)));
        results.add(time("resample 44.1k -> 32k in double", len, iters, () -> to32.resampleDouble(x44)));
        // HtsatLogMel.compute(Audio) resamples in double, as `fbank --kind htsat` does
        results.add(time("wav 44.1k -> htsat (decode+resample)", len, iters, () -> htsat.compute(WavReader.read(stereo44))));
        return results;
    }

    private static Result time(String step, double audioSeconds, int iters, Supplier<Object> work) {
        Object sink = null;
        long warmUntil = System.nanoTime() + 1_000_000_000L; // 1 s of JIT warm-up
        do {
            sink = work.get();
        } while (System.nanoTime() < warmUntil);
        double[] ms = new double[iters];
        for (int i = 0; i < iters; i++) {
            long t0 = System.nanoTime();
            sink = work.get();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        if (sink == null) {
            throw new IllegalStateException(step + " produced nothing");
        }
        Arrays.sort(ms);
        return new Result(step, audioSeconds, ms[iters / 2], ms[0]);
    }

    /** A clip of harmonic tones plus noise, written once (16-bit PCM) and reused by both benchmarks. */
    static Path ensureClip(Path file, int rate, int channels, int seconds) {
        if (Files.isRegularFile(file)) {
            Audio a = WavReader.read(file);
            if (a.sampleRate() == rate && a.channels() == channels && a.length() == rate * seconds) {
                return file;
            }
        }
        Random r = new Random(rate + channels);
        float[][] ch = new float[channels][rate * seconds];
        for (int c = 0; c < channels; c++) {
            for (int i = 0; i < ch[c].length; i++) {
                double t = i / (double) rate;
                ch[c][i] = (float) (0.3 * Math.sin(2 * Math.PI * 220 * (c + 1) * t) + 0.1 * Math.sin(2 * Math.PI * 3100 * t)
                        + 0.05 * r.nextGaussian());
            }
        }
        WavWriter.write(file, ch, rate, WavEncoding.PCM_S16);
        return file;
    }
}
