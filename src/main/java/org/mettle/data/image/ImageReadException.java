package org.mettle.data.image;

import java.nio.file.Path;

/** An image file that is missing, empty, damaged or of a kind we do not decode; the message names the file. */
public final class ImageReadException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient Path path;

    public ImageReadException(Path path, String message) {
        super(path + ": " + message);
        this.path = path;
    }

    public ImageReadException(Path path, String message, Throwable cause) {
        super(path + ": " + message, cause);
        this.path = path;
    }

    public Path path() {
        return path;
    }
}
