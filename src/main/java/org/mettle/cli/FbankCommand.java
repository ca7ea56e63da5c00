package org.mettle.cli;

import java.nio.file.Path;
import java.util.Locale;
import org.mettle.data.audio.Audio;
import org.mettle.data.audio.FeatureMatrix;
import org.mettle.data.audio.HtsatLogMel;
import org.mettle.data.audio.KaldiFbank;
import org.mettle.data.audio.KaldiFbankOptions;
import org.mettle.data.audio.WavReader;
import org.mettle.io.SafetensorsWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mettle fbank}: a WAV file to a safetensors file holding tensor {@code fbank} (frames x bins, F32).
 * kaldi (default) is torchaudio.compliance.kaldi.fbank at the file's own sample rate with the AST/LAVisH call's
 * settings; htsat is HTS-AT's 64-bin log-mel after resampling to 32 kHz.
 */
@Command(name = "fbank", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Compute a log-mel filterbank of a WAV file and save it as tensor 'fbank' (frames x bins).",
            "kaldi: torchaudio.compliance.kaldi.fbank(htk_compat=True, use_energy=False, window_type='hanning', "
                    + "dither=0, num_mel_bins=128) at the file's sample rate.",
            "htsat: HTS-AT log-mel (32 kHz, n_fft 1024, hop 320, 64 slaney mel bins 50-14000 Hz, dB)."})
public final class FbankCommand implements Runnable {
    @Option(names = "--input", required = true, description = "WAV file (PCM 8/16/24/32-bit or float; channels are averaged)")
    Path input;

    @Option(names = "--output", required = true, description = "safetensors file to write (atomically)")
    Path output;

    @Option(names = "--kind", defaultValue = "kaldi", description = "kaldi or htsat (default ${DEFAULT-VALUE})")
    String kind;

    @Option(names = "--num-mel-bins", description = "mel bins (default 128 for kaldi, 64 for htsat)")
    Integer numMelBins;

    @Option(names = "--frame-length", description = "kaldi frame length in ms (default 25)")
    Double frameLength;

    @Option(names = "--frame-shift", description = "kaldi frame shift in ms (default 10)")
    Double frameShift;

    @Option(names = "--channel", defaultValue = "mean",
            description = "'mean' averages the channels (default); a 0-based index takes one channel "
                    + "(AST's own code uses channel 0 of a stereo file)")
    String channel;

    @Option(names = "--window-type", defaultValue = "hanning", description = "kaldi window: hanning (default), povey, hamming, rectangular, blackman")
    String windowType;

    @Option(names = "--preemphasis", defaultValue = "0.97", description = "kaldi pre-emphasis coefficient (default ${DEFAULT-VALUE})")
    double preemphasis;

    @Option(names = "--remove-dc-offset", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "kaldi: subtract each frame's mean (default on)")
    boolean removeDcOffset;

    @Option(names = "--low-freq", defaultValue = "20", description = "kaldi lowest mel frequency in Hz (default ${DEFAULT-VALUE})")
    double lowFreq;

    @Option(names = "--high-freq", defaultValue = "0", description = "kaldi highest mel frequency in Hz; <= 0 is an offset from Nyquist (default ${DEFAULT-VALUE})")
    double highFreq;

    @Option(names = "--snip-edges", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "kaldi: only whole frames (default on); off: reflect the ends, about one frame per shift")
    boolean snipEdges;

    @Option(names = "--round-to-power-of-two", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "kaldi: zero-pad frames to a power-of-two FFT (default on)")
    boolean roundToPowerOfTwo;

    @Option(names = "--use-power", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "kaldi: power spectrum (default on); off: magnitude")
    boolean usePower;

    @Option(names = "--use-log-fbank", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "kaldi: log of the mel energies (default on)")
    boolean useLogFbank;

    @Option(names = "--use-energy", negatable = true, defaultValue = "false", fallbackValue = "true",
            description = "kaldi: add the log energy as an extra column (default off)")
    boolean useEnergy;

    @Option(names = "--htk-compat", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "kaldi: energy column last rather than first (default on, as AST)")
    boolean htkCompat;

    @Option(names = "--energy-floor", defaultValue = "1.0", description = "kaldi: floor of the energy column, 0 for none (default ${DEFAULT-VALUE})")
    double energyFloor;

    @Option(names = "--raw-energy", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "kaldi: energy before pre-emphasis and window (default on)")
    boolean rawEnergy;

    @Option(names = "--subtract-mean", negatable = true, defaultValue = "false", fallbackValue = "true",
            description = "kaldi: subtract each column's mean over the file (default off)")
    boolean subtractMean;

    @Override
    public void run() {
        int channelIndex = parseChannel(channel);
        Audio audio = WavReader.read(input, channelIndex);
        FeatureMatrix features;
        String settings;
        switch (kind.toLowerCase(Locale.ROOT)) {
            case "kaldi" -> {
                KaldiFbankOptions o = kaldiOptions();
                features = new KaldiFbank(o, audio.sampleRate()).compute(audio.samples());
                settings = o.toString() + " sample_frequency=" + audio.sampleRate();
            }
            case "htsat" -> {
                rejectKaldiOnlyOptions();
                HtsatLogMel logMel = new HtsatLogMel(numMelBins == null ? HtsatLogMel.MEL_BINS : numMelBins);
                features = logMel.compute(audio);
                settings = "sample_rate=32000 n_fft=1024 hop=320 window=hann(periodic) center=True pad_mode=reflect power=2 "
                        + "n_mels=" + logMel.melBins() + " fmin=50 fmax=14000 mel=slaney norm=slaney amin=1e-10 ref=1.0 top_db=None"
                        + (audio.sampleRate() != HtsatLogMel.SAMPLE_RATE ? " resampled_from=" + audio.sampleRate() : "");
            }
            default -> throw new IllegalArgumentException("--kind must be kaldi or htsat, got '" + kind + "'");
        }
        if (features.frames() == 0) {
            throw new IllegalArgumentException(input + ": no frames (audio of " + audio.length() + " samples)");
        }
        new SafetensorsWriter()
                .metadata("kind", kind.toLowerCase(Locale.ROOT))
                .metadata("source", input.getFileName().toString())
                .metadata("source_sample_rate", Integer.toString(audio.sampleRate()))
                .metadata("channel", channel)
                .metadata("settings", settings)
                .addFloats("fbank", new int[] {features.frames(), features.bins()}, features.data())
                .write(output);
        System.out.printf(Locale.ROOT, "wrote fbank [%d x %d] (%s) of %s (%.2f s, %d Hz, %d channel(s)) to %s%n",
                features.frames(), features.bins(), kind, input, audio.durationSeconds(), audio.sampleRate(),
                audio.channels(), output);
    }

    private KaldiFbankOptions kaldiOptions() {
        KaldiFbankOptions o = KaldiFbankOptions.astDefaults();
        if (numMelBins != null) {
            o.numMelBins = numMelBins;
        }
        if (frameLength != null) {
            o.frameLength = frameLength;
        }
        if (frameShift != null) {
            o.frameShift = frameShift;
        }
        o.windowType = KaldiFbankOptions.WindowType.parse(windowType);
        o.preemphasisCoefficient = preemphasis;
        o.removeDcOffset = removeDcOffset;
        o.lowFreq = lowFreq;
        o.highFreq = highFreq;
        o.snipEdges = snipEdges;
        o.roundToPowerOfTwo = roundToPowerOfTwo;
        o.usePower = usePower;
        o.useLogFbank = useLogFbank;
        o.useEnergy = useEnergy;
        o.htkCompat = htkCompat;
        o.energyFloor = energyFloor;
        o.rawEnergy = rawEnergy;
        o.subtractMean = subtractMean;
        return o;
    }

    /** HTS-AT's window, hop and filters are fixed; a kaldi option given with --kind htsat is a mistake, not a no-op. */
    private void rejectKaldiOnlyOptions() {
        KaldiFbankOptions defaults = KaldiFbankOptions.astDefaults();
        boolean changed = frameLength != null || frameShift != null
                || !windowType.equalsIgnoreCase("hanning") || preemphasis != defaults.preemphasisCoefficient
                || removeDcOffset != defaults.removeDcOffset || lowFreq != defaults.lowFreq || highFreq != defaults.highFreq
                || snipEdges != defaults.snipEdges || roundToPowerOfTwo != defaults.roundToPowerOfTwo
                || usePower != defaults.usePower || useLogFbank != defaults.useLogFbank || useEnergy != defaults.useEnergy
                || htkCompat != defaults.htkCompat || energyFloor != defaults.energyFloor || rawEnergy != defaults.rawEnergy
                || subtractMean != defaults.subtractMean;
        if (changed) {
            throw new IllegalArgumentException("--kind htsat has a fixed front end (32 kHz, n_fft 1024, hop 320, "
                    + "50-14000 Hz); only --num-mel-bins and --channel apply. Drop the kaldi options or use --kind kaldi");
        }
    }

    private static int parseChannel(String value) {
        if (value.equalsIgnoreCase("mean")) {
            return WavReader.MIX_TO_MONO;
        }
        try {
            int c = Integer.parseInt(value.trim());
            if (c < 0) {
                throw new NumberFormatException();
            }
            return c;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--channel must be 'mean' or a channel index 0, 1, ..., got '" + value + "'");
        }
    }
}
