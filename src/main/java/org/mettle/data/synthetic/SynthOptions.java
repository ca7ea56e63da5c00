package org.mettle.data.synthetic;

/**
 * Settings shared by the synthetic generators. classes = 0 uses every class of the dataset; a smaller number uses
 * its first classes (an easier task with few videos). heldOut = 0 puts 15 % of the videos in val and 15 % in test;
 * a positive value puts exactly that many in each (a larger test split measures accuracy more precisely without
 * changing how much the model trains on).
 */
public record SynthOptions(int videos, long seed, int width, int height, int sampleRate, int framesPerSegment, int classes,
                           double noise, int heldOut) {
    public SynthOptions {
        if (videos <= 0) {
            throw new IllegalArgumentException("--videos must be positive, got " + videos);
        }
        if (width < 16 || height < 16 || width > 4096 || height > 4096) {
            throw new IllegalArgumentException("frame size must be between 16 and 4096 pixels a side, got " + width + "x" + height);
        }
        if (sampleRate < 4000 || sampleRate > 192000) {
            throw new IllegalArgumentException("--sample-rate must be between 4000 and 192000 Hz, got " + sampleRate);
        }
        if (framesPerSegment <= 0 || framesPerSegment > 64) {
            throw new IllegalArgumentException("--frames-per-segment must be between 1 and 64, got " + framesPerSegment);
        }
        if (classes < 0) {
            throw new IllegalArgumentException("--classes must be 0 (all) or positive, got " + classes);
        }
        if (!(noise >= 0 && noise < 1)) {
            throw new IllegalArgumentException("noise level must be in [0, 1), got " + noise);
        }
        if (heldOut < 0 || (heldOut > 0 && 2L * heldOut >= videos)) {
            throw new IllegalArgumentException("--held-out must be 0 (15 % each) or leave training videos: 2 x " + heldOut
                    + " held-out videos of " + videos);
        }
    }

    /** 64x64 frames, 16 kHz audio, one frame per segment, all classes, noise 0.02. */
    public static SynthOptions defaults(int videos, long seed) {
        return new SynthOptions(videos, seed, 64, 64, 16000, 1, 0, 0.02, 0);
    }

    public SynthOptions withSize(int w, int h) {
        return new SynthOptions(videos, seed, w, h, sampleRate, framesPerSegment, classes, noise, heldOut);
    }

    public SynthOptions withSampleRate(int rate) {
        return new SynthOptions(videos, seed, width, height, rate, framesPerSegment, classes, noise, heldOut);
    }

    public SynthOptions withFramesPerSegment(int n) {
        return new SynthOptions(videos, seed, width, height, sampleRate, n, classes, noise, heldOut);
    }

    public SynthOptions withClasses(int n) {
        return new SynthOptions(videos, seed, width, height, sampleRate, framesPerSegment, n, noise, heldOut);
    }

    /** Videos in val and in test each (0 = 15 % of the videos each). */
    public SynthOptions withHeldOut(int n) {
        return new SynthOptions(videos, seed, width, height, sampleRate, framesPerSegment, classes, noise, n);
    }

    /** Classes in use for a dataset of datasetClasses classes. */
    int classCount(int datasetClasses) {
        if (classes > datasetClasses) {
            throw new IllegalArgumentException("--classes " + classes + " is more than the " + datasetClasses + " classes of the dataset");
        }
        return classes == 0 ? datasetClasses : classes;
    }

    /** A generator for video i, independent of the others (so videos can be made in any order or in parallel). */
    java.util.SplittableRandom random(int video, long salt) {
        long z = seed * 0x9E3779B97F4A7C15L + video * 0xBF58476D1CE4E5B9L + salt;
        return new java.util.SplittableRandom(z);
    }
}
