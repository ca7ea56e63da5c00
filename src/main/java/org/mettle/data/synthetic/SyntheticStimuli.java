package org.mettle.data.synthetic;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.mettle.data.image.RgbImage;

/**
 * Single images and sounds drawn with the same class looks and class sounds as the synthetic datasets, in memory
 * (no files), for single-modality pretraining ({@code org.mettle.pretrain}). The datasets' renderers are
 * package-private; this is their public face.
 */
public final class SyntheticStimuli {
    private SyntheticStimuli() {}

    /** An object of a class: centre (cx, cy) and radius in pixels. */
    public record PlacedObject(int classIndex, double cx, double cy, double radius) {}

    /** A class heard at a gain (the datasets use 0.45 for events and 0.2 for off-screen sounds). */
    public record HeardClass(int classIndex, double gain) {}

    /** Number of distinct classes the looks and sounds cover (AVE's 28 events). */
    public static final int CLASSES = 28;

    /**
     * A frame: a fresh low-contrast noisy background drawn from rng (as each synthetic video's), then the objects in
     * order, later ones on top.
     */
    public static RgbImage image(int width, int height, List<PlacedObject> objects, SplittableRandom rng) {
        List<Scene.Item> items = new ArrayList<>(objects.size());
        for (PlacedObject o : objects) {
            checkClass(o.classIndex());
            if (!(o.radius() > 0)) {
                throw new IllegalArgumentException("object radius must be positive, got " + o.radius());
            }
            items.add(new Scene.Item(o.classIndex(), o.cx(), o.cy(), o.radius()));
        }
        return new Scene(width, height, rng).render(items);
    }

    /** Mono samples in [-1, 1] of the given classes playing together for seconds, plus white noise of level noise. */
    public static float[] sound(List<HeardClass> heard, double seconds, int sampleRate, double noise, SplittableRandom rng) {
        List<ToneSynth.Voice> voices = new ArrayList<>(heard.size());
        int classCount = 0;
        for (HeardClass h : heard) {
            checkClass(h.classIndex());
            voices.add(new ToneSynth.Voice(h.classIndex(), h.gain()));
            classCount = Math.max(classCount, h.classIndex() + 1);
        }
        return ToneSynth.render(List.of(voices), seconds, sampleRate, noise, rng, classCount);
    }

    private static void checkClass(int k) {
        if (k < 0 || k >= CLASSES) {
            throw new IllegalArgumentException("synthetic class index must be in [0, " + CLASSES + "), got " + k);
        }
    }
}
