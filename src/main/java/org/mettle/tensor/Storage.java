package org.mettle.tensor;

import org.mettle.memory.MemoryCategory;
import org.mettle.memory.MemoryLedger;

/**
 * Reference-counted device memory. Every storage is reported to its device's {@link MemoryLedger} when
 * created and when its last reference is released; device memory is never left to the garbage collector.
 */
public abstract class Storage {
    private final Device device;
    private final long bytes;
    private final MemoryLedger ledger;
    private MemoryCategory category;
    private int references = 1;

    protected Storage(Device device, long bytes, MemoryCategory category) {
        this.device = device;
        this.bytes = bytes;
        this.category = category;
        this.ledger = MemoryLedger.of(device);
        ledger.allocate(category, bytes);
    }

    public final Device device() {
        return device;
    }

    public final long bytes() {
        return bytes;
    }

    public final synchronized MemoryCategory category() {
        return category;
    }

    public final synchronized boolean isReleased() {
        return references == 0;
    }

    public final synchronized int references() {
        return references;
    }

    /** Re-labels the bytes (e.g. an activation that autograd keeps becomes SAVED). */
    public final synchronized void recategorize(MemoryCategory to) {
        checkLive();
        ledger.move(category, to, bytes);
        category = to;
    }

    public final synchronized Storage retain() {
        checkLive();
        references++;
        return this;
    }

    public final void release() {
        boolean free;
        synchronized (this) {
            if (references == 0) {
                throw new IllegalStateException("storage of " + bytes + " bytes on " + device + " released more often than retained");
            }
            free = --references == 0;
        }
        if (free) {
            ledger.release(category, bytes);
            free();
        }
    }

    private void checkLive() {
        if (references == 0) {
            throw new IllegalStateException("use of released " + device + " storage (" + bytes + " bytes): the tensor was closed");
        }
    }

    /** Returns the memory to the device (drop heap arrays, return device blocks to the allocator). */
    protected abstract void free();
}
