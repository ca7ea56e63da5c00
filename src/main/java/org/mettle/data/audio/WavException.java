package org.mettle.data.audio;

/** A WAV file that cannot be read or written; the message names the file and what is wrong with it. */
public class WavException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public WavException(String message) {
        super(message);
    }

    public WavException(String message, Throwable cause) {
        super(message, cause);
    }
}
