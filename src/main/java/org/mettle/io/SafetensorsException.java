package org.mettle.io;

/**
 * A safetensors file could not be read or written: malformed or inconsistent header, unsupported dtype,
 * wrong tensor name or type, or an I/O failure. The message names the file and, where one is involved,
 * the tensor.
 */
public class SafetensorsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SafetensorsException(String message) {
        super(message);
    }

    public SafetensorsException(String message, Throwable cause) {
        super(message, cause);
    }
}
