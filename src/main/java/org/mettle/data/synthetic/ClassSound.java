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
        // pitches on a whole-tone-and-a-bit grid from 180 Hz; 28 classes span about 3.5 octaves
        double f0 = 180 * Math.pow(2, (k * 7 % 28) / 8.0);
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
