package org.mettle.data.synthetic;

/**
 * The sound of synthetic class k: a harmonic tone with a class-specific pitch, harmonic profile (timbre) and
 * tremolo, so each class is recognisable by ear and by a spectrogram.
 */
record ClassSound(double fundamental, double[] harmonics, double tremoloHz) {
    private static final double[][] PROFILES = {
        {1, 0.5, 0.33, 0.25, 0.2, 0.17},   // saw-like: every harmonic, 1/n
        {1, 0, 0.33, 0, 0.2, 0},           // square-like: odd harmonics
        {1, 0.25, 0.11, 0.06, 0, 0},       // soft: 1/n^2
        {0.4, 1, 0.8, 0.6, 0.3, 0},        // bright: strong 2nd-4th harmonics
    };
    private static final double[] TREMOLO = {0, 4, 7};

    static ClassSound of(int k) {
        // pitches on a grid of 1/8 octave from 180 Hz; 28 classes span about 3.5 octaves. k -> 9k mod 28 is a
        // permutation (gcd(9, 28) = 1), so every class has its own pitch, and pitch neighbours (k, k - 3) differ in
        // timbre too. (7k mod 28 took only 4 values: classes k, k + 12, k + 24 sounded the same.)
        double f0 = 180 * Math.pow(2, (k * 9 % 28) / 8.0);
        double[] profile = PROFILES[k % 4].clone();
        double sum = 0;
        for (double a : profile) {
            sum += a;
        }
        for (int i = 0; i < profile.length; i++) {
            profile[i] /= sum; // peak amplitude at most 1
        }
        return new ClassSound(f0, profile, TREMOLO[(k / 4) % 3]);
    }
}
