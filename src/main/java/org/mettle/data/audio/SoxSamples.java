package org.mettle.data.audio;

/**
 * The sample conversions of libsox, which torchaudio.load (sox_io backend) applies: every sample passes through a
 * 32-bit integer, and becomes a float by rounding to a multiple of 128, half up (a multiple of 2^-24 after scaling).
 */
final class SoxSamples {
    private static final int SAMPLE_MAX = Integer.MAX_VALUE;
    private static final int SAMPLE_MIN = Integer.MIN_VALUE;

    private SoxSamples() {
    }

    /** SOX_SAMPLE_TO_FLOAT_32BIT: values above 2^31-65 clip to 1.0, others round half up to k * 2^-24. */
    static double toFloat(int sample) {
        if (sample > SAMPLE_MAX - 64) {
            return 1.0;
        }
        return ((sample + 64) & ~127) * (1.0 / 2147483648.0);
    }

    /** SOX_FLOAT_64BIT_TO_SAMPLE: scale by 2^31, round half away from zero, clip to the int range. */
    static int fromFloat(double value) {
        double scaled = value * (SAMPLE_MAX + 1.0);
        if (scaled < 0) {
            return scaled <= SAMPLE_MIN - 0.5 ? SAMPLE_MIN : (int) (scaled - 0.5);
        }
        return scaled >= SAMPLE_MAX + 0.5 ? SAMPLE_MAX : (int) (scaled + 0.5);
    }
}
