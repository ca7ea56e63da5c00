package org.mettle.data.audio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Fft and RealFft against a direct O(n^2) DFT in double (with exact angle reduction), for power-of-two and other sizes. */
class FftTest {
    private static final int[] SIZES = {1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 30, 64, 97, 100, 256, 400, 441, 512, 800, 1024, 1102};

    @Test
    void complexMatchesDirectDft() {
        Random r = new Random(1);
        for (int n : SIZES) {
            double[] re = new double[n];
            double[] im = new double[n];
            for (int i = 0; i < n; i++) {
                re[i] = r.nextGaussian();
                im[i] = r.nextGaussian();
            }
            double[][] expected = dft(re, im);
            double[] gotRe = re.clone();
            double[] gotIm = im.clone();
            new Fft(n).forward(gotRe, gotIm);
            double err = 0;
            for (int k = 0; k < n; k++) {
                err = Math.max(err, Math.hypot(gotRe[k] - expected[0][k], gotIm[k] - expected[1][k]));
            }
            // double rounding grows like log n (radix-2) or a few times that (Bluestein); inputs are O(1), outputs O(sqrt n)
            assertTrue(err < 1e-12 * Math.sqrt(n) * 10, "n=" + n + ": max error " + err);
        }
    }

    @Test
    void realMatchesDirectDft() {
        Random r = new Random(2);
        for (int n : SIZES) {
            double[] x = new double[n];
            for (int i = 0; i < n; i++) {
                x[i] = r.nextGaussian();
            }
            double[][] expected = dft(x, new double[n]);
            RealFft fft = new RealFft(n);
            double[] re = new double[fft.bins()];
            double[] im = new double[fft.bins()];
            fft.forward(x, re, im);
            double[] power = new double[fft.bins()];
            double[] magnitude = new double[fft.bins()];
            fft.spectrum(x, power, false, new double[fft.bins()], new double[fft.bins()]);
            fft.spectrum(x, magnitude, true, new double[fft.bins()], new double[fft.bins()]);
            for (int k = 0; k < fft.bins(); k++) {
                assertEquals(expected[0][k], re[k], 1e-11 * Math.sqrt(n), "n=" + n + " re[" + k + "]");
                assertEquals(expected[1][k], im[k], 1e-11 * Math.sqrt(n), "n=" + n + " im[" + k + "]");
                double p = expected[0][k] * expected[0][k] + expected[1][k] * expected[1][k];
                assertEquals(p, power[k], 1e-10 * (1 + p), "n=" + n + " power[" + k + "]");
                assertEquals(Math.sqrt(p), magnitude[k], 1e-10 * (1 + Math.sqrt(p)), "n=" + n + " magnitude[" + k + "]");
            }
        }
    }

    @Test
    void pureToneLandsInItsBin() {
        int n = 400;
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = Math.cos(2 * Math.PI * 7 * i / n);
        }
        RealFft fft = new RealFft(n);
        double[] re = new double[fft.bins()];
        double[] im = new double[fft.bins()];
        fft.forward(x, re, im);
        for (int k = 0; k < fft.bins(); k++) {
            assertEquals(k == 7 ? n / 2.0 : 0.0, re[k], 1e-9, "bin " + k);
            assertEquals(0.0, im[k], 1e-9, "bin " + k);
        }
    }

    @Test
    void rejectsBadSizes() {
        assertThrows(IllegalArgumentException.class, () -> new Fft(0));
        assertThrows(IllegalArgumentException.class, () -> new RealFft(-4));
        assertThrows(IllegalArgumentException.class, () -> new Fft(8).forward(new double[4], new double[8]));
    }

    private static double[][] dft(double[] re, double[] im) {
        int n = re.length;
        double[] outRe = new double[n];
        double[] outIm = new double[n];
        for (int k = 0; k < n; k++) {
            double sr = 0;
            double si = 0;
            for (int j = 0; j < n; j++) {
                double angle = -2 * Math.PI * (((long) j * k) % n) / n;
                double c = Math.cos(angle);
                double s = Math.sin(angle);
                sr += re[j] * c - im[j] * s;
                si += re[j] * s + im[j] * c;
            }
            outRe[k] = sr;
            outIm[k] = si;
        }
        return new double[][] {outRe, outIm};
    }
}
