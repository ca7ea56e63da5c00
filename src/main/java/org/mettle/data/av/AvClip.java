package org.mettle.data.av;

import java.util.Arrays;
import java.util.List;
import org.mettle.data.ave.AveSample;
import org.mettle.data.avvp.AvvpSample;
import org.mettle.data.loader.ClipMedia;

/**
 * One training or evaluation video of either task: its media and its annotation (exactly one of ave and avvp is
 * set). The trainer, the evaluator and the batch loader see only this.
 */
public record AvClip(String id, ClipMedia media, AveSample ave, AvvpSample avvp) {
    public AvClip {
        if ((ave == null) == (avvp == null)) {
            throw new IllegalArgumentException("a clip holds exactly one of an AVE and an AVVP annotation");
        }
    }

    public static AvClip of(AveSample s) {
        return new AvClip(s.videoId(), s.media(), s, null);
    }

    public static AvClip of(AvvpSample s) {
        return new AvClip(s.filename(), s.media(), null, s);
    }

    public static List<AvClip> ofAve(List<AveSample> samples) {
        return samples.stream().map(AvClip::of).toList();
    }

    public static List<AvClip> ofAvvp(List<AvvpSample> samples) {
        return samples.stream().map(AvClip::of).toList();
    }

    /** AVE labels of the first segments segments (class index, 28 = background). */
    public int[] aveLabels(int segments) {
        return Arrays.copyOf(ave.segmentLabels(), segments);
    }
}
