package org.mettle.backend.cuda;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import jcuda.CudaException;
import jcuda.driver.CUdeviceptr;
import org.mettle.memory.MemoryLedger;
import org.mettle.tensor.Device;

/**
 * Caching device allocator with best-fit splitting (the scheme PyTorch's caching allocator made common): requests
 * round up to 512 B and are cut from segments taken from the driver with cuMemAlloc: requests up to 1 MiB share
 * 2 MiB segments, requests up to 10 MiB share 20 MiB segments, larger ones get a segment of their own (rounded to
 * 2 MiB) that later, smaller requests may split. A request takes the smallest free block that fits (best fit),
 * splitting off the rest; a freed block merges with free neighbours of its segment. So the memory held from the
 * driver stays close to the peak of the bytes in use, instead of growing by one cached block per distinct size.
 * {@link #trim()} returns wholly free segments to the driver (also done once automatically when cuMemAlloc runs out
 * of memory). Exact requested bytes are counted by the {@link MemoryLedger} through {@link CudaStorage}; this class
 * counts the rounded blocks ("in use") and the segments ("reserved"). {@code -Dmettle.cuda.allocator=direct} gives
 * every block its own cuMemAlloc and frees it at once (no caching): slower, but compute-sanitizer's memcheck then
 * sees every block's bounds (inside a shared segment an overrun into a neighbour is not an error to it).
 */
public final class CudaAllocator {
    static final long ROUND = 512;
    static final long SMALL_MAX = 1L << 20;
    static final long SMALL_SEGMENT = 2L << 20;
    static final long SHARED_MAX = 10L << 20;
    static final long SHARED_SEGMENT = 20L << 20;
    static final long SEGMENT_ROUND = 2L << 20;

    /** The driver calls this allocator makes; a fake in tests. */
    interface DeviceMemory {
        /** A new device allocation; throws {@link CudaException} when the device is out of memory. */
        CUdeviceptr allocate(long bytes);

        void free(CUdeviceptr p);

        /** {free, total} bytes of the device. */
        long[] info();
    }

    private static final class Segment {
        final CUdeviceptr base;
        final long size;
        final boolean small;
        final long id;

        Segment(CUdeviceptr base, long size, boolean small, long id) {
            this.base = base;
            this.size = size;
            this.small = small;
            this.id = id;
        }
    }

    private static final class Block {
        final Segment segment;
        long offset;
        long size;
        boolean free;
        Block prev;
        Block next;

        Block(Segment segment, long offset, long size) {
            this.segment = segment;
            this.offset = offset;
            this.size = size;
        }
    }

    /** Where a handed-out block lies (tests check placement and reuse). */
    record Placement(long segmentId, long offset, long size) {}

    private static final Comparator<Block> BEST_FIT = Comparator.<Block>comparingLong(b -> b.size)
            .thenComparingLong(b -> b.segment.id).thenComparingLong(b -> b.offset);

    private static final boolean DIRECT = "direct".equals(System.getProperty("mettle.cuda.allocator"));

    private final DeviceMemory device;
    private final boolean direct;
    private final TreeSet<Block> smallFree = new TreeSet<>(BEST_FIT);
    private final TreeSet<Block> largeFree = new TreeSet<>(BEST_FIT);
    private final List<Segment> segments = new ArrayList<>();
    /** Blocks handed out and not yet freed, by the pointer object handed out. */
    private final Map<CUdeviceptr, Block> outstanding = new IdentityHashMap<>();
    private long nextSegmentId;
    private long inUseBytes;
    private long reservedBytes;
    private long peakInUseBytes;
    private long peakReservedBytes;
    private long driverAllocations;
    private long reuses;
    private long trims;
    private boolean released;
    private final DeviceHighWater highWater;
    /** Set by {@link CudaBackend} when {@link CudaProfiler#enabled()}. */
    CudaProfiler profiler;

    CudaAllocator(CudaRuntime runtime) {
        this(driver(runtime), DeviceHighWater.ofDriver());
    }

    CudaAllocator(DeviceMemory device, DeviceHighWater highWater) {
        this(device, highWater, DIRECT);
    }

    CudaAllocator(DeviceMemory device, DeviceHighWater highWater, boolean direct) {
        this.device = device;
        this.highWater = highWater;
        this.direct = direct;
    }

    private static DeviceMemory driver(CudaRuntime runtime) {
        return new DeviceMemory() {
            @Override
            public CUdeviceptr allocate(long bytes) {
                runtime.makeCurrent();
                CUdeviceptr p = new CUdeviceptr();
                cuMemAlloc(p, bytes);
                return p;
            }

            @Override
            public void free(CUdeviceptr p) {
                runtime.makeCurrent();
                cuMemFree(p);
            }

            @Override
            public long[] info() {
                runtime.makeCurrent();
                long[] fr = {0};
                long[] tot = {0};
                cuMemGetInfo(fr, tot);
                return new long[] {fr[0], tot[0]};
            }
        };
    }

    /** The driver-level high-water mark of this allocator's device memory (sampled at each cuMemAlloc). */
    public DeviceHighWater highWater() {
        return highWater;
    }

    /** The block size a request of {@code bytes} takes: a multiple of 512 B, at least 512. */
    static long roundedSize(long bytes) {
        long b = Math.max(bytes, 1);
        return (b + ROUND - 1) / ROUND * ROUND;
    }

    /** The segment a request of {@code size} (rounded) bytes gets when no free block fits. */
    static long segmentSize(long size) {
        if (size <= SMALL_MAX) {
            return SMALL_SEGMENT;
        }
        return size <= SHARED_MAX ? SHARED_SEGMENT : (size + SEGMENT_ROUND - 1) / SEGMENT_ROUND * SEGMENT_ROUND;
    }

    /** A block of at least {@code bytes} bytes; the caller frees it with {@link #free(CUdeviceptr)}. */
    synchronized CUdeviceptr allocate(long bytes) {
        if (released) {
            throw new IllegalStateException("the CUDA allocator was released (the JVM is shutting down); no device memory can be allocated");
        }
        long size = roundedSize(bytes);
        boolean small = size <= SMALL_MAX;
        TreeSet<Block> pool = small ? smallFree : largeFree;
        Block b = direct ? null : pool.ceiling(probeOf(size));
        if (b != null) {
            pool.remove(b);
            reuses++;
        } else {
            b = newSegment(bytes, size, small);
        }
        split(b, size, pool);
        b.free = false;
        CUdeviceptr p = b.segment.base.withByteOffset(b.offset);
        outstanding.put(p, b);
        inUseBytes += b.size;
        peakInUseBytes = Math.max(peakInUseBytes, inUseBytes);
        return p;
    }

    /** Sorts before every real block of its size (segment ids and offsets are >= 0). */
    private static final Segment PROBE_SEGMENT = new Segment(null, 0, false, -1);

    private static Block probeOf(long size) {
        return new Block(PROBE_SEGMENT, -1, size);
    }

    private Block newSegment(long requested, long size, boolean small) {
        long segmentBytes = direct ? size : segmentSize(size);
        long t0 = System.nanoTime();
        highWater.beforeDriverAllocation();
        CUdeviceptr base;
        try {
            base = device.allocate(segmentBytes);
        } catch (CudaException e) {
            if (trim() == 0) {
                throw outOfMemory(requested, e);
            }
            try {
                base = device.allocate(segmentBytes);
            } catch (CudaException again) {
                throw outOfMemory(requested, again);
            }
        }
        highWater.afterDriverAllocation();
        if (profiler != null) {
            profiler.add("alloc cuMemAlloc", System.nanoTime() - t0, segmentBytes);
        }
        driverAllocations++;
        Segment s = new Segment(base, segmentBytes, small, nextSegmentId++);
        segments.add(s);
        reservedBytes += segmentBytes;
        peakReservedBytes = Math.max(peakReservedBytes, reservedBytes);
        return new Block(s, 0, segmentBytes);
    }

    /** Cuts {@code b} down to {@code size} when the rest is worth keeping as a free block of its own. */
    private void split(Block b, long size, TreeSet<Block> pool) {
        long rest = b.size - size;
        // a small segment splits down to 512 B; a large one keeps remainders under 1 MiB attached (fewer slivers)
        if (rest < (b.segment.small ? ROUND : SMALL_MAX)) {
            return;
        }
        Block r = new Block(b.segment, b.offset + size, rest);
        r.free = true;
        r.prev = b;
        r.next = b.next;
        if (b.next != null) {
            b.next.prev = r;
        }
        b.next = r;
        b.size = size;
        pool.add(r);
    }

    synchronized void free(CUdeviceptr p) {
        Block b = released ? null : outstanding.remove(p);
        if (b == null) {
            return; // after releaseAll(), or a block this allocator no longer tracks: nothing to return
        }
        inUseBytes -= b.size;
        TreeSet<Block> pool = poolOf(b.segment);
        b.free = true;
        if (b.prev != null && b.prev.free) {
            pool.remove(b.prev);
            b = absorb(b.prev, b);
        }
        if (b.next != null && b.next.free) {
            pool.remove(b.next);
            absorb(b, b.next);
        }
        if (direct && b.offset == 0 && b.size == b.segment.size) {
            release(b.segment); // one block, one segment: back to the driver at once
        } else {
            pool.add(b);
        }
    }

    /** Merges the free block {@code right} into its left neighbour {@code left}; returns left. */
    private static Block absorb(Block left, Block right) {
        left.size += right.size;
        left.next = right.next;
        if (right.next != null) {
            right.next.prev = left;
        }
        return left;
    }

    private TreeSet<Block> poolOf(Segment s) {
        return s.small ? smallFree : largeFree;
    }

    /** Returns every wholly free segment to the driver; returns the bytes released. */
    public synchronized long trim() {
        long releasedBytes = 0;
        for (int i = segments.size() - 1; i >= 0; i--) {
            Segment s = segments.get(i);
            TreeSet<Block> pool = poolOf(s);
            Block whole = pool.ceiling(new Block(s, 0, s.size));
            if (whole != null && whole.segment == s && whole.offset == 0 && whole.size == s.size) {
                pool.remove(whole);
                release(s);
                releasedBytes += s.size;
            }
        }
        trims++;
        return releasedBytes;
    }

    /** Frees a segment whose one free block is no longer in a pool. */
    private void release(Segment s) {
        device.free(s.base);
        segments.remove(s);
        reservedBytes -= s.size;
    }

    /**
     * Returns every segment to the driver and refuses allocations from then on. Runs from a shutdown hook (so that
     * compute-sanitizer's leak check sees a clean exit); tensors still open become unusable.
     */
    public synchronized void releaseAll() {
        if (released) {
            return;
        }
        try {
            for (Segment s : segments) {
                device.free(s.base);
            }
        } catch (RuntimeException e) {
            // the context may already be gone at exit; nothing left to return then
        } finally {
            segments.clear();
            smallFree.clear();
            largeFree.clear();
            outstanding.clear();
            inUseBytes = 0;
            reservedBytes = 0;
            released = true;
        }
    }

    /** Where a handed-out pointer's block lies, or null when it is not handed out. */
    synchronized Placement placement(CUdeviceptr p) {
        Block b = outstanding.get(p);
        return b == null ? null : new Placement(b.segment.id, b.offset, b.size);
    }

    private IllegalStateException outOfMemory(long bytes, CudaException e) {
        long[] info = {0, 0};
        try {
            info = device.info();
        } catch (CudaException ignored) {
            // report what we know
        }
        return new IllegalStateException("CUDA out of memory allocating " + MemoryLedger.bytes(bytes) + " (device free "
                + MemoryLedger.bytes(info[0]) + " of " + MemoryLedger.bytes(info[1]) + ", this process holds "
                + MemoryLedger.bytes(inUseBytes) + " in tensors, " + MemoryLedger.bytes(reservedBytes) + " reserved): reduce the batch size or use --device cpu ("
                + e.getMessage() + ")");
    }

    public synchronized Stats stats() {
        return new Stats(inUseBytes, reservedBytes - inUseBytes, peakInUseBytes, peakReservedBytes, driverAllocations, reuses, trims);
    }

    /** Starts new peak windows: the peaks become what is held now. */
    public synchronized void resetPeaks() {
        peakInUseBytes = inUseBytes;
        peakReservedBytes = reservedBytes;
    }

    /**
     * Compares the ledger and this allocator with the driver's cuMemGetInfo: the ledger's live bytes must not exceed the
     * allocator's rounded in-use bytes, and the reserved bytes must not exceed what the device reports as used.
     */
    public synchronized MemoryCheck checkAgainstDevice() {
        long[] info = device.info();
        long ledgerLive = MemoryLedger.of(Device.CUDA).liveTotal();
        return new MemoryCheck(ledgerLive, inUseBytes, reservedBytes, info[1] - info[0], info[1]);
    }

    /** Bytes in blocks handed out, bytes reserved but free ("cached"), their peaks, segments taken from the driver. */
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
