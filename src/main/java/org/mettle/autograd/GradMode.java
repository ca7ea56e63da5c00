package org.mettle.autograd;

/**
 * Whether operations record a graph on this thread. A node is recorded only when grad mode is on AND an input
 * requires grad, so a frozen backbone records nothing even with grad mode on.
 */
public final class GradMode {
    private static final ThreadLocal<Boolean> ENABLED = ThreadLocal.withInitial(() -> Boolean.TRUE);

    private GradMode() {}

    public static boolean isEnabled() {
        return ENABLED.get();
    }

    /** Disables recording until the returned handle is closed: {@code try (var g = GradMode.noGrad()) {...}}. */
    public static Guard noGrad() {
        return set(false);
    }

    public static Guard enableGrad() {
        return set(true);
    }

    private static Guard set(boolean enabled) {
        boolean previous = ENABLED.get();
        ENABLED.set(enabled);
        return new Guard(previous);
    }

    /** Restores the previous mode on close. */
    public static final class Guard implements AutoCloseable {
        private final boolean previous;

        private Guard(boolean previous) {
            this.previous = previous;
        }

        @Override
        public void close() {
            ENABLED.set(previous);
        }
    }
}
