package org.mettle.train.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AVVP evaluation with the LLP protocol (Tian et al., ECCV 2020), following the semantics of its public
 * evaluation code. All matrices are {@code [class][segment]} booleans (25 x 10 for LLP).
 *
 * <p>Per video:
 * <ul>
 *   <li>Predictions: segment probability {@code >= threshold} AND video-level probability {@code >= threshold}
 *       for that class (the weak prediction masks false-positive segments) — see {@link #binarize}.</li>
 *   <li>Audio-visual matrices (prediction and truth) are audio AND visual.</li>
 *   <li>Segment level: per class, TP/FP/FN are counted over the segments; F1 = 2TP / (2TP + FP + FN) is
 *       averaged over the classes with at least one predicted or true positive segment. A video with no such
 *       class scores 1.0 (all true negatives), as in the public code.</li>
 *   <li>Event@AV: per class, audio and visual TP/FP/FN are summed, then the same per-class F1 and average.</li>
 *   <li>Event level: events are maximal runs of positive segments of one class. A predicted event is a TP if
 *       it has IoU &gt;= 0.5 with some true event of that class, else an FP; a true event without any
 *       predicted event at IoU &gt;= 0.5 is an FN, as in the public {@code event_wise_metric}. That rule
 *       does not enforce one-to-one matching, but with maximal runs it need not: two disjoint runs separated
 *       by a gap cannot both reach IoU 0.5 with one interval. F1 is then formed per class and averaged as
 *       above.</li>
 * </ul>
 * Over the dataset each score is the plain mean over videos. Type@AV = mean of the audio, visual and
 * audio-visual scores; Event@AV as above. Scores are fractions in [0, 1] (the paper prints x100).
 */
public final class AvvpMetrics {
    public static final double DEFAULT_THRESHOLD = 0.5;
    public static final double EVENT_IOU_THRESHOLD = 0.5;

    /** One ground-truth event from the eval CSVs: class index, onset and offset in whole seconds, [onset, offset). */
    public record Event(int classIndex, int onset, int offset) {
    }

    /** Per-video (or dataset-mean) scores of one level: audio, visual, audio-visual and Event@AV. */
    public record Scores(double audio, double visual, double audioVisual, double eventAv) {
        /** Type@AV: mean of the audio, visual and audio-visual scores. */
        public double typeAv() {
            return (audio + visual + audioVisual) / 3.0;
        }
    }

    /** Dataset result: segment-level and event-level scores, averaged over {@code videos}. */
    public record Result(Scores segment, Scores event, int videos) {
        /** Flat named scores (fractions in [0, 1]) in a fixed order, for JSON-lines logs. */
        public Map<String, Double> asMap() {
            Map<String, Double> out = new LinkedHashMap<>();
            out.put("seg_audio", segment.audio());
            out.put("seg_visual", segment.visual());
            out.put("seg_av", segment.audioVisual());
            out.put("seg_type_av", segment.typeAv());
            out.put("seg_event_av", segment.eventAv());
            out.put("event_audio", event.audio());
            out.put("event_visual", event.visual());
            out.put("event_av", event.audioVisual());
            out.put("event_type_av", event.typeAv());
            out.put("event_event_av", event.eventAv());
            return out;
        }
    }

    private final List<Scores> segmentScores = new ArrayList<>();
    private final List<Scores> eventScores = new ArrayList<>();

    /** Adds one video's binary predictions and ground truth, all {@code [class][segment]}. */
    public void addVideo(boolean[][] predAudio, boolean[][] predVisual, boolean[][] truthAudio,
            boolean[][] truthVisual) {
        checkSameShape(predAudio, truthAudio, "audio prediction", "audio truth");
        checkSameShape(predVisual, truthVisual, "visual prediction", "visual truth");
        checkSameShape(predAudio, predVisual, "audio prediction", "visual prediction");
        segmentScores.add(segmentLevel(predAudio, predVisual, truthAudio, truthVisual));
        eventScores.add(eventLevel(predAudio, predVisual, truthAudio, truthVisual));
    }

    /**
     * Adds one video from model outputs and eval-CSV events: segment probabilities {@code [segment][class]},
     * video-level probabilities {@code [class]} (the mask; {@code null} for none), thresholded with
     * {@code threshold} (0.5 in LLP); truth built by {@link #labelMatrix}.
     */
    public void addVideo(float[][] segmentAudio, float[][] segmentVisual, float[] videoAudio, float[] videoVisual,
            List<Event> audioEvents, List<Event> visualEvents, double threshold) {
        boolean[][] predAudio = binarize(segmentAudio, videoAudio, threshold);
        boolean[][] predVisual = binarize(segmentVisual, videoVisual, threshold);
        int numClasses = predAudio.length;
        int numSegments = segmentAudio.length;
        addVideo(predAudio, predVisual, labelMatrix(audioEvents, numClasses, numSegments),
                labelMatrix(visualEvents, numClasses, numSegments));
    }

    public int videos() {
        return segmentScores.size();
    }

    /** Means over the added videos; throws if none was added (a mean over nothing is undefined). */
    public Result result() {
        if (segmentScores.isEmpty()) {
            throw new IllegalStateException("AVVP metrics: no video was added; evaluate at least one video");
        }
        return new Result(mean(segmentScores), mean(eventScores), segmentScores.size());
    }

    /** Segment-level scores of one video (see class comment). */
    public static Scores segmentLevel(boolean[][] predAudio, boolean[][] predVisual, boolean[][] truthAudio,
            boolean[][] truthVisual) {
        boolean[][] predAv = and(predAudio, predVisual);
        boolean[][] truthAv = and(truthAudio, truthVisual);
        int[][] audio = segmentCounts(predAudio, truthAudio);
        int[][] visual = segmentCounts(predVisual, truthVisual);
        int[][] audioVisual = segmentCounts(predAv, truthAv);
        return new Scores(meanClassF1(audio), meanClassF1(visual), meanClassF1(audioVisual),
                meanClassF1(sum(audio, visual)));
    }

    /** Event-level scores of one video (see class comment). */
    public static Scores eventLevel(boolean[][] predAudio, boolean[][] predVisual, boolean[][] truthAudio,
            boolean[][] truthVisual) {
        boolean[][] predAv = and(predAudio, predVisual);
        boolean[][] truthAv = and(truthAudio, truthVisual);
        int[][] audio = eventCounts(predAudio, truthAudio);
        int[][] visual = eventCounts(predVisual, truthVisual);
        int[][] audioVisual = eventCounts(predAv, truthAv);
        return new Scores(meanClassF1(audio), meanClassF1(visual), meanClassF1(audioVisual),
                meanClassF1(sum(audio, visual)));
    }

    /**
     * Thresholded, masked prediction {@code [class][segment]} from segment probabilities
     * {@code [segment][class]} and video-level probabilities {@code [class]}: segment {@code >= threshold}
     * and video {@code >= threshold}. Pass {@code null} video probabilities to skip the mask.
     */
    public static boolean[][] binarize(float[][] segmentProbs, float[] videoProbs, double threshold) {
        int numSegments = segmentProbs.length;
        int numClasses = numSegments == 0 ? (videoProbs == null ? 0 : videoProbs.length) : segmentProbs[0].length;
        if (videoProbs != null && videoProbs.length != numClasses) {
            throw new IllegalArgumentException("AVVP metrics: video-level probabilities have " + videoProbs.length
                    + " classes but segment probabilities have " + numClasses);
        }
        boolean[][] out = new boolean[numClasses][numSegments];
        for (int segment = 0; segment < numSegments; segment++) {
            if (segmentProbs[segment].length != numClasses) {
                throw new IllegalArgumentException("AVVP metrics: segment " + segment + " has "
                        + segmentProbs[segment].length + " class probabilities, expected " + numClasses);
            }
            for (int c = 0; c < numClasses; c++) {
                boolean videoOn = videoProbs == null || videoProbs[c] >= threshold;
                out[c][segment] = videoOn && segmentProbs[segment][c] >= threshold;
            }
        }
        return out;
    }

    /**
     * Ground-truth matrix {@code [class][segment]} from eval-CSV events: segments onset..offset-1 are set
     * (the public code's {@code GT[idx, onset:offset] = 1}). Overlapping events of one class merge.
     */
    public static boolean[][] labelMatrix(List<Event> events, int numClasses, int numSegments) {
        boolean[][] out = new boolean[numClasses][numSegments];
        for (Event event : events) {
            if (event.classIndex() < 0 || event.classIndex() >= numClasses) {
                throw new IllegalArgumentException("AVVP metrics: event " + event + " has class index "
                        + event.classIndex() + ", expected [0, " + numClasses + ")");
            }
            if (event.onset() < 0 || event.offset() > numSegments || event.onset() >= event.offset()) {
                throw new IllegalArgumentException("AVVP metrics: event " + event + " needs 0 <= onset < offset <= "
                        + numSegments + " (whole seconds); fix the eval CSV row");
            }
            for (int s = event.onset(); s < event.offset(); s++) {
                out[event.classIndex()][s] = true;
            }
        }
        return out;
    }

    /** Maximal runs of true values as {start, endExclusive} pairs, in order. */
    public static List<int[]> extractEvents(boolean[] sequence) {
        List<int[]> events = new ArrayList<>();
        int s = 0;
        while (s < sequence.length) {
            if (!sequence[s]) {
                s++;
                continue;
            }
            int start = s;
            while (s < sequence.length && sequence[s]) {
                s++;
            }
            events.add(new int[] {start, s});
        }
        return events;
    }

    /** Temporal IoU of two [start, end) intervals. */
    public static double iou(int[] a, int[] b) {
        int intersection = Math.max(0, Math.min(a[1], b[1]) - Math.max(a[0], b[0]));
        int union = (a[1] - a[0]) + (b[1] - b[0]) - intersection;
        return union == 0 ? 0.0 : (double) intersection / union;
    }

    /** {TP, FP, FN} of the public event-wise rule for one class (see class comment). */
    public static int[] eventMatchCounts(List<int[]> predicted, List<int[]> truth) {
        int tp = 0;
        int fp = 0;
        int fn = 0;
        for (int[] p : predicted) {
            if (matchesAny(p, truth)) {
                tp++;
            } else {
                fp++;
            }
        }
        for (int[] t : truth) {
            if (!matchesAny(t, predicted)) {
                fn++;
            }
        }
        return new int[] {tp, fp, fn};
    }

    private static boolean matchesAny(int[] event, List<int[]> others) {
        for (int[] other : others) {
            // Compared as 2*intersection >= union so exactly 0.5 counts without floating-point doubt.
            int intersection = Math.max(0, Math.min(event[1], other[1]) - Math.max(event[0], other[0]));
            int union = (event[1] - event[0]) + (other[1] - other[0]) - intersection;
            if (2 * intersection >= union) {
                return true;
            }
        }
        return false;
    }

    /** Per class {TP, FP, FN} over segments. */
    private static int[][] segmentCounts(boolean[][] pred, boolean[][] truth) {
        int[][] counts = new int[pred.length][3];
        for (int c = 0; c < pred.length; c++) {
            for (int s = 0; s < pred[c].length; s++) {
                if (pred[c][s] && truth[c][s]) {
                    counts[c][0]++;
                } else if (pred[c][s]) {
                    counts[c][1]++;
                } else if (truth[c][s]) {
                    counts[c][2]++;
                }
            }
        }
        return counts;
    }

    /** Per class {TP, FP, FN} over events. */
    private static int[][] eventCounts(boolean[][] pred, boolean[][] truth) {
        int[][] counts = new int[pred.length][];
        for (int c = 0; c < pred.length; c++) {
            counts[c] = eventMatchCounts(extractEvents(pred[c]), extractEvents(truth[c]));
        }
        return counts;
    }

    /** Mean over classes with TP+FP+FN > 0 of 2TP/(2TP+FP+FN); 1.0 when no class qualifies. */
    static double meanClassF1(int[][] counts) {
        double sum = 0.0;
        int used = 0;
        for (int[] c : counts) {
            int tp = c[0];
            int errors = c[1] + c[2];
            if (tp + errors > 0) {
                sum += 2.0 * tp / (2.0 * tp + errors);
                used++;
            }
        }
        return used == 0 ? 1.0 : sum / used;
    }

    private static int[][] sum(int[][] a, int[][] b) {
        int[][] out = new int[a.length][3];
        for (int c = 0; c < a.length; c++) {
            for (int k = 0; k < 3; k++) {
                out[c][k] = a[c][k] + b[c][k];
            }
        }
        return out;
    }

    private static boolean[][] and(boolean[][] a, boolean[][] b) {
        boolean[][] out = new boolean[a.length][];
        for (int c = 0; c < a.length; c++) {
            out[c] = new boolean[a[c].length];
            for (int s = 0; s < a[c].length; s++) {
                out[c][s] = a[c][s] && b[c][s];
            }
        }
        return out;
    }

    private static void checkSameShape(boolean[][] a, boolean[][] b, String nameA, String nameB) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("AVVP metrics: " + nameA + " has " + a.length + " classes but "
                    + nameB + " has " + b.length + "; both must be [class][segment]");
        }
        for (int c = 0; c < a.length; c++) {
            if (a[c].length != b[c].length) {
                throw new IllegalArgumentException("AVVP metrics: class " + c + ": " + nameA + " has "
                        + a[c].length + " segments but " + nameB + " has " + b[c].length);
            }
        }
    }

    private static Scores mean(List<Scores> all) {
        double audio = 0;
        double visual = 0;
        double audioVisual = 0;
        double eventAv = 0;
        for (Scores s : all) {
            audio += s.audio();
            visual += s.visual();
            audioVisual += s.audioVisual();
            eventAv += s.eventAv();
        }
        int n = all.size();
        return new Scores(audio / n, visual / n, audioVisual / n, eventAv / n);
    }
}
