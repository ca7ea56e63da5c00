package org.mettle.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import jcuda.CudaException;
import jcuda.driver.CUdeviceptr;
import org.junit.jupiter.api.Test;

/** The caching allocator's placement, splitting, merging and trimming against a fake driver (no GPU needed). */
class CudaAllocatorTest {
    private static final long KIB = 1024;
    private static final long MIB = 1L << 20;

    /** A device of {@code capacity} bytes that hands out distinct pointer objects. */
    static final class FakeDevice implements CudaAllocator.DeviceMemory {
        final long capacity;
        final Map<CUdeviceptr, Long> live = new IdentityHashMap<>();
        long used;
        int allocations;
        int frees;

        FakeDevice(long capacity) {
            this.capacity = capacity;
        }

        @Override
        public CUdeviceptr allocate(long bytes) {
            if (used + bytes > capacity) {
                throw new CudaException("CUDA_ERROR_OUT_OF_MEMORY");
            }
            CUdeviceptr p = new CUdeviceptr();
            live.put(p, bytes);
            used += bytes;
            allocations++;
            return p;
        }

        @Override
        public void free(CUdeviceptr p) {
            Long bytes = live.remove(p);
            if (bytes == null) {
                throw new IllegalStateException("double or foreign free");
            }
            used -= bytes;
            frees++;
        }

        @Override
        public long[] info() {
            return new long[] {capacity - used, capacity};
        }
    }

    private static CudaAllocator allocator(FakeDevice d) {
        return new CudaAllocator(d, new DeviceHighWater(() -> d.used));
    }

    @Test
    void sizesRoundTo512AndPickTheirSegment() {
        assertEquals(512, CudaAllocator.roundedSize(0));
        assertEquals(1024, CudaAllocator.roundedSize(513));
        assertEquals(MIB + 512, CudaAllocator.roundedSize(MIB + 1), "no 2 MiB rounding of the block itself");
        assertEquals(2 * MIB, CudaAllocator.segmentSize(MIB));
        assertEquals(20 * MIB, CudaAllocator.segmentSize(MIB + 512));
        assertEquals(20 * MIB, CudaAllocator.segmentSize(10 * MIB));
        assertEquals(12 * MIB, CudaAllocator.segmentSize(10 * MIB + 512), "a large request gets its own segment");
    }

    @Test
    void smallBlocksShareASegmentAndFreedOnesAreReused() {
        FakeDevice d = new FakeDevice(1L << 30);
        CudaAllocator a = allocator(d);
        CUdeviceptr p1 = a.allocate(1000);
        CUdeviceptr p2 = a.allocate(1000);
        CUdeviceptr p3 = a.allocate(3000);
        assertEquals(1, d.allocations, "one 2 MiB segment serves all three");
        assertEquals(new CudaAllocator.Placement(0, 0, 1024), a.placement(p1));
        assertEquals(new CudaAllocator.Placement(0, 1024, 1024), a.placement(p2));
        assertEquals(new CudaAllocator.Placement(0, 2048, 3072), a.placement(p3));
        assertEquals(5 * KIB, a.stats().inUseBytes());
        assertEquals(2 * MIB - 5 * KIB, a.stats().cachedBytes());
        a.free(p2);
        assertNull(a.placement(p2));
        long reuses = a.stats().reuses();
        CUdeviceptr p4 = a.allocate(600);
        assertEquals(new CudaAllocator.Placement(0, 1024, 1024), a.placement(p4), "best fit: the freed 1 KiB hole");
        assertEquals(reuses + 1, a.stats().reuses());
        assertEquals(1, d.allocations);
    }

    @Test
    void bestFitTakesTheSmallestHoleThatFits() {
        FakeDevice d = new FakeDevice(1L << 30);
        CudaAllocator a = allocator(d);
        CUdeviceptr x = a.allocate(8 * KIB);
        CUdeviceptr keep1 = a.allocate(512);
        CUdeviceptr y = a.allocate(4 * KIB);
        CUdeviceptr keep2 = a.allocate(512);
        a.free(x);
        a.free(y);
        CUdeviceptr z = a.allocate(3 * KIB);
        assertEquals(a.placement(z).offset(), 8 * KIB + 512, "the 4 KiB hole, not the 8 KiB one");
        CUdeviceptr w = a.allocate(6 * KIB);
        assertEquals(0, a.placement(w).offset(), "then the 8 KiB hole");
        assertTrue(a.placement(keep1) != null && a.placement(keep2) != null);
    }

    @Test
    void freedNeighboursMergeAndTrimReturnsWholeSegments() {
        FakeDevice d = new FakeDevice(1L << 30);
        CudaAllocator a = allocator(d);
        List<CUdeviceptr> ps = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ps.add(a.allocate(300 * KIB));
        }
        CUdeviceptr big = a.allocate(5 * MIB);
        assertEquals(2, d.allocations, "one small and one shared large segment");
        // free in an order that needs merges on both sides
        for (int i : new int[] {1, 3, 0, 4, 2}) {
            a.free(ps.get(i));
        }
        assertEquals(2 * MIB, a.trim(), "the small segment is whole again and goes back");
        assertEquals(1, d.frees);
        CUdeviceptr big2 = a.allocate(5 * MIB);
        assertEquals(new CudaAllocator.Placement(1, 5 * MIB, 5 * MIB), a.placement(big2), "cut from the same 20 MiB segment");
        a.free(big);
        assertEquals(0, a.trim(), "the large segment still holds big2");
        a.free(big2);
        assertEquals(20 * MIB, a.trim());
        assertEquals(0, d.used);
        assertEquals(0, a.stats().inUseBytes());
        assertEquals(0, a.stats().cachedBytes());
    }

    @Test
    void aRepeatedStepReachesASteadyStateNearItsPeak() {
        // the pattern of one training step: varying sizes allocated and freed in the same order every step
        FakeDevice d = new FakeDevice(1L << 34);
        CudaAllocator a = allocator(d);
        Random r = new Random(7);
        long[] sizes = new long[400];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = r.nextInt(4) == 0 ? 1 + r.nextInt(40 << 20) : 1 + r.nextInt(600 << 10);
        }
        int driverAfterFirst = -1;
        long peakInUse = 0;
        for (int step = 0; step < 5; step++) {
            List<CUdeviceptr> live = new ArrayList<>();
            for (int i = 0; i < sizes.length; i++) {
                live.add(a.allocate(sizes[i]));
                if (i % 3 == 2) { // activations freed as the step goes on, some kept to its end
                    a.free(live.remove(live.size() - 2));
                }
            }
            peakInUse = Math.max(peakInUse, a.stats().peakInUseBytes());
            for (int i = live.size() - 1; i >= 0; i--) {
                a.free(live.get(i));
            }
            if (step == 0) {
                driverAfterFirst = d.allocations;
            }
        }
        assertEquals(driverAfterFirst, d.allocations, "later steps are served from the cache");
        long reserved = a.stats().peakReservedBytes();
        assertTrue(reserved <= peakInUse * 1.25 + 40 * MIB, "reserved " + reserved + " vs peak in use " + peakInUse);
    }

    @Test
    void randomTrafficNeverOverlapsAndEverythingComesBack() {
        FakeDevice d = new FakeDevice(1L << 34);
        CudaAllocator a = allocator(d);
        Random r = new Random(11);
        List<CUdeviceptr> live = new ArrayList<>();
        for (int op = 0; op < 4000; op++) {
            if (live.isEmpty() || r.nextInt(5) < 3) {
                long n = r.nextBoolean() ? 1 + r.nextInt(200 << 10) : 1 + r.nextInt(24 << 20);
                live.add(a.allocate(n));
            } else {
                int i = r.nextInt(live.size());
                a.free(live.remove(i));
            }
            if (op % 250 == 0) {
                assertNoOverlap(a, live);
            }
        }
        assertNoOverlap(a, live);
        long inUse = 0;
        for (CUdeviceptr p : live) {
            inUse += a.placement(p).size();
        }
        assertEquals(inUse, a.stats().inUseBytes());
        Collections.shuffle(live, r);
        for (CUdeviceptr p : live) {
            a.free(p);
        }
        a.trim();
        assertEquals(0, d.used, "every segment merged back whole and was returned");
        assertTrue(d.live.isEmpty());
    }

    private static void assertNoOverlap(CudaAllocator a, List<CUdeviceptr> live) {
        List<CudaAllocator.Placement> ps = new ArrayList<>();
        for (CUdeviceptr p : live) {
            ps.add(a.placement(p));
        }
        ps.sort((x, y) -> x.segmentId() != y.segmentId() ? Long.compare(x.segmentId(), y.segmentId()) : Long.compare(x.offset(), y.offset()));
        for (int i = 1; i < ps.size(); i++) {
            CudaAllocator.Placement prev = ps.get(i - 1);
            CudaAllocator.Placement cur = ps.get(i);
            assertFalse(prev.segmentId() == cur.segmentId() && prev.offset() + prev.size() > cur.offset(), prev + " overlaps " + cur);
        }
    }

    @Test
    void outOfMemoryTrimsOnceThenNamesTheRequest() {
        FakeDevice d = new FakeDevice(40 * MIB);
        CudaAllocator a = allocator(d);
        CUdeviceptr p = a.allocate(30 * MIB);
        a.free(p);
        CUdeviceptr q = a.allocate(36 * MIB); // only fits after the cached 30 MiB segment goes back
        assertEquals(36 * MIB, a.placement(q).size());
        assertEquals(1, d.frees);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> a.allocate(8 * MIB));
        assertTrue(e.getMessage().contains("CUDA out of memory allocating 8.00 MiB"), e.getMessage());
        assertTrue(e.getMessage().contains("reduce the batch size"), e.getMessage());
    }

    @Test
    void directModeGivesEveryBlockItsOwnAllocation() {
        FakeDevice d = new FakeDevice(1L << 30);
        CudaAllocator a = new CudaAllocator(d, new DeviceHighWater(() -> d.used), true);
        CUdeviceptr p = a.allocate(1000);
        CUdeviceptr q = a.allocate(1000);
        assertEquals(2, d.allocations);
        assertEquals(2048, d.used, "exact 512 B multiples, no shared segment");
        a.free(p);
        assertEquals(1, d.frees, "freed at once, not cached");
        a.free(q);
        assertEquals(0, d.used);
    }

    @Test
    void releaseAllReturnsEverySegmentAndRefusesMore() {
        FakeDevice d = new FakeDevice(1L << 30);
        CudaAllocator a = allocator(d);
        CUdeviceptr p = a.allocate(1000);
        a.allocate(15 * MIB);
        a.releaseAll();
        assertEquals(0, d.used);
        a.free(p); // a tensor closed after the release: ignored
        assertThrows(IllegalStateException.class, () -> a.allocate(10));
    }
}
