package org.mettle.data.audio;

import java.util.Locale;

/**
 * Options of {@link KaldiFbank}, named and defaulted as in {@code torchaudio.compliance.kaldi.fbank} (which are
 * Kaldi's compute-fbank-feats defaults, with dither 0). Not supported: dither other than 0 (random; it could not be
 * reproduced), VTLN warping, channel selection (pass the samples you want).
 */
public final class KaldiFbankOptions {
    /** Analysis windows, as Kaldi names them. */
    public enum WindowType {
        HAMMING, HANNING, POVEY, RECTANGULAR, BLACKMAN;

        /** Parses Kaldi's lower-case names ("hanning", "povey", ...). */
        public static WindowType parse(String name) {
            for (WindowType t : values()) {
                if (t.name().equalsIgnoreCase(name.trim())) {
                    return t;
                }
            }
            throw new IllegalArgumentException("unknown window type '" + name + "'; use hamming, hanning, povey, rectangular or blackman");
        }

        public String kaldiName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public double blackmanCoeff = 0.42;
    public double energyFloor = 1.0;
    /** Milliseconds. */
    public double frameLength = 25.0;
    /** Milliseconds. */
    public double frameShift = 10.0;
    /** Hz; zero or negative means an offset from the Nyquist frequency. */
    public double highFreq = 0.0;
    public boolean htkCompat = false;
    public double lowFreq = 20.0;
    /** Seconds; shorter input gives zero frames. */
    public double minDuration = 0.0;
    public int numMelBins = 23;
    public double preemphasisCoefficient = 0.97;
    public boolean rawEnergy = true;
    public boolean removeDcOffset = true;
    public boolean roundToPowerOfTwo = true;
    public boolean snipEdges = true;
    public boolean subtractMean = false;
    public boolean useEnergy = false;
    public boolean useLogFbank = true;
    public boolean usePower = true;
    public WindowType windowType = WindowType.POVEY;

    /** Kaldi's (and torchaudio's) defaults: povey window, 23 bins, 25 ms frames every 10 ms. */
    public static KaldiFbankOptions kaldiDefaults() {
        return new KaldiFbankOptions();
    }

    /**
     * The call AST and LAVisH make: {@code fbank(w, htk_compat=True, sample_frequency=sr, use_energy=False,
     * window_type='hanning', num_mel_bins=128, dither=0.0, frame_shift=10)}.
     */
    public static KaldiFbankOptions astDefaults() {
        KaldiFbankOptions o = new KaldiFbankOptions();
        o.htkCompat = true;
        o.useEnergy = false;
        o.windowType = WindowType.HANNING;
        o.numMelBins = 128;
        o.frameShift = 10.0;
        return o;
    }

    public KaldiFbankOptions copy() {
        KaldiFbankOptions o = new KaldiFbankOptions();
        o.blackmanCoeff = blackmanCoeff;
        o.energyFloor = energyFloor;
        o.frameLength = frameLength;
        o.frameShift = frameShift;
        o.highFreq = highFreq;
        o.htkCompat = htkCompat;
        o.lowFreq = lowFreq;
        o.minDuration = minDuration;
        o.numMelBins = numMelBins;
        o.preemphasisCoefficient = preemphasisCoefficient;
        o.rawEnergy = rawEnergy;
        o.removeDcOffset = removeDcOffset;
        o.roundToPowerOfTwo = roundToPowerOfTwo;
        o.snipEdges = snipEdges;
        o.subtractMean = subtractMean;
        o.useEnergy = useEnergy;
        o.useLogFbank = useLogFbank;
        o.usePower = usePower;
        o.windowType = windowType;
        return o;
    }

    /** The options as torchaudio keyword arguments, e.g. for file metadata and error messages. */
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "blackman_coeff=%s energy_floor=%s frame_length=%s frame_shift=%s high_freq=%s "
                        + "htk_compat=%s low_freq=%s min_duration=%s num_mel_bins=%d preemphasis_coefficient=%s "
                        + "raw_energy=%s remove_dc_offset=%s round_to_power_of_two=%s snip_edges=%s subtract_mean=%s "
                        + "use_energy=%s use_log_fbank=%s use_power=%s window_type=%s dither=0.0",
                blackmanCoeff, energyFloor, frameLength, frameShift, highFreq, py(htkCompat), lowFreq, minDuration,
                numMelBins, preemphasisCoefficient, py(rawEnergy), py(removeDcOffset), py(roundToPowerOfTwo),
                py(snipEdges), py(subtractMean), py(useEnergy), py(useLogFbank), py(usePower), windowType.kaldiName());
    }

    private static String py(boolean b) {
        return b ? "True" : "False";
    }
}
