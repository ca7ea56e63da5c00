package org.mettle.data.avvp;

import java.nio.file.Path;
import java.util.Objects;
import org.mettle.data.loader.MissingMedia;
import org.mettle.data.loader.Split;

/**
 * Where an LLP tree keeps its files (docs/data.md): the tab-separated CSVs in the root, frames in
 * {@code frames/<filename>/}, audio in {@code audio/<filename>.wav}.
 */
public record AvvpLayout(Path root, Path framesDir, Path audioDir, int segments, MissingMedia missingMedia) {
    public AvvpLayout {
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(framesDir, "framesDir");
        Objects.requireNonNull(audioDir, "audioDir");
        Objects.requireNonNull(missingMedia, "missingMedia");
        if (segments <= 0) {
            throw new IllegalArgumentException("segments must be positive, got " + segments);
        }
    }

    public static AvvpLayout of(Path root) {
        return new AvvpLayout(root, root.resolve("frames"), root.resolve("audio"), LlpClasses.SEGMENTS, MissingMedia.ERROR);
    }

    public AvvpLayout withMissingMedia(MissingMedia policy) {
        return new AvvpLayout(root, framesDir, audioDir, segments, policy);
    }

    /** AVVP_train.csv, AVVP_val_pd.csv or AVVP_test_pd.csv: filename and weak labels. */
    public Path labelFile(Split split) {
        return root.resolve(switch (split) {
            case TRAIN -> "AVVP_train.csv";
            case VAL -> "AVVP_val_pd.csv";
            case TEST -> "AVVP_test_pd.csv";
        });
    }

    public Path evalAudioFile() {
        return root.resolve("AVVP_eval_audio.csv");
    }

    public Path evalVisualFile() {
        return root.resolve("AVVP_eval_visual.csv");
    }

    public Path framesOf(String filename) {
        return framesDir.resolve(filename);
    }

    public Path audioOf(String filename) {
        return audioDir.resolve(filename + ".wav");
    }
}
