package org.mettle.backend.cuda;

import java.util.function.Function;

/** The CUDA backend's enum-valued system properties (kernel variants and dispatch rules), read one way. */
final class CudaSettings {
    private CudaSettings() {}

    /**
     * The constant whose spelling equals {@code value} (trimmed, any case), or {@code fallback} when the value is null
     * (the property unset); anything else is an error naming the property, the value and {@code expected}.
     */
    static <E extends Enum<E>> E choose(String property, String value, E fallback, E[] constants, Function<E, String> spelling,
                                        String expected) {
        if (value == null) {
            return fallback;
        }
        String v = value.trim();
        for (E e : constants) {
            if (spelling.apply(e).equalsIgnoreCase(v)) {
                return e;
            }
        }
        throw new IllegalArgumentException("-D" + property + "=" + v + ": expected " + expected);
    }
}
