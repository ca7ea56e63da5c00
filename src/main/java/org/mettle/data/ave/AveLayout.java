package org.mettle.data.ave;

import java.nio.file.Path;
import java.util.Objects;
import org.mettle.data.loader.MissingMedia;
import org.mettle.data.loader.Split;

/**
 * Where an AVE tree keeps its files (docs/data.md): annotation files in the root, frames in
 * {@code frames/<VideoID>/} (image files in time order, at least one per segment), audio in
 * {@code audio/<VideoID>.wav}.
 */
public record AveLayout(Path root, Path framesDir, Path audioDir, int segments, MissingMedia missingMedia) {
    public AveLayout {
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(framesDir, "framesDir");
        Objects.requireNonNull(audioDir, "audioDir");
        Objects.requireNonNull(missingMedia, "missingMedia");
        if (segments <= 0) {
            throw new IllegalArgumentException("segments must be positive, got " + segments);
        }
    }

    /** The standard layout under root: root/frames, root/audio, 10 segments, missing media is an error. */
    public static AveLayout of(Path root) {
        return new AveLayout(root, root.resolve("frames"), root.resolve("audio"), AveClasses.SEGMENTS, MissingMedia.ERROR);
    }

    public AveLayout withMissingMedia(MissingMedia policy) {
        return new AveLayout(root, framesDir, audioDir, segments, policy);
    }

    /** All videos with their events. */
    public Path annotationsFile() {
        return root.resolve("Annotations.txt");
    }

    /** trainSet.txt, valSet.txt or testSet.txt. */
    public Path splitFile(Split split) {
        return root.resolve(switch (split) {
            case TRAIN -> "trainSet.txt";
            case VAL -> "valSet.txt";
            case TEST -> "testSet.txt";
        });
    }

    public Path framesOf(String videoId) {
        return framesDir.resolve(videoId);
    }

    public Path audioOf(String videoId) {
        return audioDir.resolve(videoId + ".wav");
    }
}
