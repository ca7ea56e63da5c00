package org.mettle.data.audio;

/**
 * Band-limited resampling by a Hann-windowed sinc, the default of {@code torchaudio.functional.resample}
 * (method "sinc_interpolation" / "sinc_interp_hann", lowpass_filter_width 6, rolloff 0.99).
 *
 * <p>The rates are reduced by their gcd to orig/new; the cutoff is min(orig, new) * rolloff; output sample
 * new*k + p is the dot product of the zero-padded input from orig*k on with the filter of phase p. The filter is
 * built as torchaudio builds it (including its float32 phase offsets p/new and the final cast of the taps to
 * float32) and applied in double, so the only difference from torchaudio is its float32 accumulation.
 * Output length is ceil(length * new / orig). Thread-safe once built.
 */
public final class Resampler {
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
            int first = kernelLength;
            int last = -1;
            for (int m = 0; m < kernelLength; m++) {
                double t = (phase + (double) (m - width) / orig) * baseFreq;
                t = Math.max(-lowpassFilterWidth, Math.min(lowpassFilterWidth, t));
                double window = Math.cos(t * Math.PI / lowpassFilterWidth / 2);
                window *= window;
                t *= Math.PI;
                double sinc = t == 0 ? 1.0 : Math.sin(t) / t;
                row[m] = (float) (sinc * (window * scale));
                if (Math.abs(t) < Math.PI * lowpassFilterWidth) {
                    first = Math.min(first, m);
                    last = m;
                }
            }
            // taps at the clamp (|t| = width) weigh ~1e-34: torchaudio keeps them, they change nothing in float
            if (last < 0) {
                first = 0;
                last = -1;
            }
            firstTap[p] = first;
            taps[p] = java.util.Arrays.copyOfRange(row, first, last + 1);
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

    /** One-shot resampling; build a Resampler to reuse its filter. */
    public static float[] resample(float[] input, int origFreq, int newFreq) {
        return new Resampler(origFreq, newFreq).resample(input);
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
