package org.mettle.data.video;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds the ffmpeg executable: the system property {@code mettle.ffmpeg}, else the environment variable
 * {@code METTLE_FFMPEG}, else {@code ffmpeg} on PATH.
 */
public final class Ffmpeg {
    private Ffmpeg() {}

    /** The ffmpeg to run, if one is installed. */
    public static Optional<Path> find() {
        String configured = System.getProperty("mettle.ffmpeg");
        if (configured == null || configured.isBlank()) {
            configured = System.getenv("METTLE_FFMPEG");
        }
        if (configured != null && !configured.isBlank()) {
            Path p = Path.of(configured);
            return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            for (String name : new String[] {"ffmpeg", "ffmpeg.exe"}) {
                Path p = Path.of(dir, name);
                if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }

    public static boolean isAvailable() {
        return find().isPresent();
    }

    /** ffmpeg, or a {@link FfmpegNotFoundException} telling the user to install it or pass frames and a WAV. */
    public static Path require(Path forVideo) {
        return find().orElseThrow(() -> new FfmpegNotFoundException("ffmpeg is needed to decode " + forVideo
                + " but was not found (looked at -Dmettle.ffmpeg, $METTLE_FFMPEG and PATH). Install ffmpeg "
                + "(Debian/Ubuntu: apt install ffmpeg; macOS: brew install ffmpeg), or extract the frames and audio "
                + "yourself and pass --frames DIR --audio file.wav instead of --video."));
    }
}
