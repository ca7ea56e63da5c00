package org.mettle.train.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.mettle.train.metrics.AvvpMetrics.Event;
import org.mettle.train.metrics.AvvpMetrics.Result;
import org.mettle.train.metrics.AvvpMetrics.Scores;

/**
 * Hand-computed LLP cases on 3 classes x 10 segments. Rows are written as strings of 0/1 per segment.
 * F1 per class = 2TP / (2TP + FP + FN), averaged over classes with any positive; 1.0 when none has any.
 */
class AvvpMetricsTest {
    private static final double EPS = 1e-12;
    private static final String EMPTY = "0000000000";

    /** [class][segment] matrix from one 10-char 0/1 string per class. */
    private static boolean[][] m(String... rows) {
        boolean[][] out = new boolean[rows.length][];
        for (int c = 0; c < rows.length; c++) {
            out[c] = new boolean[rows[c].length()];
            for (int s = 0; s < rows[c].length(); s++) {
                out[c][s] = rows[c].charAt(s) == '1';
            }
        }
        return out;
    }

    private static boolean[][] none() {
        return m(EMPTY, EMPTY, EMPTY);
    }

    private static void assertScores(Scores actual, double audio, double visual, double audioVisual,
            double eventAv) {
        assertEquals(audio, actual.audio(), EPS, "audio");
        assertEquals(visual, actual.visual(), EPS, "visual");
        assertEquals(audioVisual, actual.audioVisual(), EPS, "audio-visual");
        assertEquals(eventAv, actual.eventAv(), EPS, "Event@AV");
    }

    @Test
    void perfectPredictionsScoreOneEverywhere() {
        boolean[][] audio = m("1110000111", EMPTY, "0000011000");
        boolean[][] visual = m("0111000000", "1111111111", EMPTY);
        AvvpMetrics metrics = new AvvpMetrics();
        metrics.addVideo(audio, visual, audio, visual);
        Result result = metrics.result();
        assertScores(result.segment(), 1, 1, 1, 1);
        assertScores(result.event(), 1, 1, 1, 1);
        assertEquals(1.0, result.segment().typeAv(), EPS);
    }

    @Test
    void bothEmptyCountsAsAllTrueNegativesLikeThePublicCode() {
        assertScores(AvvpMetrics.segmentLevel(none(), none(), none(), none()), 1, 1, 1, 1);
        assertScores(AvvpMetrics.eventLevel(none(), none(), none(), none()), 1, 1, 1, 1);
    }

    @Test
    void emptyPredictionsAgainstAudioTruth() {
        // Audio truth: class 0 at segments 0-2; visual truth empty, so audio-visual truth is empty.
        boolean[][] truthAudio = m("1110000000", EMPTY, EMPTY);
        // Audio: class 0 TP0 FP0 FN3 -> F1 0 -> audio 0. Visual and AV: nothing anywhere -> 1.0.
        // Event@AV: class 0 summed TP0 FN3 -> 0.  Type@AV = (0 + 1 + 1) / 3 = 2/3.
        Scores segment = AvvpMetrics.segmentLevel(none(), none(), truthAudio, none());
        assertScores(segment, 0, 1, 1, 0);
        assertEquals(2.0 / 3.0, segment.typeAv(), EPS);
        // Events: one true audio event [0,3) unmatched -> FN1 -> 0; same pattern.
        assertScores(AvvpMetrics.eventLevel(none(), none(), truthAudio, none()), 0, 1, 1, 0);
    }

    @Test
    void predictionsAgainstEmptyTruthScoreZero() {
        // Visual class 1 predicted at segments 0-1, nothing true: FP2 -> F1 0 for visual and Event@AV.
        boolean[][] predVisual = m(EMPTY, "1100000000", EMPTY);
        assertScores(AvvpMetrics.segmentLevel(none(), predVisual, none(), none()), 1, 0, 1, 0);
        assertScores(AvvpMetrics.eventLevel(none(), predVisual, none(), none()), 1, 0, 1, 0);
    }

    @Test
    void eventIouOfExactlyHalfMatches() {
        // Truth [0,4), prediction [0,2): intersection 2, union 4 -> IoU 0.5 -> TP (>= 0.5), event F1 1.
        // Segment level: TP2 FP0 FN2 -> 4 / 6 = 2/3.
        boolean[][] truth = m("1111000000", EMPTY, EMPTY);
        boolean[][] pred = m("1100000000", EMPTY, EMPTY);
        assertEquals(0.5, AvvpMetrics.iou(new int[] {0, 2}, new int[] {0, 4}), EPS);
        assertScores(AvvpMetrics.eventLevel(pred, none(), truth, none()), 1, 1, 1, 1);
        assertScores(AvvpMetrics.segmentLevel(pred, none(), truth, none()), 2.0 / 3.0, 1, 1, 2.0 / 3.0);
        // Truth [1,5), prediction [0,3) (partial overlap, shifted): intersection 2, union 5 -> IoU 0.4 -> FP1 FN1
        // -> event F1 0. Segment level: TP2 (1,2) FP1 (0) FN2 (3,4) -> 4 / 7.
        boolean[][] truthShifted = m("0111100000", EMPTY, EMPTY);
        boolean[][] predShifted = m("1110000000", EMPTY, EMPTY);
        assertScores(AvvpMetrics.eventLevel(predShifted, none(), truthShifted, none()), 0, 1, 1, 0);
        assertScores(AvvpMetrics.segmentLevel(predShifted, none(), truthShifted, none()), 4.0 / 7.0, 1, 1,
                4.0 / 7.0);
        // Truth [2,6), prediction [4,8): intersection 2, union 6 -> IoU 1/3 -> no match; prediction [3,7):
        // intersection 3, union 5 -> 0.6 -> match.
        assertArrayEquals(new int[] {0, 1, 1},
                AvvpMetrics.eventMatchCounts(List.of(new int[] {4, 8}), List.of(new int[] {2, 6})));
        assertArrayEquals(new int[] {1, 0, 0},
                AvvpMetrics.eventMatchCounts(List.of(new int[] {3, 7}), List.of(new int[] {2, 6})));
    }

    @Test
    void multipleEventsOfOneClass() {
        // Truth class 0: [0,2) and [5,8). Prediction: [0,1) (IoU 1/2 with [0,2) -> TP),
        // [6,8) (IoU 2/3 with [5,8) -> TP), [9,10) (no overlap -> FP).
        // Event level: TP2 FP1 FN0 -> 4 / 5 = 0.8.
        // Segment level: TP3 (0,6,7) FP1 (9) FN2 (1,5) -> 6 / 9 = 2/3.
        boolean[][] truth = m("1100011100", EMPTY, EMPTY);
        boolean[][] pred = m("1000001101", EMPTY, EMPTY);
        List<int[]> events = AvvpMetrics.extractEvents(pred[0]);
        assertEquals(3, events.size());
        assertArrayEquals(new int[] {0, 1}, events.get(0));
        assertArrayEquals(new int[] {6, 8}, events.get(1));
        assertArrayEquals(new int[] {9, 10}, events.get(2));
        assertScores(AvvpMetrics.eventLevel(pred, none(), truth, none()), 0.8, 1, 1, 0.8);
        assertScores(AvvpMetrics.segmentLevel(pred, none(), truth, none()), 2.0 / 3.0, 1, 1, 2.0 / 3.0);
    }

    @Test
    void audioVisualEventsAreTheIntersection() {
        // Truth: audio class 0 segs 0-4, visual class 0 segs 2-6 -> AV truth segs 2-4.
        // Prediction: audio segs 0-3, visual segs 3-6 -> AV prediction seg 3.
        boolean[][] truthAudio = m("1111100000", EMPTY, EMPTY);
        boolean[][] truthVisual = m("0011111000", EMPTY, EMPTY);
        boolean[][] predAudio = m("1111000000", EMPTY, EMPTY);
        boolean[][] predVisual = m("0001111000", EMPTY, EMPTY);
        // Segment: audio TP4 FN1 -> 8/9; visual TP4 FN1 -> 8/9; AV TP1 FN2 -> 2/4 = 1/2;
        // Event@AV: TP8 FN2 -> 16/18 = 8/9. Type@AV = (8/9 + 8/9 + 1/2) / 3 = 41/54.
        Scores segment = AvvpMetrics.segmentLevel(predAudio, predVisual, truthAudio, truthVisual);
        assertScores(segment, 8.0 / 9.0, 8.0 / 9.0, 0.5, 8.0 / 9.0);
        assertEquals(41.0 / 54.0, segment.typeAv(), EPS);
        // Event: audio [0,4) vs [0,5) IoU 4/5 -> 1; visual [3,7) vs [2,7) IoU 4/5 -> 1;
        // AV [3,4) vs [2,5) IoU 1/3 -> FP1 FN1 -> 0; Event@AV: TP2 -> 1. Type@AV = 2/3.
        Scores event = AvvpMetrics.eventLevel(predAudio, predVisual, truthAudio, truthVisual);
        assertScores(event, 1, 1, 0, 1);
        assertEquals(2.0 / 3.0, event.typeAv(), EPS);
    }

    @Test
    void scoresAverageOverActiveClassesThenOverVideos() {
        AvvpMetrics metrics = new AvvpMetrics();
        // Video 1: audio class 0 perfect (F1 1), class 1 predicted [0,2) with no truth (F1 0), class 2 silent
        // (skipped) -> audio 1/2 at both levels. Visual and AV empty -> 1. Event@AV: class 0 -> 1,
        // class 1 -> 0 -> 1/2.
        metrics.addVideo(m("0011100000", "1100000000", EMPTY), none(), m("0011100000", EMPTY, EMPTY), none());
        // Video 2: everything empty -> 1 everywhere.
        metrics.addVideo(none(), none(), none(), none());
        Result result = metrics.result();
        assertEquals(2, result.videos());
        // Means over videos: audio (1/2 + 1) / 2 = 3/4; Event@AV the same; visual and AV 1.
        assertScores(result.segment(), 0.75, 1, 1, 0.75);
        assertScores(result.event(), 0.75, 1, 1, 0.75);
        // Type@AV = (3/4 + 1 + 1) / 3 = 11/12.
        assertEquals(11.0 / 12.0, result.segment().typeAv(), EPS);
    }

    @Test
    void binarizeThresholdsInclusivelyAndMasksWithVideoPrediction() {
        // [segment][class] probabilities, 3 segments x 2 classes.
        float[][] segmentProbs = {{0.5f, 0.9f}, {0.49f, 0.8f}, {0.7f, 0.2f}};
        // Class 1's video-level probability is below threshold -> all its segments are masked off.
        boolean[][] masked = AvvpMetrics.binarize(segmentProbs, new float[] {0.6f, 0.4f}, 0.5);
        assertArrayEquals(new boolean[] {true, false, true}, masked[0]);
        assertArrayEquals(new boolean[] {false, false, false}, masked[1]);
        boolean[][] unmasked = AvvpMetrics.binarize(segmentProbs, null, 0.5);
        assertArrayEquals(new boolean[] {true, true, false}, unmasked[1]);
        assertThrows(IllegalArgumentException.class,
                () -> AvvpMetrics.binarize(segmentProbs, new float[] {0.6f}, 0.5));
    }

    @Test
    void labelMatrixFromCsvOnsetsAndOffsets() {
        // Offsets are exclusive: (0, 0, 3) sets segments 0-2; (0, 5, 7) sets 5-6; (2, 9, 10) sets 9.
        boolean[][] labels = AvvpMetrics.labelMatrix(
                List.of(new Event(0, 0, 3), new Event(0, 5, 7), new Event(2, 9, 10)), 3, 10);
        assertArrayEquals(m("1110011000", EMPTY, "0000000001"), labels);
        IllegalArgumentException late = assertThrows(IllegalArgumentException.class,
                () -> AvvpMetrics.labelMatrix(List.of(new Event(1, 8, 11)), 3, 10));
        assertTrue(late.getMessage().contains("onset < offset <= 10"), late.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> AvvpMetrics.labelMatrix(List.of(new Event(3, 0, 1)), 3, 10));
    }

    @Test
    void addVideoFromProbabilitiesAndCsvEventsMatchesTheMatrixPath() {
        // 2 segments x 2 classes. Audio: class 0 on at both segments (video 0.9), class 1 segment prob 0.8 but
        // video prob 0.3 -> masked. Truth audio: class 0 over [0,2). Visual: nothing predicted, nothing true.
        // Audio: class 0 TP2 -> 1, class 1 silent -> audio 1; visual and AV 1; Event@AV 1.
        float[][] segAudio = {{0.9f, 0.8f}, {0.6f, 0.1f}};
        float[][] segVisual = {{0.1f, 0.2f}, {0.3f, 0.4f}};
        AvvpMetrics metrics = new AvvpMetrics();
        metrics.addVideo(segAudio, segVisual, new float[] {0.9f, 0.3f}, new float[] {0.2f, 0.2f},
                List.of(new Event(0, 0, 2)), List.of(), AvvpMetrics.DEFAULT_THRESHOLD);
        Result result = metrics.result();
        assertScores(result.segment(), 1, 1, 1, 1);
        assertScores(result.event(), 1, 1, 1, 1);
        assertEquals(List.of("seg_audio", "seg_visual", "seg_av", "seg_type_av", "seg_event_av", "event_audio",
                "event_visual", "event_av", "event_type_av", "event_event_av"),
                List.copyOf(result.asMap().keySet()));
        // Without the mask class 1 fires at segment 0 with no truth: audio = (1 + 0) / 2 = 1/2.
        AvvpMetrics unmasked = new AvvpMetrics();
        unmasked.addVideo(segAudio, segVisual, null, null, List.of(new Event(0, 0, 2)), List.of(), 0.5);
        assertEquals(0.5, unmasked.result().segment().audio(), EPS);
    }

    @Test
    void mismatchedShapesAndEmptyResultAreRejected() {
        AvvpMetrics metrics = new AvvpMetrics();
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> metrics.addVideo(m(EMPTY, EMPTY), none(), none(), none()));
        assertTrue(shape.getMessage().contains("2 classes"), shape.getMessage());
        assertThrows(IllegalStateException.class, metrics::result);
    }
}
