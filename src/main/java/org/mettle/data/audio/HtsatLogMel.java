package org.mettle.data.audio;

import java.util.Locale;

/**
 * HTS-AT's log-mel front end (torchlibrosa Spectrogram + LogmelFilterBank as HTS-AT configures them):
 * 32 kHz audio, STFT with n_fft 1024, hop 320, periodic Hann window of 1024, center=True with reflect padding of
 * 512 on both sides (so 1 + n/320 frames), power |X|^2, 64 mel filters from 50 to 14000 Hz on librosa's slaney
 * scale with slaney area normalisation (librosa.filters.mel defaults, htk=False, norm='slaney'), then
 * 10 log10(max(1e-10, x)) - 10 log10(max(1e-10, 1.0)) with no top_db clipping.
 *
 * <p>The mel weights follow librosa exactly: computed in double, stored as float32, then multiplied by the slaney
 * norm in double and stored as float32 again. The STFT runs in double. Thread-safe: buffers are per call.
 */
public final class HtsatLogMel {
    public static final int SAMPLE_RATE = 32000;
    public static final int N_FFT = 1024;
    public static final int HOP = 320;
    public static final int MEL_BINS = 64;
    public static final double FMIN = 50.0;
    public static final double FMAX = 14000.0;
    public static final double AMIN = 1e-10;
    public static final double REF = 1.0;

    private final int melBins;
    private final double[] window;
    private final int[] filterStart;
    private final float[][] filterWeights;

    /** HTS-AT's configuration (64 mel bins). */
    public HtsatLogMel() {
        this(MEL_BINS);
    }

    /** The same front end with another number of mel bins. */
    public HtsatLogMel(int melBins) {
        if (melBins < 1) {
            throw new IllegalArgumentException("need at least 1 mel bin, got " + melBins);
        }
        this.melBins = melBins;
        window = new double[N_FFT];
        for (int i = 0; i < N_FFT; i++) {
            window[i] = 0.5 - 0.5 * Math.cos(2.0 * Math.PI * i / N_FFT);
        }
        filterStart = new int[melBins];
        filterWeights = new float[melBins][];
        float[][] dense = slaneyMelFilters(SAMPLE_RATE, N_FFT, melBins, FMIN, FMAX);
        for (int b = 0; b < melBins; b++) {
            int first = -1;
            int last = -1;
            for (int k = 0; k < dense[b].length; k++) {
                if (dense[b][k] != 0f) {
                    if (first < 0) {
                        first = k;
                    }
                    last = k;
                }
            }
            filterStart[b] = Math.max(first, 0);
            filterWeights[b] = first < 0 ? new float[0] : java.util.Arrays.copyOfRange(dense[b], first, last + 1);
        }
    }

    public int melBins() {
        return melBins;
    }

    /** Frames for {@code numSamples} samples at 32 kHz: 1 + numSamples / 320. */
    public static int numFrames(int numSamples) {
        return 1 + numSamples / HOP;
    }

    /**
     * Log-mel of decoded audio, resampled to 32 kHz first when it is at another rate. The resampled signal stays in
     * double ({@link Resampler#resampleDouble}): a float32 resampling's ~1e-6 sample errors move bins 100 dB below
     * the peak by tenths of a dB, while in double every bin follows the float64 reference to 1e-3 dB.
     */
    public FeatureMatrix compute(Audio audio) {
        if (audio.sampleRate() == SAMPLE_RATE) {
            return compute(audio.samples());
        }
        return compute(Resampler.forRates(audio.sampleRate(), SAMPLE_RATE).resampleDouble(audio.samples()));
    }

    /** Log-mel (frames x melBins, dB) of mono samples at 32 kHz. */
    public FeatureMatrix compute(float[] waveform) {
        double[] wide = new double[waveform.length];
        for (int i = 0; i < wide.length; i++) {
            wide[i] = waveform[i];
        }
        return compute(wide);
    }

    /** Log-mel (frames x melBins, dB) of mono samples at 32 kHz given in double (for example resampled in double). */
    public FeatureMatrix compute(double[] waveform) {
        int n = waveform.length;
        int pad = N_FFT / 2;
        if (n <= pad) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "audio of %d samples (%.4f s at 32 kHz) is too short: reflect padding by %d needs more than %d samples",
                    n, n / (double) SAMPLE_RATE, pad, pad));
        }
        int frames = numFrames(n);
        float[] out = new float[frames * melBins];
        RealFft fft = new RealFft(N_FFT);
        double[] frame = new double[N_FFT];
        double[] power = new double[N_FFT / 2 + 1];
        double[] scratchRe = new double[power.length];
        double[] scratchIm = new double[power.length];
        double refDb = 10.0 * Math.log10(Math.max(AMIN, REF));
        for (int f = 0; f < frames; f++) {
            int start = f * HOP - pad;
            for (int j = 0; j < N_FFT; j++) {
                frame[j] = waveform[reflect(start + j, n)] * window[j];
            }
            fft.spectrum(frame, power, false, scratchRe, scratchIm);
            for (int b = 0; b < melBins; b++) {
                float[] w = filterWeights[b];
                int s = filterStart[b];
                double energy = 0.0;
                for (int k = 0; k < w.length; k++) {
                    energy += w[k] * power[s + k];
                }
                out[f * melBins + b] = (float) (10.0 * Math.log10(Math.max(AMIN, energy)) - refDb);
            }
        }
        return new FeatureMatrix(out, frames, melBins);
    }

    /** Reflect padding without repeating the edge sample (torch's 'reflect'): x[-1] = x[1], x[n] = x[n-2]. */
    private static int reflect(int i, int n) {
        if (i < 0) {
            return -i;
        }
        if (i >= n) {
            return 2 * (n - 1) - i;
        }
        return i;
    }

    /** librosa.filters.mel(sr, n_fft, n_mels, fmin, fmax, htk=False, norm='slaney', dtype=float32): [nMels][n_fft/2+1]. */
    static float[][] slaneyMelFilters(int sampleRate, int nFft, int nMels, double fmin, double fmax) {
        int bins = nFft / 2 + 1;
        double binWidth = 1.0 / (nFft * (1.0 / sampleRate)); // np.fft.rfftfreq(n, d=1/sr)
        double[] fftFreqs = new double[bins];
        for (int k = 0; k < bins; k++) {
            fftFreqs[k] = k * binWidth;
        }
        // mel_frequencies: np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2) back to Hz
        int points = nMels + 2;
        double melMin = hzToSlaneyMel(fmin);
        double melMax = hzToSlaneyMel(fmax);
        double step = (melMax - melMin) / (points - 1);
        double[] melF = new double[points];
        for (int i = 0; i < points; i++) {
            melF[i] = slaneyMelToHz(i == points - 1 ? melMax : i * step + melMin);
        }
        float[][] weights = new float[nMels][bins];
        for (int m = 0; m < nMels; m++) {
            double lowerDiff = melF[m + 1] - melF[m];
            double upperDiff = melF[m + 2] - melF[m + 1];
            double enorm = 2.0 / (melF[m + 2] - melF[m]);
            for (int k = 0; k < bins; k++) {
                double lower = -(melF[m] - fftFreqs[k]) / lowerDiff;
                double upper = (melF[m + 2] - fftFreqs[k]) / upperDiff;
                float w = (float) Math.max(0.0, Math.min(lower, upper));
                weights[m][k] = (float) (w * enorm);
            }
        }
        return weights;
    }

    private static final double F_SP = 200.0 / 3;
    private static final double MIN_LOG_HZ = 1000.0;
    private static final double MIN_LOG_MEL = MIN_LOG_HZ / F_SP;
    private static final double LOG_STEP = Math.log(6.4) / 27.0;

    /** librosa.hz_to_mel(htk=False): linear below 1 kHz, logarithmic above. */
    static double hzToSlaneyMel(double hz) {
        double mel = (hz - 0.0) / F_SP;
        if (hz >= MIN_LOG_HZ) {
            mel = MIN_LOG_MEL + Math.log(hz / MIN_LOG_HZ) / LOG_STEP;
        }
        return mel;
    }

    /** librosa.mel_to_hz(htk=False). */
    static double slaneyMelToHz(double mel) {
        double hz = 0.0 + F_SP * mel;
        if (mel >= MIN_LOG_MEL) {
            hz = MIN_LOG_HZ * Math.exp(LOG_STEP * (mel - MIN_LOG_MEL));
        }
        return hz;
    }
}
