package org.mettle.train.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.net.URL;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.mettle.io.SafetensorsFile;
import org.mettle.train.metrics.AvvpMetrics.Result;
import org.mettle.train.metrics.AvvpMetrics.Scores;

/**
 * 40 random LLP-shaped videos (25 classes x 10 segments) scored by an independent numpy implementation of
 * the public protocol (src/test/python/make_avvp_metrics_fixtures.py): thresholding, video-level masking,
 * both F1 levels and the dataset means must agree. Expected values are stored as F32, hence 1e-6.
 */
class AvvpMetricsGoldenTest {
    private static final int SEGMENTS = 10;
    private static final int CLASSES = 25;
    private static final double TOLERANCE = 1e-6;

    @Test
    void matchesIndependentNumpyImplementationOnRandomVideos() throws Exception {
        URL url = AvvpMetricsGoldenTest.class.getResource("/golden/avvp_metrics/avvp_metrics.safetensors");
        assertNotNull(url, "missing golden/avvp_metrics/avvp_metrics.safetensors "
                + "(run /usr/bin/python3 src/test/python/make_avvp_metrics_fixtures.py)");
        try (SafetensorsFile file = SafetensorsFile.open(Path.of(url.toURI()))) {
            float[] segAudio = file.readFloats("seg_audio");
            float[] segVisual = file.readFloats("seg_visual");
            float[] videoAudio = file.readFloats("video_audio");
            float[] videoVisual = file.readFloats("video_visual");
            float[] truthAudio = file.readFloats("truth_audio");
            float[] truthVisual = file.readFloats("truth_visual");
            int videos = videoAudio.length / CLASSES;
            AvvpMetrics metrics = new AvvpMetrics();
            for (int v = 0; v < videos; v++) {
                boolean[][] predAudio = AvvpMetrics.binarize(segmentRows(segAudio, v),
                        slice(videoAudio, v * CLASSES, CLASSES), AvvpMetrics.DEFAULT_THRESHOLD);
                boolean[][] predVisual = AvvpMetrics.binarize(segmentRows(segVisual, v),
                        slice(videoVisual, v * CLASSES, CLASSES), AvvpMetrics.DEFAULT_THRESHOLD);
                metrics.addVideo(predAudio, predVisual, truthRows(truthAudio, v), truthRows(truthVisual, v));
            }
            Result result = metrics.result();
            assertEquals(40, result.videos());
            assertScores(result.segment(), file.readFloats("expected_segment"), "segment level");
            assertScores(result.event(), file.readFloats("expected_event"), "event level");
        }
    }

    private static void assertScores(Scores actual, float[] expected, String level) {
        assertEquals(expected[0], actual.audio(), TOLERANCE, level + " audio");
        assertEquals(expected[1], actual.visual(), TOLERANCE, level + " visual");
        assertEquals(expected[2], actual.audioVisual(), TOLERANCE, level + " audio-visual");
        assertEquals(expected[3], actual.eventAv(), TOLERANCE, level + " Event@AV");
    }

    /** Video v's [segment][class] probabilities from a flat [video][segment][class] array. */
    private static float[][] segmentRows(float[] flat, int video) {
        float[][] rows = new float[SEGMENTS][];
        for (int s = 0; s < SEGMENTS; s++) {
            rows[s] = slice(flat, (video * SEGMENTS + s) * CLASSES, CLASSES);
        }
        return rows;
    }

    /** Video v's [class][segment] truth from a flat [video][class][segment] 0/1 array. */
    private static boolean[][] truthRows(float[] flat, int video) {
        boolean[][] rows = new boolean[CLASSES][SEGMENTS];
        for (int c = 0; c < CLASSES; c++) {
            for (int s = 0; s < SEGMENTS; s++) {
                rows[c][s] = flat[(video * CLASSES + c) * SEGMENTS + s] > 0.5f;
            }
        }
        return rows;
    }

    private static float[] slice(float[] flat, int start, int length) {
        float[] out = new float[length];
        System.arraycopy(flat, start, out, 0, length);
        return out;
    }
}
