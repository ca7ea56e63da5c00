package org.mettle.backend.cuda;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import jcuda.CudaException;
import jcuda.driver.CUdeviceptr;
import org.mettle.memory.MemoryLedger;
import org.mettle.tensor.Device;

/**
 * Caching device allocator: sizes are rounded up (512 B below 1 MiB, 2 MiB above), freed blocks go to a free list of
 * their rounded size and are handed out again before cuMemAlloc is asked; {@link #trim()} returns cached blocks to the
 * driver (also done once automatically when cuMemAlloc runs out of memory). Exact requested bytes are counted by the
 * {@link MemoryLedger} through {@link CudaStorage}; this class counts the rounded blocks.
 */
public final class CudaAllocator {
    static final long SMALL_ROUND = 512;
    static final long LARGE_ROUND = 2L << 20;
    static final long LARGE_FROM = 1L << 20;

    private final CudaRuntime runtime;
    private final Map<Long, ArrayDeque<CUdeviceptr>> free = new HashMap<>();
    /** Blocks handed out and not yet freed, so that {@link #releaseAll()} can return them at exit. */
    private final Map<CUdeviceptr, Long> outstanding = new IdentityHashMap<>();
    private boolean released;
    private long inUseBytes;
    private long cachedBytes;
    private long peakReservedBytes;
    private long peakInUseBytes;
    /** Set by {@link CudaBackend} when {@link CudaProfiler#enabled()}. */
    CudaProfiler profiler;
    private long driverAllocations;
    private long reuses;
    private long trims;
    private final DeviceHighWater highWater = DeviceHighWater.ofDriver();

    CudaAllocator(CudaRuntime runtime) {
        this.runtime = runtime;
    }

    /** The driver-level high-water mark of this allocator's device memory (sampled at each cuMemAlloc). */
    public DeviceHighWater highWater() {
        return highWater;
    }

    static long roundedSize(long bytes) {
        long b = Math.max(bytes, 1);
        long unit = b >= LARGE_FROM ? LARGE_ROUND : SMALL_ROUND;
        return (b + unit - 1) / unit * unit;
    }

    /** A block of at least {@code bytes} bytes; the caller frees it with {@link #free(CUdeviceptr, long)}. */
    synchronized CUdeviceptr allocate(long bytes) {
        if (released) {
            throw new IllegalStateException("the CUDA allocator was released (the JVM is shutting down); no device memory can be allocated");
        }
        long size = roundedSize(bytes);
        ArrayDeque<CUdeviceptr> list = free.get(size);
        if (list != null && !list.isEmpty()) {
            reuses++;
            cachedBytes -= size;
            inUseBytes += size;
            peakInUseBytes = Math.max(peakInUseBytes, inUseBytes);
            CUdeviceptr p = list.pop();
            outstanding.put(p, size);
            return p;
        }
        runtime.makeCurrent();
        CUdeviceptr p = new CUdeviceptr();
        long t0 = System.nanoTime();
        highWater.beforeDriverAllocation();
        try {
            cuMemAlloc(p, size);
        } catch (CudaException e) {
            if (cachedBytes == 0) {
                throw outOfMemory(bytes, e);
            }
            trim();
            try {
                cuMemAlloc(p, size);
            } catch (CudaException again) {
                throw outOfMemory(bytes, again);
            }
        }
        highWater.afterDriverAllocation();
        if (profiler != null) {
            profiler.add("alloc cuMemAlloc", System.nanoTime() - t0, size);
        }
        driverAllocations++;
        inUseBytes += size;
        peakInUseBytes = Math.max(peakInUseBytes, inUseBytes);
        peakReservedBytes = Math.max(peakReservedBytes, inUseBytes + cachedBytes);
        outstanding.put(p, size);
        return p;
    }

    synchronized void free(CUdeviceptr p, long bytes) {
        if (released || outstanding.remove(p) == null) {
            return; // after releaseAll(), or a block this allocator no longer tracks: nothing to return
        }
        long size = roundedSize(bytes);
        free.computeIfAbsent(size, k -> new ArrayDeque<>()).push(p);
        inUseBytes -= size;
        cachedBytes += size;
    }

    /** Returns every cached block to the driver; returns the bytes released. */
    public synchronized long trim() {
        runtime.makeCurrent();
        long released = 0;
        for (Map.Entry<Long, ArrayDeque<CUdeviceptr>> e : free.entrySet()) {
            for (CUdeviceptr p : e.getValue()) {
                cuMemFree(p);
                released += e.getKey();
            }
        }
        free.clear();
        cachedBytes -= released;
        trims++;
        return released;
    }

    /**
     * Returns every block to the driver, cached and still in use, and refuses allocations from then on. Runs from a
     * shutdown hook (so that compute-sanitizer's leak check sees a clean exit); tensors still open become unusable.
     */
    public synchronized void releaseAll() {
        if (released) {
            return;
        }
        try {
            runtime.makeCurrent();
            trim();
            for (CUdeviceptr p : outstanding.keySet()) {
                cuMemFree(p);
            }
        } catch (RuntimeException e) {
            // the context may already be gone at exit; nothing left to return then
        } finally {
            outstanding.clear();
            inUseBytes = 0;
            released = true;
        }
    }

    private IllegalStateException outOfMemory(long bytes, CudaException e) {
        long[] fr = {0};
        long[] tot = {0};
        try {
            cuMemGetInfo(fr, tot);
        } catch (CudaException ignored) {
            // report what we know
        }
        return new IllegalStateException("CUDA out of memory allocating " + MemoryLedger.bytes(bytes) + " (device free "
                + MemoryLedger.bytes(fr[0]) + " of " + MemoryLedger.bytes(tot[0]) + ", this process holds "
                + MemoryLedger.bytes(inUseBytes) + " in tensors): reduce the batch size or use --device cpu ("
                + e.getMessage() + ")");
    }

    public synchronized Stats stats() {
        return new Stats(inUseBytes, cachedBytes, peakInUseBytes, peakReservedBytes, driverAllocations, reuses, trims);
    }

    /** Starts new peak windows: the peaks become what is held now. */
    public synchronized void resetPeaks() {
        peakInUseBytes = inUseBytes;
        peakReservedBytes = inUseBytes + cachedBytes;
    }

    /**
     * Compares the ledger and this allocator with the driver's cuMemGetInfo: the ledger's live bytes must not exceed the
     * allocator's rounded in-use bytes, and the reserved bytes must not exceed what the device reports as used.
     */
    public synchronized MemoryCheck checkAgainstDevice() {
        runtime.makeCurrent();
        long[] fr = {0};
        long[] tot = {0};
        cuMemGetInfo(fr, tot);
        long ledgerLive = MemoryLedger.of(Device.CUDA).liveTotal();
        return new MemoryCheck(ledgerLive, inUseBytes, inUseBytes + cachedBytes, tot[0] - fr[0], tot[0]);
    }

    public record Stats(long inUseBytes, long cachedBytes, long peakInUseBytes, long peakReservedBytes, long driverAllocations,
                        long reuses, long trims) {
        public String toJson() {
            return "{\"inUseBytes\":" + inUseBytes + ",\"cachedBytes\":" + cachedBytes + ",\"peakInUseBytes\":" + peakInUseBytes
                    + ",\"peakReservedBytes\":" + peakReservedBytes + ",\"driverAllocations\":" + driverAllocations + ",\"reuses\":" + reuses
                    + ",\"trims\":" + trims + "}";
        }
    }

    /** Byte counts from the ledger, the allocator and the driver at one moment. */
    public record MemoryCheck(long ledgerLiveBytes, long allocatorInUseBytes, long allocatorReservedBytes,
                              long deviceUsedBytes, long deviceTotalBytes) {
        public boolean consistent() {
            return ledgerLiveBytes <= allocatorInUseBytes && allocatorReservedBytes <= deviceUsedBytes;
        }

        public String describe() {
            return "ledger live " + ledgerLiveBytes + " B <= allocator in use " + allocatorInUseBytes
                    + " B; allocator reserved " + allocatorReservedBytes + " B <= device used " + deviceUsedBytes
                    + " B (of " + deviceTotalBytes + ")";
        }
    }
}
