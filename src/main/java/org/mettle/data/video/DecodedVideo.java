package org.mettle.data.video;

import java.util.ArrayList;
import java.util.List;
import org.mettle.data.image.RgbImage;

/**
 * Frames sampled at framesPerSecond (frame k shows time k / framesPerSecond) and the mono audio track.
 */
public record DecodedVideo(List<RgbImage> frames, double framesPerSecond, float[] audio, int sampleRate) {
    public DecodedVideo {
        frames = List.copyOf(frames);
    }

    public double audioSeconds() {
        return (double) audio.length / sampleRate;
    }

    /** The frames grouped into segments of framesPerSegment consecutive frames (the last partial group dropped). */
    public List<List<RgbImage>> segments(int framesPerSegment) {
        if (framesPerSegment <= 0) {
            throw new IllegalArgumentException("framesPerSegment must be positive, got " + framesPerSegment);
        }
        List<List<RgbImage>> out = new ArrayList<>();
        for (int s = 0; (s + 1) * framesPerSegment <= frames.size(); s++) {
            out.add(frames.subList(s * framesPerSegment, (s + 1) * framesPerSegment));
        }
        return out;
    }
}
