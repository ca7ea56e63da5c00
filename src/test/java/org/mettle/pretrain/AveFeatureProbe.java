package org.mettle.pretrain;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.data.audio.WavReader;
import org.mettle.data.av.AvFrontEnd;
import org.mettle.data.synthetic.SynthOptions;
import org.mettle.data.synthetic.SyntheticAve;
import org.mettle.models.Architectures;
import org.mettle.models.Backbone;
import org.mettle.tensor.Tensor;

/**
 * A one-off check (not a unit test; run by hand, see weights/README.md): are the shipped frozen backbones' pooled
 * features useful on synthetic AVE segments? Generates a synthetic AVE set, labels each one-second segment by what
 * it shows (visual: the one visible object's class, or "nothing") or plays (audio: the one audible class, or
 * "nothing"), skips segments with two, and fits a linear probe on the first 60 % of the videos, scored on the rest;
 * pretrained weights against random init.
 *
 * <p>Args: VISUAL_WEIGHTS AUDIO_WEIGHTS [VIDEOS [SEED]].
 */
public final class AveFeatureProbe {
    private static final String VISUAL = "swinv2_mini_window4_64";
    private static final String AUDIO = "htsat_mini";
    private static final int NOTHING = 28;

    public static void main(String[] args) throws Exception {
        Path visualWeights = Path.of(args[0]);
        Path audioWeights = Path.of(args[1]);
        int videos = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        long seed = args.length > 3 ? Long.parseLong(args[3]) : 11;
        Path dir = Files.createTempDirectory("ave-probe");
        SyntheticAve.Result set = SyntheticAve.generate(dir.resolve("ave"), SynthOptions.defaults(videos, seed));
        Backend be = Backends.cpu();
        AvFrontEnd front = AvFrontEnd.forArchs(VISUAL, AUDIO);
        List<Path> frames = new ArrayList<>();
        List<Integer> frameLabels = new ArrayList<>();
        List<Boolean> frameTrain = new ArrayList<>();
        List<float[]> mel = new ArrayList<>();
        List<Integer> melLabels = new ArrayList<>();
        List<Boolean> melTrain = new ArrayList<>();
        int trainVideos = videos * 6 / 10;
        for (int v = 0; v < set.videos().size(); v++) {
            SyntheticAve.Video video = set.videos().get(v);
            boolean train = v < trainVideos;
            float[] feats = front.audioFeatures(WavReader.read(set.root().resolve("audio").resolve(video.videoId() + ".wav")), 10);
            int per = feats.length / 10;
            for (int s = 0; s < 10; s++) {
                TreeSet<Integer> seen = video.visible().get(s);
                if (seen.size() <= 1) {
                    frames.add(set.root().resolve("frames").resolve(video.videoId()).resolve(String.format(Locale.ROOT, "%04d.png", s)));
                    frameLabels.add(seen.isEmpty() ? NOTHING : seen.first());
                    frameTrain.add(train);
                }
                TreeSet<Integer> heard = video.audible().get(s);
                if (heard.size() <= 1) {
                    float[] one = new float[per];
                    System.arraycopy(feats, s * per, one, 0, per);
                    mel.add(one);
                    melLabels.add(heard.isEmpty() ? NOTHING : heard.first());
                    melTrain.add(train);
                }
            }
        }
        float[] melAll = new float[mel.size() * mel.get(0).length];
        for (int i = 0; i < mel.size(); i++) {
            System.arraycopy(mel.get(i), 0, melAll, i * mel.get(0).length, mel.get(0).length);
        }
        int[] seg = front.audioSegmentShape();
        try (Tensor frameInputs = front.frames(be, frames); Tensor melInputs = Tensor.of(be, melAll, mel.size(), seg[0], seg[1])) {
            for (boolean pretrained : new boolean[] {true, false}) {
                report("visual", VISUAL, pretrained ? visualWeights : null, frameInputs, frameLabels, frameTrain);
                report("audio", AUDIO, pretrained ? audioWeights : null, melInputs, melLabels, melTrain);
            }
        }
    }

    private static void report(String what, String arch, Path weights, Tensor inputs, List<Integer> labels, List<Boolean> train) {
        try (Backbone b = Architectures.create(arch, Backends.cpu(), 0)) {
            if (weights != null) {
                Architectures.loadWeights(b, weights);
            }
            float[] x = LinearProbe.pooledFeatures(b, inputs);
            int d = x.length / labels.size();
            int nTrain = (int) train.stream().filter(t -> t).count();
            float[] xTrain = new float[nTrain * d];
            float[] xTest = new float[(labels.size() - nTrain) * d];
            int[] yTrain = new int[nTrain];
            int[] yTest = new int[labels.size() - nTrain];
            int a = 0;
            int c = 0;
            for (int i = 0; i < labels.size(); i++) {
                if (train.get(i)) {
                    System.arraycopy(x, i * d, xTrain, a * d, d);
                    yTrain[a++] = labels.get(i);
                } else {
                    System.arraycopy(x, i * d, xTest, c * d, d);
                    yTest[c++] = labels.get(i);
                }
            }
            LinearProbe.Score s = LinearProbe.fitFeatures(Backends.cpu(), xTrain, yTrain, xTest, yTest, NOTHING + 1, 300, 0);
            System.out.printf(Locale.ROOT, "%s %s (%s): AVE segments, linear probe on frozen pooled features: test %.4f (%d segments),"
                    + " train %.4f (%d)%n", what, arch, weights == null ? "random init" : weights.getFileName(), s.testAccuracy(),
                    s.testExamples(), s.trainAccuracy(), s.trainExamples());
        }
    }
}
