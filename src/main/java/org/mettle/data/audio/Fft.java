package org.mettle.data.audio;

/**
 * Complex discrete Fourier transform in double precision, X[k] = sum_j x[j] exp(-2 pi i j k / n), for any n >= 1:
 * iterative radix-2 when n is a power of two, Bluestein's chirp-z algorithm (a power-of-two convolution) otherwise.
 * Holds work buffers, so one instance must not be used by two threads at once.
 */
public final class Fft {
    private final int n;
    // radix-2 tables (power-of-two n only)
    private final int[] bitReversed;
    private final double[] cos;
    private final double[] sin;
    // Bluestein state (other n only)
    private final Fft inner;
    private final double[] chirpRe;
    private final double[] chirpIm;
    private final double[] filterRe;
    private final double[] filterIm;
    private final double[] workRe;
    private final double[] workIm;

    public Fft(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("FFT size must be at least 1, got " + n);
        }
        this.n = n;
        if (Integer.bitCount(n) == 1) {
            int bits = Integer.numberOfTrailingZeros(n);
            bitReversed = new int[n];
            for (int i = 0; i < n; i++) {
                bitReversed[i] = bits == 0 ? 0 : Integer.reverse(i) >>> (32 - bits);
            }
            // twiddles of the stage with half-size h at [h, 2h): exp(-2 pi i k / (2h)), contiguous per stage
            cos = new double[Math.max(2, n)];
            sin = new double[Math.max(2, n)];
            for (int h = 1; h < n; h <<= 1) {
                for (int k = 0; k < h; k++) {
                    double angle = -Math.PI * k / h;
                    cos[h + k] = Math.cos(angle);
                    sin[h + k] = Math.sin(angle);
                }
            }
            inner = null;
            chirpRe = chirpIm = filterRe = filterIm = workRe = workIm = null;
        } else {
            bitReversed = null;
            cos = sin = null;
            int m = Integer.highestOneBit(2 * n - 1);
            if (m < 2 * n - 1) {
                m <<= 1;
            }
            inner = new Fft(m);
            chirpRe = new double[n];
            chirpIm = new double[n];
            for (int j = 0; j < n; j++) {
                // exp(-i pi j^2 / n); j^2 reduced mod 2n first so the angle stays small and exact
                long jj = ((long) j * j) % (2L * n);
                double angle = -Math.PI * jj / n;
                chirpRe[j] = Math.cos(angle);
                chirpIm[j] = Math.sin(angle);
            }
            filterRe = new double[m];
            filterIm = new double[m];
            filterRe[0] = chirpRe[0];
            filterIm[0] = -chirpIm[0];
            for (int j = 1; j < n; j++) {
                filterRe[j] = filterRe[m - j] = chirpRe[j];
                filterIm[j] = filterIm[m - j] = -chirpIm[j];
            }
            inner.forward(filterRe, filterIm);
            workRe = new double[m];
            workIm = new double[m];
        }
    }

    public int size() {
        return n;
    }

    /** In-place forward transform of the first n entries of re/im. */
    public void forward(double[] re, double[] im) {
        if (re.length < n || im.length < n) {
            throw new IllegalArgumentException("FFT of size " + n + " needs arrays of at least that length, got "
                    + re.length + " and " + im.length);
        }
        if (bitReversed != null) {
            radix2(re, im);
        } else {
            bluestein(re, im);
        }
    }

    private void radix2(double[] re, double[] im) {
        for (int i = 0; i < n; i++) {
            int j = bitReversed[i];
            if (j > i) {
                double t = re[i];
                re[i] = re[j];
                re[j] = t;
                t = im[i];
                im[i] = im[j];
                im[j] = t;
            }
        }
        // first stage: twiddle 1
        for (int a = 0; a + 1 < n; a += 2) {
            double xr = re[a + 1];
            double xi = im[a + 1];
            re[a + 1] = re[a] - xr;
            im[a + 1] = im[a] - xi;
            re[a] += xr;
            im[a] += xi;
        }
        // second stage: twiddles 1 and -i
        for (int a = 0; a + 3 < n; a += 4) {
            double xr = re[a + 2];
            double xi = im[a + 2];
            re[a + 2] = re[a] - xr;
            im[a + 2] = im[a] - xi;
            re[a] += xr;
            im[a] += xi;
            xr = im[a + 3];
            xi = -re[a + 3];
            re[a + 3] = re[a + 1] - xr;
            im[a + 3] = im[a + 1] - xi;
            re[a + 1] += xr;
            im[a + 1] += xi;
        }
        for (int half = 4; half < n; half <<= 1) {
            int len = half << 1;
            for (int start = 0; start < n; start += len) {
                for (int k = 0; k < half; k++) {
                    int a = start + k;
                    int b = a + half;
                    double wr = cos[half + k];
                    double wi = sin[half + k];
                    double xr = re[b] * wr - im[b] * wi;
                    double xi = re[b] * wi + im[b] * wr;
                    re[b] = re[a] - xr;
                    im[b] = im[a] - xi;
                    re[a] += xr;
                    im[a] += xi;
                }
            }
        }
    }

    /** X[k] = c[k] * sum_j (x[j] c[j]) conj(c[k-j]) with c[j] = exp(-i pi j^2 / n): a circular convolution of size m. */
    private void bluestein(double[] re, double[] im) {
        int m = workRe.length;
        for (int j = 0; j < n; j++) {
            workRe[j] = re[j] * chirpRe[j] - im[j] * chirpIm[j];
            workIm[j] = re[j] * chirpIm[j] + im[j] * chirpRe[j];
        }
        java.util.Arrays.fill(workRe, n, m, 0.0);
        java.util.Arrays.fill(workIm, n, m, 0.0);
        inner.forward(workRe, workIm);
        for (int k = 0; k < m; k++) {
            double r = workRe[k] * filterRe[k] - workIm[k] * filterIm[k];
            double i = workRe[k] * filterIm[k] + workIm[k] * filterRe[k];
            // inverse transform as conj(forward(conj(.))) / m
            workRe[k] = r;
            workIm[k] = -i;
        }
        inner.forward(workRe, workIm);
        double scale = 1.0 / m;
        for (int k = 0; k < n; k++) {
            double r = workRe[k] * scale;
            double i = -workIm[k] * scale;
            re[k] = r * chirpRe[k] - i * chirpIm[k];
            im[k] = r * chirpIm[k] + i * chirpRe[k];
        }
    }
}
