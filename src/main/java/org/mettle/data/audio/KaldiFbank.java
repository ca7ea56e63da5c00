package org.mettle.data.audio;

import java.util.Locale;

/**
 * Kaldi-compatible log-mel filterbank, equal to {@code torchaudio.compliance.kaldi.fbank} (dither 0).
 *
 * <p>Per frame (window_size = int(sr * frame_length * 0.001) samples every int(sr * frame_shift * 0.001)):
 * remove the frame's mean, take the raw log energy, pre-emphasise x[j] -= c * x[j-1] (x[-1] = x[0]), multiply by the
 * window, zero-pad to the FFT size (next power of two unless round_to_power_of_two is off), |rfft|^2 (or |rfft|),
 * triangular mel filters (mel = 1127 ln(1 + f/700)), log(max(eps, .)) with eps = 2^-23. Signal processing runs in
 * double; the mel filter weights are computed in float32 exactly as torchaudio computes them, since at a triangle's
 * edge a float32 weight differs from the exact one by up to ~1e-5. Thread-safe: work buffers are per call.
 */
public final class KaldiFbank {
    /** torch.finfo(torch.float).eps, the floor of every log. */
    static final double EPSILON = 1.1920928955078125e-07;

    private final KaldiFbankOptions options;
    private final double sampleFrequency;
    private final int windowShift;
    private final int windowSize;
    private final int paddedWindowSize;
    private final double[] window;
    /** Mel filter b covers FFT bins filterStart[b] .. filterStart[b] + filterWeights[b].length - 1. */
    private final int[] filterStart;
    private final float[][] filterWeights;

    public KaldiFbank(KaldiFbankOptions options, double sampleFrequency) {
        this.options = options.copy();
        this.sampleFrequency = sampleFrequency;
        KaldiFbankOptions o = this.options;
        if (!(sampleFrequency > 0)) {
            throw new IllegalArgumentException("sample frequency must be positive, got " + sampleFrequency);
        }
        // same expression (and so the same rounding) as torchaudio
        windowShift = (int) (sampleFrequency * o.frameShift * 0.001);
        windowSize = (int) (sampleFrequency * o.frameLength * 0.001);
        paddedWindowSize = o.roundToPowerOfTwo ? nextPowerOfTwo(windowSize) : windowSize;
        if (windowSize < 2) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "frame length %s ms at %s Hz is %d samples; at least 2 are needed", o.frameLength, sampleFrequency, windowSize));
        }
        if (windowShift < 1) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "frame shift %s ms at %s Hz is %d samples; it must be at least 1", o.frameShift, sampleFrequency, windowShift));
        }
        if (paddedWindowSize % 2 != 0) {
            throw new IllegalArgumentException("the FFT size " + paddedWindowSize + " (frame of " + windowSize
                    + " samples) must be even: turn round_to_power_of_two on or change the frame length");
        }
        if (!(o.preemphasisCoefficient >= 0 && o.preemphasisCoefficient <= 1)) {
            throw new IllegalArgumentException("preemphasis coefficient must be in [0, 1], got " + o.preemphasisCoefficient);
        }
        if (!(o.energyFloor >= 0)) {
            throw new IllegalArgumentException("energy floor must be zero (off) or positive, got " + o.energyFloor);
        }
        if (o.numMelBins <= 3) {
            throw new IllegalArgumentException("need more than 3 mel bins, got " + o.numMelBins);
        }
        window = window(o.windowType, windowSize, o.blackmanCoeff);
        filterStart = new int[o.numMelBins];
        filterWeights = new float[o.numMelBins][];
        buildMelBanks();
    }

    public KaldiFbankOptions options() {
        return options.copy();
    }

    public int windowSize() {
        return windowSize;
    }

    public int windowShift() {
        return windowShift;
    }

    public int fftSize() {
        return paddedWindowSize;
    }

    /** Feature columns: the mel bins plus one for the energy when use_energy is on. */
    public int featureDim() {
        return options.numMelBins + (options.useEnergy ? 1 : 0);
    }

    /** Frames an input of {@code numSamples} gives (snip_edges: whole frames only; else about numSamples / shift). */
    public int numFrames(int numSamples) {
        if (options.snipEdges) {
            return numSamples < windowSize ? 0 : 1 + (numSamples - windowSize) / windowShift;
        }
        return (numSamples + windowShift / 2) / windowShift;
    }

    /** Features of mono audio at this instance's sample frequency. */
    public FeatureMatrix compute(float[] waveform) {
        KaldiFbankOptions o = options;
        int n = waveform.length;
        if (n < windowSize) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "audio of %d samples (%.4f s at %s Hz) is shorter than one %s ms frame (%d samples)",
                    n, n / sampleFrequency, sampleFrequency, o.frameLength, windowSize));
        }
        int dim = featureDim();
        if (n < o.minDuration * sampleFrequency) {
            return new FeatureMatrix(new float[0], 0, dim);
        }
        int frames = numFrames(n);
        double[] features = new double[frames * dim];
        int bins = o.numMelBins;
        int melOffset = o.useEnergy && !o.htkCompat ? 1 : 0;
        int energyColumn = o.htkCompat ? bins : 0;
        RealFft fft = new RealFft(paddedWindowSize);
        double[] frame = new double[paddedWindowSize];
        double[] spectrum = new double[paddedWindowSize / 2 + 1];
        double[] scratchRe = new double[spectrum.length];
        double[] scratchIm = new double[spectrum.length];
        double logEnergyFloor = o.energyFloor == 0.0 ? Double.NEGATIVE_INFINITY : Math.log(o.energyFloor);
        int pad = windowSize / 2 - windowShift / 2;
        for (int f = 0; f < frames; f++) {
            int start = f * windowShift;
            if (o.snipEdges) {
                for (int j = 0; j < windowSize; j++) {
                    frame[j] = waveform[start + j];
                }
            } else {
                for (int j = 0; j < windowSize; j++) {
                    frame[j] = waveform[reflectIndex(start + j - pad, n)];
                }
            }
            if (o.removeDcOffset) {
                double mean = sum(frame, windowSize, false) / windowSize;
                for (int j = 0; j < windowSize; j++) {
                    frame[j] -= mean;
                }
            }
            double logEnergy = 0.0;
            if (o.rawEnergy) {
                logEnergy = logEnergy(frame, windowSize, logEnergyFloor);
            }
            double c = o.preemphasisCoefficient;
            if (c != 0.0) {
                for (int j = windowSize - 1; j > 0; j--) {
                    frame[j] -= c * frame[j - 1];
                }
                frame[0] -= c * frame[0];
            }
            for (int j = 0; j < windowSize; j++) {
                frame[j] *= window[j];
            }
            java.util.Arrays.fill(frame, windowSize, paddedWindowSize, 0.0);
            if (!o.rawEnergy) {
                logEnergy = logEnergy(frame, paddedWindowSize, logEnergyFloor);
            }
            fft.spectrum(frame, spectrum, !o.usePower, scratchRe, scratchIm);
            int row = f * dim;
            for (int b = 0; b < bins; b++) {
                float[] w = filterWeights[b];
                int s = filterStart[b];
                double energy = 0.0;
                for (int k = 0; k < w.length; k++) {
                    energy += w[k] * spectrum[s + k];
                }
                features[row + melOffset + b] = o.useLogFbank ? Math.log(Math.max(energy, EPSILON)) : energy;
            }
            if (o.useEnergy) {
                features[row + energyColumn] = logEnergy;
            }
        }
        if (o.subtractMean && frames > 0) {
            for (int d = 0; d < dim; d++) {
                double mean = 0.0;
                for (int f = 0; f < frames; f++) {
                    mean += features[f * dim + d];
                }
                mean /= frames;
                for (int f = 0; f < frames; f++) {
                    features[f * dim + d] -= mean;
                }
            }
        }
        float[] out = new float[features.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) features[i];
        }
        return new FeatureMatrix(out, frames, dim);
    }

    /** Features of decoded audio at its own sample rate (which must be this instance's). */
    public FeatureMatrix compute(Audio audio) {
        if (audio.sampleRate() != sampleFrequency) {
            throw new IllegalArgumentException("audio at " + audio.sampleRate() + " Hz given to a filterbank built for "
                    + sampleFrequency + " Hz; build one for the audio's rate (or resample it)");
        }
        return compute(audio.samples());
    }

    /** Index into the signal extended as torchaudio does without snip_edges: [x[pad-1]..x[0], x, x[n-1]..x[0]]. */
    private static int reflectIndex(int i, int n) {
        if (i < 0) {
            return -i - 1;
        }
        if (i >= n) {
            return 2 * n - 1 - i;
        }
        return i;
    }

    private static double logEnergy(double[] frame, int length, double logFloor) {
        return Math.max(Math.log(Math.max(sum(frame, length, true), EPSILON)), logFloor);
    }

    /** Sum of x[0..length) (or of its squares) with four accumulators, so the adds need not wait on each other. */
    private static double sum(double[] x, int length, boolean squares) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int j = 0;
        for (; j + 3 < length; j += 4) {
            s0 += squares ? x[j] * x[j] : x[j];
            s1 += squares ? x[j + 1] * x[j + 1] : x[j + 1];
            s2 += squares ? x[j + 2] * x[j + 2] : x[j + 2];
            s3 += squares ? x[j + 3] * x[j + 3] : x[j + 3];
        }
        for (; j < length; j++) {
            s0 += squares ? x[j] * x[j] : x[j];
        }
        return (s0 + s1) + (s2 + s3);
    }

    static double[] window(KaldiFbankOptions.WindowType type, int size, double blackmanCoeff) {
        double[] w = new double[size];
        double a = 2 * Math.PI / (size - 1);
        for (int i = 0; i < size; i++) {
            double hann = 0.5 - 0.5 * Math.cos(a * i);
            w[i] = switch (type) {
                case HANNING -> hann;
                case HAMMING -> 0.54 - 0.46 * Math.cos(a * i);
                case POVEY -> Math.pow(hann, 0.85);
                case RECTANGULAR -> 1.0;
                case BLACKMAN -> blackmanCoeff - 0.5 * Math.cos(a * i) + (0.5 - blackmanCoeff) * Math.cos(2 * a * i);
            };
        }
        return w;
    }

    /** torchaudio's get_mel_banks (no VTLN), step by step in float32 as torch computes it. */
    private void buildMelBanks() {
        KaldiFbankOptions o = options;
        int numBins = o.numMelBins;
        double nyquist = 0.5 * sampleFrequency;
        double highFreq = o.highFreq <= 0.0 ? o.highFreq + nyquist : o.highFreq;
        double lowFreq = o.lowFreq;
        if (!(lowFreq >= 0.0 && lowFreq < nyquist && highFreq > 0.0 && highFreq <= nyquist && lowFreq < highFreq)) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "bad mel frequency range: low_freq %s Hz and high_freq %s Hz (given %s) at Nyquist %s Hz; need "
                            + "0 <= low < high <= Nyquist", lowFreq, highFreq, o.highFreq, nyquist));
        }
        double fftBinWidth = sampleFrequency / paddedWindowSize;
        double melLow = 1127.0 * Math.log(1.0 + lowFreq / 700.0);
        double melHigh = 1127.0 * Math.log(1.0 + highFreq / 700.0);
        double melDelta = (melHigh - melLow) / (numBins + 1);
        float low32 = (float) melLow;
        float delta32 = (float) melDelta;
        int numFftBins = paddedWindowSize / 2;
        float[] mel = new float[numFftBins];
        float width32 = (float) fftBinWidth;
        for (int i = 0; i < numFftBins; i++) {
            float freq = width32 * (float) i;
            mel[i] = 1127.0f * (float) Math.log(1.0f + freq / 700.0f);
        }
        float[] weights = new float[numFftBins];
        for (int b = 0; b < numBins; b++) {
            float left = low32 + (float) b * delta32;
            float center = low32 + ((float) b + 1.0f) * delta32;
            float right = low32 + ((float) b + 2.0f) * delta32;
            int first = -1;
            int last = -1;
            for (int i = 0; i < numFftBins; i++) {
                float up = (mel[i] - left) / (center - left);
                float down = (right - mel[i]) / (right - center);
                float w = Math.max(0.0f, Math.min(up, down));
                weights[i] = w;
                if (w > 0) {
                    if (first < 0) {
                        first = i;
                    }
                    last = i;
                }
            }
            if (first < 0) {
                filterStart[b] = 0;
                filterWeights[b] = new float[0]; // an empty bin: torchaudio gives log(eps) there too
            } else {
                filterStart[b] = first;
                filterWeights[b] = java.util.Arrays.copyOfRange(weights, first, last + 1);
            }
        }
    }

    static int nextPowerOfTwo(int x) {
        return x <= 1 ? 1 : Integer.highestOneBit(x - 1) << 1;
    }
}
