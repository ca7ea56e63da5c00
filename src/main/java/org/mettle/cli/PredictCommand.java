package org.mettle.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.data.audio.Audio;
import org.mettle.data.ave.AveClasses;
import org.mettle.data.avvp.LlpClasses;
import org.mettle.data.image.RgbImage;
import org.mettle.data.video.MediaSource;
import org.mettle.data.video.VideoDecoder;
import org.mettle.method.AvModel;
import org.mettle.method.AvvpHead;
import org.mettle.method.Task;
import org.mettle.tensor.Tensor;
import org.mettle.train.JsonText;
import org.mettle.train.RunConfig;
import org.mettle.train.RunModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Per-second predictions of a trained checkpoint on one video (or a frames directory plus a WAV). */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = "Predict per one-second segment: AVE event class probabilities, or AVVP audio and visual classes above 0.5.")
public final class PredictCommand implements Runnable {
    /** The synthetic AVE checkpoint shipped with the tiny backbones. */
    public static final String DEFAULT_CHECKPOINT = "weights/mettle_ave_tiny.safetensors";
    static final double THRESHOLD = 0.5;

    @Option(names = "--checkpoint", description = "a training checkpoint (default " + DEFAULT_CHECKPOINT + ")") String checkpoint;
    @Option(names = "--video", description = "a video file (decoded with ffmpeg)") Path video;
    @Option(names = "--frames", description = "a directory of frames, one image per second, in time order") Path frames;
    @Option(names = "--audio", description = "the WAV belonging to --frames") Path audio;
    @Option(names = "--json", description = "print one JSON object as the last line") boolean json;

    @Override
    public void run() {
        Path ckpt = checkpointPath(checkpoint);
        if (video == null && frames == null && audio == null) {
            throw new IllegalArgumentException("pass --video FILE, or --frames DIR and --audio FILE.wav");
        }
        MediaSource.MediaInput media = MediaSource.open(video, frames, audio, VideoDecoder.Options.defaults());
        Backend be = Backends.cpu();
        try (RunModel run = RunModel.fromCheckpoint(ckpt, be, System.err)) {
            Map<String, Object> result = predict(run, media, be);
            if (json) {
                System.out.println(JsonText.write(result));
            } else {
                print(result);
            }
        }
    }

    static Path checkpointPath(String given) {
        String name = given == null ? DEFAULT_CHECKPOINT : given;
        Path found = RunConfig.locate(name);
        if (found == null) {
            throw new IllegalArgumentException(given == null
                    ? "no --checkpoint given and the shipped checkpoint " + DEFAULT_CHECKPOINT + " was not found (looked in the working directory and "
                    + RunConfig.installDir() + "); train one with ./mettle train and pass --checkpoint RUN_DIR/best.safetensors"
                    : "checkpoint " + given + " does not exist");
        }
        return found;
    }

    /** {"segments":[...]} for the clip: one entry per whole second that has a frame. */
    static Map<String, Object> predict(RunModel run, MediaSource.MediaInput media, Backend be) {
        int perSecond = Math.max(1, (int) Math.round(media.framesPerSecond()));
        int segments = media.frames().size() / perSecond;
        if (segments < 1) {
            throw new IllegalArgumentException(media.description() + ": needs at least one second of frames (" + perSecond + " per second), got "
                    + media.frames().size());
        }
        List<RgbImage> middle = new ArrayList<>();
        for (int s = 0; s < segments; s++) {
            middle.add(media.frames().get(s * perSecond + perSecond / 2));
        }
        AvModel model = run.model();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("source", media.description());
        out.put("task", run.config().task);
        out.put("method", run.config().method);
        List<Object> entries = new ArrayList<>();
        try (Tensor f = run.frontEnd().framesOfImages(be, middle);
             Tensor a = run.frontEnd().audio(be, Audio.mono(media.audio(), media.sampleRate()), segments)) {
            if (model.task() == Task.AVE) {
                try (Tensor logits = model.aveLogits(f, a); Tensor probs = logits.softmax(1)) {
                    float[] p = probs.toFloatArray();
                    int classes = probs.dim(1);
                    for (int s = 0; s < segments; s++) {
                        Map<String, Object> e = new LinkedHashMap<>();
                        Map<String, Object> byLabel = new LinkedHashMap<>();
                        int best = 0;
                        for (int c = 0; c < classes; c++) {
                            byLabel.put(aveName(c), (double) p[s * classes + c]);
                            if (p[s * classes + c] > p[s * classes + best]) {
                                best = c;
                            }
                        }
                        e.put("t", s);
                        e.put("label", aveName(best));
                        e.put("probs", byLabel);
                        entries.add(e);
                    }
                }
            } else {
                try (AvvpHead.Output o = model.avvpOutput(f, a, 1, segments)) {
                    float[] pa = o.audioProb().toFloatArray();
                    float[] pv = o.visualProb().toFloatArray();
                    float[] video = o.videoProb().toFloatArray();
                    int classes = video.length;
                    for (int s = 0; s < segments; s++) {
                        Map<String, Object> e = new LinkedHashMap<>();
                        e.put("t", s);
                        e.put("audio", above(pa, s * classes, classes, video));
                        e.put("visual", above(pv, s * classes, classes, video));
                        entries.add(e);
                    }
                    out.put("video", above(video, 0, classes, null));
                }
            }
        }
        out.put("segments", entries);
        return out;
    }

    static String aveName(int c) {
        return c == AveClasses.BACKGROUND ? "background" : AveClasses.CLASSES.name(c);
    }

    /** Classes whose score (and video score, when given, as the LLP evaluation masks) is at least 0.5. */
    private static Map<String, Object> above(float[] p, int offset, int classes, float[] video) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int c = 0; c < classes; c++) {
            if (p[offset + c] >= THRESHOLD && (video == null || video[c] >= THRESHOLD)) {
                m.put(LlpClasses.CLASSES.name(c), (double) p[offset + c]);
            }
        }
        return m;
    }

    @SuppressWarnings("unchecked")
    private static void print(Map<String, Object> result) {
        System.out.println(result.get("task") + "/" + result.get("method") + " on " + result.get("source"));
        for (Object o : (List<Object>) result.get("segments")) {
            Map<String, Object> e = (Map<String, Object>) o;
            if (e.containsKey("label")) {
                Map<String, Object> probs = (Map<String, Object>) e.get("probs");
                System.out.printf(Locale.ROOT, "  %2ds  %-24s p=%.3f%n", (Integer) e.get("t"), e.get("label"), (Double) probs.get((String) e.get("label")));
            } else {
                System.out.printf(Locale.ROOT, "  %2ds  audio %s  visual %s%n", (Integer) e.get("t"), ((Map<String, Object>) e.get("audio")).keySet(),
                        ((Map<String, Object>) e.get("visual")).keySet());
            }
        }
    }
}
