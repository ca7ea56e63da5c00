package org.mettle.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mettle.backend.Backend;
import org.mettle.data.av.AvBatch;
import org.mettle.data.av.AvBatches;
import org.mettle.data.av.AvClip;
import org.mettle.data.avvp.AvvpEvent;
import org.mettle.data.avvp.AvvpSample;
import org.mettle.data.loader.PrefetchLoader;
import org.mettle.method.AvModel;
import org.mettle.method.AvvpHead;
import org.mettle.method.Task;
import org.mettle.tensor.Tensor;
import org.mettle.train.metrics.AveMetrics;
import org.mettle.train.metrics.AvvpMetrics;

/**
 * Forward-only evaluation of a model over clips: AVE segment accuracy ({@link AveMetrics}) or the LLP metrics
 * ({@link AvvpMetrics}, threshold 0.5, segment predictions masked by the video prediction).
 */
public final class Evaluator {
    /** The metric a run selects its best checkpoint by. */
    public static String primaryMetric(Task task) {
        return task == Task.AVE ? "accuracy" : "seg_type_av";
    }

    private Evaluator() {}

    /** Metrics by name (fractions in [0, 1]), in a fixed order. */
    public static Map<String, Double> evaluate(RunModel run, List<AvClip> clips, Backend backend) {
        RunConfig c = run.config();
        AvModel model = run.model();
        int segments = c.segments;
        AveMetrics ave = new AveMetrics();
        AvvpMetrics avvp = new AvvpMetrics();
        try (PrefetchLoader<AvClip, AvBatches.Loaded, AvBatch> loader = AvBatches.loader(clips, run.frontEnd(), segments, c.batch, false, 0, 0,
                c.workers)) {
            while (loader.hasNext()) {
                AvBatch batch = loader.next();
                try (Tensor frames = Tensor.of(backend, batch.frames(), batch.frameShape());
                     Tensor audio = Tensor.of(backend, batch.audio(), batch.audioShape())) {
                    if (model.task() == Task.AVE) {
                        try (Tensor logits = model.aveLogits(frames, audio)) {
                            float[] all = logits.toFloatArray();
                            int classes = logits.dim(1);
                            for (int v = 0; v < batch.size(); v++) {
                                ave.addVideo(rows(all, v * segments, segments, classes), batch.clips().get(v).aveLabels(segments));
                            }
                        }
                    } else {
                        try (AvvpHead.Output out = model.avvpOutput(frames, audio, batch.size(), segments)) {
                            float[] video = out.videoProb().toFloatArray();
                            float[] a = out.audioProb().toFloatArray();
                            float[] vis = out.visualProb().toFloatArray();
                            int classes = out.videoProb().dim(1);
                            for (int v = 0; v < batch.size(); v++) {
                                AvvpSample s = batch.clips().get(v).avvp();
                                if (!s.hasEventAnnotations()) {
                                    throw new IllegalArgumentException("video " + s.filename() + " (" + s.source() + ") has no event annotations;"
                                            + " AVVP evaluation needs the val or test split with AVVP_eval_audio.csv and AVVP_eval_visual.csv");
                                }
                                float[] videoRow = java.util.Arrays.copyOfRange(video, v * classes, (v + 1) * classes);
                                avvp.addVideo(rows(a, v * segments, segments, classes), rows(vis, v * segments, segments, classes), videoRow, videoRow,
                                        events(s.audioEvents(), segments), events(s.visualEvents(), segments), AvvpMetrics.DEFAULT_THRESHOLD);
                            }
                        }
                    }
                }
            }
        }
        if (model.task() == Task.AVE) {
            Map<String, Double> out = new LinkedHashMap<>();
            out.put("accuracy", ave.accuracy());
            return out;
        }
        return avvp.result().asMap();
    }

    /** rows [firstRow, firstRow + count) of a row-major [*, width] array. */
    static float[][] rows(float[] all, int firstRow, int count, int width) {
        float[][] out = new float[count][];
        for (int r = 0; r < count; r++) {
            out[r] = java.util.Arrays.copyOfRange(all, (firstRow + r) * width, (firstRow + r + 1) * width);
        }
        return out;
    }

    /** Events clipped to the first segments seconds, as whole seconds [int(onset), int(offset)). */
    static List<AvvpMetrics.Event> events(List<AvvpEvent> events, int segments) {
        List<AvvpMetrics.Event> out = new ArrayList<>();
        for (AvvpEvent e : events) {
            int on = Math.max(0, (int) e.onset());
            int off = Math.min(segments, (int) e.offset());
            if (on < off) {
                out.add(new AvvpMetrics.Event(e.classIndex(), on, off));
            }
        }
        return out;
    }
}
