package org.mettle.backend.cpu;

/**
 * Whether the Vector API ({@code jdk.incubator.vector}) is usable in this JVM. Vector kernels live in
 * classes named {@code Vector*} that are loaded only through {@link #load}, so a JVM started without
 * {@code --add-modules jdk.incubator.vector} never touches them and uses the scalar path.
 */
public final class VectorSupport {
    private static final boolean AVAILABLE = detect();

    private VectorSupport() {}

    public static boolean available() {
        return AVAILABLE;
    }

    /** One line for logs and benchmarks: which CPU path is active and why. */
    public static String describe() {
        return AVAILABLE
                ? "vector (jdk.incubator.vector)"
                : "scalar (start the JVM with --add-modules jdk.incubator.vector for the Vector API path)";
    }

    /**
     * Instantiates the vector implementation {@code vectorClass} (a no-arg constructor) when the Vector API is
     * present and enabled, otherwise returns {@code scalar}.
     */
    public static <T> T load(Class<T> type, String vectorClass, T scalar) {
        if (!AVAILABLE || Boolean.getBoolean("mettle.scalar")) {
            return scalar;
        }
        try {
            Object impl = Class.forName(vectorClass).getDeclaredConstructor().newInstance();
            return type.cast(impl);
        } catch (ReflectiveOperationException | LinkageError e) {
            return scalar;
        }
    }

    private static boolean detect() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }
}
