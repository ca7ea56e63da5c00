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
 * {@link #resampleDouble} instead follows torchaudio's float64 path (phases and taps in double).
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
    private final int lowpassFilterWidth;
    private final double baseFreq;
    /** Per phase p: the first tap index with a non-zero weight and the taps from there. */
    private final int[] firstTap;
    private final float[][] taps;
    private DoubleFilter doubleFilter;

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
        this.lowpassFilterWidth = lowpassFilterWidth;
        baseFreq = Math.min(orig, fresh) * rolloff;
        width = (int) Math.ceil(lowpassFilterWidth * orig / baseFreq);
        firstTap = new int[fresh];
        taps = new float[fresh][];
        double[] row = new double[2 * width + orig];
        for (int p = 0; p < fresh; p++) {
            // torchaudio on float32 input: arange(0, -new, -1) / new is computed in float32
            long span = filterRow((float) -p / (float) fresh, row);
            int first = (int) (span >>> 32);
            firstTap[p] = first;
            taps[p] = new float[(int) span];
            for (int j = 0; j < taps[p].length; j++) {
                taps[p][j] = (float) row[first + j]; // torchaudio casts its float32-input kernel to float32
            }
        }
    }

    /**
     * Fills {@code row} with the filter of the phase offset -p/new (the tap positions, window and sinc in double) and
     * returns the span of its taps with |t| < width: first index << 32 | count.
     * Taps at the clamp (|t| = width) weigh ~1e-34: torchaudio multiplies them in, they change nothing.
     */
    private long filterRow(double phase, double[] row) {
        int kernelLength = row.length;
        double scale = baseFreq / orig;
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
            row[m] = sinc * (window * scale);
            if (Math.abs(t) < Math.PI * lowpassFilterWidth) {
                if (first < 0) {
                    first = m;
                }
                last = m;
            }
        }
        return first < 0 ? 0L : ((long) first << 32) | (last - first + 1);
    }

    /** The double-precision filter (phases -p/new and taps in double), built on first use. */
    private synchronized DoubleFilter doubleFilter() {
        if (doubleFilter == null) {
            int[] first = new int[fresh];
            double[][] rows = new double[fresh][];
            double[] row = new double[2 * width + orig];
            for (int p = 0; p < fresh; p++) {
                long span = filterRow((double) -p / fresh, row);
                first[p] = (int) (span >>> 32);
                rows[p] = Arrays.copyOfRange(row, first[p], first[p] + (int) span);
            }
            doubleFilter = new DoubleFilter(first, rows);
        }
        return doubleFilter;
    }

    private record DoubleFilter(int[] firstTap, double[][] taps) {}

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

    /**
     * The input resampled in double precision: the filter as torchaudio builds it for a float64 waveform (phase
     * offsets and taps in double, no float32 cast) and double accumulation, so the result follows
     * {@code torchaudio.functional.resample(x.double(), ...)} to ~1e-15 rather than the float32 call's ~1e-6. Use it
     * where later steps amplify sample-level rounding (a log-mel's quiet bins).
     */
    public double[] resampleDouble(float[] input) {
        int length = input.length;
        if (origFreq == newFreq) {
            double[] copy = new double[length];
            for (int i = 0; i < length; i++) {
                copy[i] = input[i];
            }
            return copy;
        }
        DoubleFilter filter = doubleFilter();
        int outLength = outputLength(length);
        double[] out = new double[outLength];
        for (int n = 0; n < outLength; n++) {
            int k = n / fresh;
            int p = n - k * fresh;
            double[] w = filter.taps()[p];
            int base = orig * k + filter.firstTap()[p] - width;
            int from = Math.max(0, -base);
            int to = Math.min(w.length, length - base);
            double acc = 0.0;
            for (int j = from; j < to; j++) {
                acc += w[j] * input[base + j];
            }
            out[n] = acc;
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
