package org.mettle.train.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AveMetricsTest {
    private static final int CLASSES = 29;
    private static final int BACKGROUND = 28;

    /** Scores with a single peak at {@code predicted} per segment. */
    private static float[][] peaks(int... predicted) {
        float[][] scores = new float[predicted.length][CLASSES];
        for (int s = 0; s < predicted.length; s++) {
            scores[s][predicted[s]] = 3f;
        }
        return scores;
    }

    @Test
    void perfectPredictionsScoreOne() {
        int[] labels = {0, 0, 5, 5, 5, BACKGROUND, BACKGROUND, 5, 5, 0};
        assertEquals(1.0, AveMetrics.segmentAccuracy(new float[][][] {peaks(labels)}, new int[][] {labels}), 0.0);
    }

    @Test
    void accuracyCountsSegmentsOverAllVideosIncludingBackground() {
        // Video 1: 10 segments, wrong at segments 2 and 9 -> 8 right.
        int[] labels1 = {BACKGROUND, 3, 3, 3, 3, 3, 3, 3, 3, BACKGROUND};
        int[] predicted1 = {BACKGROUND, 3, 7, 3, 3, 3, 3, 3, 3, 3};
        // Video 2: background predicted for every segment; 4 labels are background -> 4 right.
        int[] labels2 = {BACKGROUND, BACKGROUND, 1, 1, 1, 1, 1, 1, BACKGROUND, BACKGROUND};
        int[] predicted2 = {BACKGROUND, BACKGROUND, BACKGROUND, BACKGROUND, BACKGROUND, BACKGROUND,
            BACKGROUND, BACKGROUND, BACKGROUND, BACKGROUND};
        AveMetrics metrics = new AveMetrics();
        metrics.addVideo(peaks(predicted1), labels1);
        metrics.addVideo(peaks(predicted2), labels2);
        // (8 + 4) / 20 = 0.6
        assertEquals(12, metrics.correct());
        assertEquals(20, metrics.total());
        assertEquals(0.6, metrics.accuracy(), 1e-12);
    }

    @Test
    void argmaxTakesFirstOnTiesAndWorksOnNegativeLogits() {
        assertEquals(1, AveMetrics.argmax(new float[] {-5f, -1f, -1f, -3f}));
        assertEquals(2, AveMetrics.argmax(new float[] {Float.NaN, 0f, 2f}));
        assertEquals(BACKGROUND, AveMetrics.labelsFromOneHot(peaks(BACKGROUND))[0]);
    }

    @Test
    void emptyAccumulatorIsZeroAndBadInputIsRejectedWithReason() {
        assertEquals(0.0, new AveMetrics().accuracy(), 0.0);
        AveMetrics metrics = new AveMetrics();
        IllegalArgumentException lengths = assertThrows(IllegalArgumentException.class,
                () -> metrics.addVideo(peaks(1, 2), new int[] {1}));
        assertTrue(lengths.getMessage().contains("2 scored segments but 1 labels"), lengths.getMessage());
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
                () -> metrics.addVideo(peaks(1), new int[] {29}));
        assertTrue(range.getMessage().contains("label 29"), range.getMessage());
    }
}
