package org.mettle.backend.cuda;

import static jcuda.driver.JCudaDriver.cuMemGetInfo;

import java.util.function.LongSupplier;

/**
 * The driver-level high-water mark of this process's device memory, to set against the {@link
 * org.mettle.memory.MemoryLedger}'s peak: the device's used bytes (cuMemGetInfo: total - free) sampled right after
 * every cuMemAlloc of the {@link CudaAllocator}, minus the used bytes sampled right before its first cuMemAlloc (the
 * baseline: the context, other processes). Device use only grows when the allocator asks the driver, so sampling there
 * sees the maximum; it counts what the ledger cannot: rounding, cached free blocks, and memory the driver takes for
 * loaded modules. Another process allocating on the same GPU meanwhile would be counted too.
 */
public final class DeviceHighWater {
    private final LongSupplier usedBytes;
    private long baseline = -1;
    private long peakUsed = -1;
    private long samples;

    DeviceHighWater(LongSupplier usedBytes) {
        this.usedBytes = usedBytes;
    }

    /** Reads cuMemGetInfo on the current context. */
    static DeviceHighWater ofDriver() {
        return new DeviceHighWater(() -> {
            long[] free = {0};
            long[] total = {0};
            cuMemGetInfo(free, total);
            return total[0] - free[0];
        });
    }

    /** Called before each cuMemAlloc; the first call records the baseline. */
    synchronized void beforeDriverAllocation() {
        if (baseline < 0) {
            baseline = usedBytes.getAsLong();
            peakUsed = baseline;
        }
    }

    /** Called after each successful cuMemAlloc. */
    synchronized void afterDriverAllocation() {
        peakUsed = Math.max(peakUsed, usedBytes.getAsLong());
        samples++;
    }

    /**
     * Starts a new window: the peak becomes the current use (the baseline stays, so later peaks still count everything
     * this process holds). Call {@link CudaAllocator#trim()} first when cached blocks from earlier work should not count.
     */
    public synchronized void reset() {
        if (baseline >= 0) {
            peakUsed = usedBytes.getAsLong();
        }
    }

    /** Peak used bytes minus the baseline since the first allocation or the last reset; 0 before any allocation. */
    public synchronized long peakBytes() {
        return baseline < 0 ? 0 : Math.max(0, peakUsed - baseline);
    }

    /** Device bytes used before this process's first allocation, or -1 before it. */
    public synchronized long baselineBytes() {
        return baseline;
    }

    /** Driver allocations sampled so far. */
    public synchronized long samples() {
        return samples;
    }
}
