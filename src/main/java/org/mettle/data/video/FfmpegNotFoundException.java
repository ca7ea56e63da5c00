package org.mettle.data.video;

/** ffmpeg (or ffprobe) is needed to decode a video but is not installed; the message says what to do instead. */
public final class FfmpegNotFoundException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public FfmpegNotFoundException(String message) {
        super(message);
    }
}
