package org.mettle.data.audio;

/**
 * Forward DFT of a real signal of length n, giving the n/2+1 non-negative frequencies, in double precision.
 * Even n packs the signal into a complex transform of n/2 points (even samples real, odd samples imaginary) and
 * splits the result; odd n uses a full complex transform. Holds work buffers: one instance per thread.
 */
public final class RealFft {
    private final int n;
    private final Fft complex;
    private final double[] re;
    private final double[] im;
    // exp(-2 pi i k / n) for the even-n split
    private final double[] splitCos;
    private final double[] splitSin;

    public RealFft(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("FFT size must be at least 1, got " + n);
        }
        this.n = n;
        boolean even = n % 2 == 0;
        int size = even ? n / 2 : n;
        complex = new Fft(size);
        re = new double[size];
        im = new double[size];
        if (even) {
            splitCos = new double[n / 2 + 1];
            splitSin = new double[n / 2 + 1];
            for (int k = 0; k <= n / 2; k++) {
                double angle = -2.0 * Math.PI * k / n;
                splitCos[k] = Math.cos(angle);
                splitSin[k] = Math.sin(angle);
            }
        } else {
            splitCos = splitSin = null;
        }
    }

    public int size() {
        return n;
    }

    /** Number of output bins, n/2 + 1. */
    public int bins() {
        return n / 2 + 1;
    }

    /** Transforms x[0..n) into outRe/outIm[0..n/2]. */
    public void forward(double[] x, double[] outRe, double[] outIm) {
        if (x.length < n || outRe.length < bins() || outIm.length < bins()) {
            throw new IllegalArgumentException("real FFT of size " + n + " needs an input of " + n + " and outputs of "
                    + bins() + " values, got " + x.length + ", " + outRe.length + ", " + outIm.length);
        }
        if (splitCos == null) {
            for (int j = 0; j < n; j++) {
                re[j] = x[j];
                im[j] = 0.0;
            }
            complex.forward(re, im);
            System.arraycopy(re, 0, outRe, 0, bins());
            System.arraycopy(im, 0, outIm, 0, bins());
            return;
        }
        int h = n / 2;
        for (int j = 0; j < h; j++) {
            re[j] = x[2 * j];
            im[j] = x[2 * j + 1];
        }
        complex.forward(re, im);
        for (int k = 0; k <= h; k++) {
            int a = k == h ? 0 : k;
            int b = k == 0 ? 0 : h - k;
            // even part E = (Z[k] + conj Z[h-k]) / 2, odd part O = (Z[k] - conj Z[h-k]) / 2i
            double er = 0.5 * (re[a] + re[b]);
            double ei = 0.5 * (im[a] - im[b]);
            double or = 0.5 * (im[a] + im[b]);
            double oi = -0.5 * (re[a] - re[b]);
            double wr = splitCos[k];
            double wi = splitSin[k];
            outRe[k] = er + wr * or - wi * oi;
            outIm[k] = ei + wr * oi + wi * or;
        }
    }

    /** |X[k]|^2 (or |X[k]| when {@code magnitude}) into out[0..n/2]; scratch arrays hold n/2+1 values. */
    public void spectrum(double[] x, double[] out, boolean magnitude, double[] scratchRe, double[] scratchIm) {
        forward(x, scratchRe, scratchIm);
        for (int k = 0; k <= n / 2; k++) {
            double p = scratchRe[k] * scratchRe[k] + scratchIm[k] * scratchIm[k];
            out[k] = magnitude ? Math.sqrt(p) : p;
        }
    }
}
