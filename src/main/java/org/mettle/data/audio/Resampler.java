package org.mettle.data.audio;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Band-limited resampling by a Hann-windowed sinc, the default of {@code torchaudio.functional.resample}
 * (method "sinc_interpolation" / "sinc_interp_hann", lowpass_filter_width 6, rolloff 0.99).
 *
 * <p>The rates are reduced by their gcd to orig/new; the cutoff is min(orig, new) * rolloff; output sample
 * new*k + p is the dot product of the zero-padded input from orig*k on with the filter of phase p. The filter is
 * built as torchaudio builds it (including its float32 phase offsets p/new and the final cast of the taps to
 * float32) and applied in double, so the differences from torchaudio are its float32 accumulation and the taps it
 * multiplies in where the window is clamped to zero (weight ~1e-34), which are skipped here.
 * Output length is ceil(length * new / orig). Thread-safe once built.
 */
public final class Resampler {
    /** Shared default-parameter resamplers by (orig << 32 | new). */
    private static final ConcurrentHashMap<Long, Resampler> DEFAULTS = new ConcurrentHashMap<>();

    private final int origFreq;
    private final int newFreq;
    private final int orig;
    private final int fresh;
    private final int width;
    /** Per phase p: the first tap index with a non-zero weight and the taps from there. */
    private final int[] firstTap;
    private final float[][] taps;

    public Resampler(int origFreq, int newFreq) {
        this(origFreq, newFreq, 6, 0.99);
    }

    public Resampler(int origFreq, int newFreq, int lowpassFilterWidth, double rolloff) {
        if (origFreq < 1 || newFreq < 1) {
            throw new IllegalArgumentException("resampling needs positive integer rates, got " + origFreq + " Hz -> " + newFreq + " Hz");
        }
        if (lowpassFilterWidth < 1) {
            throw new IllegalArgumentException("lowpass filter width must be positive, got " + lowpassFilterWidth);
        }
        if (!(rolloff > 0 && rolloff <= 1)) {
            throw new IllegalArgumentException("rolloff must be in (0, 1], got " + rolloff);
        }
        this.origFreq = origFreq;
        this.newFreq = newFreq;
        int gcd = gcd(origFreq, newFreq);
        orig = origFreq / gcd;
        fresh = newFreq / gcd;
        double baseFreq = Math.min(orig, fresh) * rolloff;
        width = (int) Math.ceil(lowpassFilterWidth * orig / baseFreq);
        int kernelLength = 2 * width + orig;
        double scale = baseFreq / orig;
        firstTap = new int[fresh];
        taps = new float[fresh][];
        float[] row = new float[kernelLength];
        for (int p = 0; p < fresh; p++) {
            // torchaudio: arange(0, -new, -1) / new is computed in float32, then added to the float64 tap positions
            double phase = (float) -p / (float) fresh;
            // only taps with |t| < width are non-zero; visit just that range (+1 either side) so that odd rate pairs
            // (orig and new large after the gcd) stay cheap to build
            double reach = (double) lowpassFilterWidth / baseFreq;
            int from = (int) Math.max(0, Math.floor(width + orig * (-reach - phase)) - 1);
            int to = (int) Math.min(kernelLength - 1, Math.ceil(width + orig * (reach - phase)) + 1);
            int first = -1;
            int last = -2;
            for (int m = from; m <= to; m++) {
                double t = (phase + (double) (m - width) / orig) * baseFreq;
                t = Math.max(-lowpassFilterWidth, Math.min(lowpassFilterWidth, t));
                double window = Math.cos(t * Math.PI / lowpassFilterWidth / 2);
                window *= window;
                t *= Math.PI;
                double sinc = t == 0 ? 1.0 : Math.sin(t) / t;
                row[m] = (float) (sinc * (window * scale));
                if (Math.abs(t) < Math.PI * lowpassFilterWidth) {
                    if (first < 0) {
                        first = m;
                    }
                    last = m;
                }
            }
            // taps at the clamp (|t| = width) weigh ~1e-34: torchaudio multiplies them in, they change nothing in float
            firstTap[p] = Math.max(first, 0);
            taps[p] = first < 0 ? new float[0] : Arrays.copyOfRange(row, first, last + 1);
        }
    }

    public int originalRate() {
        return origFreq;
    }

    public int targetRate() {
        return newFreq;
    }

    /** Output length for an input of {@code length} samples: ceil(length * new / orig). */
    public int outputLength(int length) {
        if (origFreq == newFreq) {
            return length;
        }
        return (int) Math.ceil((double) ((long) fresh * length) / orig);
    }

    /** The input resampled to the target rate (a copy when the rates are equal). */
    public float[] resample(float[] input) {
        if (origFreq == newFreq) {
            return input.clone();
        }
        int length = input.length;
        int outLength = outputLength(length);
        float[] out = new float[outLength];
        for (int n = 0; n < outLength; n++) {
            int k = n / fresh;
            int p = n - k * fresh;
            float[] w = taps[p];
            // padded index orig*k + m maps to input index orig*k + m - width
            int base = orig * k + firstTap[p] - width;
            int from = Math.max(0, -base);
            int to = Math.min(w.length, length - base);
            double acc = 0.0;
            for (int j = from; j < to; j++) {
                acc += w[j] * (double) input[base + j];
            }
            out[n] = (float) acc;
        }
        return out;
    }

    /** Resampling with torchaudio's defaults; the filter for each pair of rates is built once and shared. */
    public static float[] resample(float[] input, int origFreq, int newFreq) {
        return forRates(origFreq, newFreq).resample(input);
    }

    /** A shared resampler with the default filter for these rates (building one costs milliseconds; it is immutable). */
    public static Resampler forRates(int origFreq, int newFreq) {
        if (origFreq < 1 || newFreq < 1) {
            throw new IllegalArgumentException("resampling needs positive integer rates, got " + origFreq + " Hz -> " + newFreq + " Hz");
        }
        return DEFAULTS.computeIfAbsent(((long) origFreq << 32) | newFreq, key -> new Resampler(origFreq, newFreq));
    }

    private static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }
}
