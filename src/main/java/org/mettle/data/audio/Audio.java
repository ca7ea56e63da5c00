package org.mettle.data.audio;

/**
 * Decoded audio: mono samples in [-1, 1] (channels averaged, or one chosen channel), the file's sample rate, and
 * what the file held (channel count, bits per sample as stored, encoding).
 */
public record Audio(float[] samples, int sampleRate, int channels, int bitsPerSample, WavEncoding encoding) {
    public Audio {
        if (sampleRate < 1) {
            throw new IllegalArgumentException("sample rate must be positive, got " + sampleRate);
        }
    }

    /** Mono audio held in memory (for example synthesised or resampled). */
    public static Audio mono(float[] samples, int sampleRate) {
        return new Audio(samples, sampleRate, 1, 32, WavEncoding.FLOAT32);
    }

    public int length() {
        return samples.length;
    }

    public double durationSeconds() {
        return samples.length / (double) sampleRate;
    }

    /** This audio at another sample rate (torchaudio's default windowed-sinc resampling); itself when already there. */
    public Audio resampledTo(int newRate) {
        if (newRate == sampleRate) {
            return this;
        }
        return new Audio(Resampler.forRates(sampleRate, newRate).resample(samples), newRate, channels, bitsPerSample, encoding);
    }
}
