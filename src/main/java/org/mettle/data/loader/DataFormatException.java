package org.mettle.data.loader;

import java.nio.file.Path;

/**
 * Bad dataset input: a malformed annotation line, an unknown class name, a missing frame or audio file. The
 * message starts with "file:line: " (or "file: " when no line applies) and says what to do.
 */
public final class DataFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient Path file;
    private final int line;

    public DataFormatException(Path file, int line, String message) {
        super(location(file, line) + message);
        this.file = file;
        this.line = line;
    }

    public DataFormatException(Path file, int line, String message, Throwable cause) {
        super(location(file, line) + message, cause);
        this.file = file;
        this.line = line;
    }

    static String location(Path file, int line) {
        return file + (line > 0 ? ":" + line : "") + ": ";
    }

    /** The file at fault. */
    public Path file() {
        return file;
    }

    /** 1-based line number, or 0 when the problem is not tied to a line. */
    public int line() {
        return line;
    }
}
