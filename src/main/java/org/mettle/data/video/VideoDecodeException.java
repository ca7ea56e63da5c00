package org.mettle.data.video;

import java.nio.file.Path;

/** A video that ffmpeg could not decode (damaged, no video or audio stream, too long, timed out); names the file. */
public final class VideoDecodeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public VideoDecodeException(Path video, String message) {
        super(video + ": " + message);
    }

    public VideoDecodeException(Path video, String message, Throwable cause) {
        super(video + ": " + message, cause);
    }
}
