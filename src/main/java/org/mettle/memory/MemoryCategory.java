package org.mettle.memory;

/** What an allocation is for; the ledger keeps live and peak bytes per category. */
public enum MemoryCategory {
    WEIGHTS,
    ACTIVATIONS,
    /** Activations kept alive by autograd for a backward pass. */
    SAVED,
    GRADIENTS,
    OPTIMIZER,
    /** Scratch buffers of a primitive (im2col columns, attention statistics, ...). */
    WORKSPACE;

    private static final ThreadLocal<MemoryCategory> CURRENT = ThreadLocal.withInitial(() -> ACTIVATIONS);

    /** The category that new tensors on this thread get unless one is given explicitly. */
    public static MemoryCategory current() {
        return CURRENT.get();
    }

    /** Sets the default category for new tensors on this thread until the returned handle is closed. */
    public static Using using(MemoryCategory category) {
        MemoryCategory previous = CURRENT.get();
        CURRENT.set(category);
        return new Using(previous);
    }

    /** Restores the previous default category on close. */
    public static final class Using implements AutoCloseable {
        private final MemoryCategory previous;

        private Using(MemoryCategory previous) {
            this.previous = previous;
        }

        @Override
        public void close() {
            CURRENT.set(previous);
        }
    }
}
