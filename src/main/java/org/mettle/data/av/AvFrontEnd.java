package org.mettle.data.av;

import java.nio.file.Path;
import java.util.List;
import org.mettle.backend.Backend;
import org.mettle.data.audio.Audio;
import org.mettle.data.audio.FeatureMatrix;
import org.mettle.data.audio.HtsatLogMel;
import org.mettle.data.audio.KaldiFbank;
import org.mettle.data.audio.KaldiFbankOptions;
import org.mettle.data.audio.Resampler;
import org.mettle.data.image.FramePipeline;
import org.mettle.data.image.RgbImage;
import org.mettle.models.Architectures;
import org.mettle.models.htsat.HtsatModels;
import org.mettle.tensor.Tensor;

/**
 * Turns one clip's media into the per-second inputs of a visual and an audio backbone, the one convention every
 * command shares (pretraining, training, evaluation, prediction):
 * <ul>
 *   <li>frames: one image per one-second segment, bicubic resize to the visual backbone's square input, ImageNet
 *       normalisation ({@link FramePipeline#square}); result [T, 3, S, S];</li>
 *   <li>HTS-AT audio: mono, resampled to 32 kHz (in double), segment s = samples [s, s + 1) seconds, zero-padded at
 *       the end, {@link HtsatLogMel} with the architecture's mel bins; result [T, 101, mel];</li>
 *   <li>AST-style ViT audio: mono at 16 kHz, Kaldi fbank (25 ms / 10 ms, Hanning, the architecture's mel bins) per
 *       segment, normalised as AST does ((x + 4.27) / (2 * 4.57)), zero-padded or cut to the architecture's frames.</li>
 * </ul>
 */
public final class AvFrontEnd {
    /** AST's AudioSet fbank statistics. */
    private static final float AST_MEAN = -4.2677393f;
    private static final float AST_STD = 4.5689974f;

    private final String visualArch;
    private final String audioArch;
    private final int frameSide;
    private final boolean htsat;
    private final int melBins;
    private final int astFrames;
    private final FramePipeline pipeline;

    private AvFrontEnd(String visualArch, String audioArch) {
        this.visualArch = visualArch;
        this.audioArch = audioArch;
        if (Architectures.takesSpectrograms(visualArch)) {
            throw new IllegalArgumentException("visual backbone " + visualArch + " takes spectrograms; pass an image architecture");
        }
        if (!Architectures.takesSpectrograms(audioArch)) {
            throw new IllegalArgumentException("audio backbone " + audioArch + " takes images; pass a spectrogram architecture");
        }
        int[] img = Architectures.inputSpec(visualArch).dims();
        if (img[1] != img[2]) {
            throw new IllegalArgumentException(visualArch + ": non-square inputs " + img[1] + "x" + img[2] + " are not supported");
        }
        frameSide = img[1];
        int[] spec = Architectures.inputSpec(audioArch).dims();
        htsat = HtsatModels.names().contains(audioArch);
        astFrames = spec[0];
        melBins = spec[1];
        pipeline = FramePipeline.square(frameSide);
    }

    public static AvFrontEnd forArchs(String visualArch, String audioArch) {
        return new AvFrontEnd(visualArch, audioArch);
    }

    public String visualArch() {
        return visualArch;
    }

    public String audioArch() {
        return audioArch;
    }

    /** The side S of the square frames. */
    public int frameSide() {
        return frameSide;
    }

    /** Sample rate the audio features are computed at. */
    public int sampleRate() {
        return htsat ? HtsatLogMel.SAMPLE_RATE : 16000;
    }

    /** One segment's feature shape {frames, mel}. */
    public int[] audioSegmentShape() {
        return htsat ? new int[] {HtsatLogMel.numFrames(HtsatLogMel.SAMPLE_RATE), melBins} : new int[] {astFrames, melBins};
    }

    /** One frame as [3, S, S] floats. */
    public float[] frame(RgbImage image) {
        return pipeline.apply(image);
    }

    /** Frames [n, 3, S, S] from image files (one per segment); errors name the file. */
    public Tensor frames(Backend backend, List<Path> files) {
        return pipeline.tensor(backend, files);
    }

    /** Frames [n, 3, S, S] from decoded images. */
    public Tensor framesOfImages(Backend backend, List<RgbImage> images) {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("no frames given");
        }
        int per = 3 * frameSide * frameSide;
        float[] all = new float[per * images.size()];
        for (int i = 0; i < images.size(); i++) {
            System.arraycopy(pipeline.apply(images.get(i)), 0, all, i * per, per);
        }
        return Tensor.of(backend, all, images.size(), 3, frameSide, frameSide);
    }

    /** Audio features [segments, frames, mel] of the first {@code segments} seconds (zero-padded when shorter). */
    public Tensor audio(Backend backend, Audio audio, int segments) {
        float[] out = audioFeatures(audio, segments);
        int[] seg = audioSegmentShape();
        return Tensor.of(backend, out, segments, seg[0], seg[1]);
    }

    /** The raw floats of {@link #audio}: segments x frames x mel, row-major. */
    public float[] audioFeatures(Audio audio, int segments) {
        if (audio.channels() != 1) {
            throw new IllegalArgumentException("audio must be mono (mix or pick a channel first), got " + audio.channels() + " channels");
        }
        if (segments < 1) {
            throw new IllegalArgumentException("segments must be at least 1, got " + segments);
        }
        int rate = sampleRate();
        int[] seg = audioSegmentShape();
        int per = seg[0] * seg[1];
        float[] out = new float[segments * per];
        if (htsat) {
            double[] samples = audio.sampleRate() == rate ? widen(audio.samples())
                    : Resampler.forRates(audio.sampleRate(), rate).resampleDouble(audio.samples());
            HtsatLogMel mel = new HtsatLogMel(melBins);
            for (int s = 0; s < segments; s++) {
                double[] slice = new double[rate];
                int from = s * rate;
                if (from < samples.length) {
                    System.arraycopy(samples, from, slice, 0, Math.min(rate, samples.length - from));
                }
                FeatureMatrix m = mel.compute(slice);
                copyRows(m, out, s * per, seg[0], seg[1], 0f, 1f);
            }
        } else {
            float[] samples = audio.sampleRate() == rate ? audio.samples() : Resampler.resample(audio.samples(), audio.sampleRate(), rate);
            KaldiFbankOptions o = KaldiFbankOptions.astDefaults();
            o.numMelBins = melBins;
            KaldiFbank fbank = new KaldiFbank(o, rate);
            for (int s = 0; s < segments; s++) {
                float[] slice = new float[rate];
                int from = s * rate;
                if (from < samples.length) {
                    System.arraycopy(samples, from, slice, 0, Math.min(rate, samples.length - from));
                }
                FeatureMatrix m = fbank.compute(slice);
                copyRows(m, out, s * per, seg[0], seg[1], -AST_MEAN, 1f / (2f * AST_STD));
            }
        }
        return out;
    }

    /** Copies min(frames, m.frames) rows of m into out (rest stays 0), as (x + shift) * scale. */
    private static void copyRows(FeatureMatrix m, float[] out, int offset, int frames, int bins, float shift, float scale) {
        if (m.bins() != bins) {
            throw new IllegalStateException("feature bins " + m.bins() + " != " + bins);
        }
        int rows = Math.min(frames, m.frames());
        for (int i = 0; i < rows * bins; i++) {
            out[offset + i] = (m.data()[i] + shift) * scale;
        }
    }

    private static double[] widen(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }
}
