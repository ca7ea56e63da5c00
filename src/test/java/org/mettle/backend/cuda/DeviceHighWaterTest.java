package org.mettle.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.mettle.tensor.DType;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;

/** The driver-level high-water mark: its bookkeeping with a scripted "device", and on a GPU against a real allocation. */
class DeviceHighWaterTest {
    /** A device whose used bytes the test sets. */
    private static final class FakeDevice {
        long used;
    }

    @Test
    void peakIsTheHighestSampleAboveTheBaselineUntilReset() {
        FakeDevice dev = new FakeDevice();
        DeviceHighWater hw = new DeviceHighWater(() -> dev.used);
        assertEquals(0, hw.peakBytes(), "nothing allocated yet");
        assertEquals(-1, hw.baselineBytes());
        dev.used = 500;                         // the context and other processes
        hw.beforeDriverAllocation();
        dev.used = 1500;
        hw.afterDriverAllocation();
        hw.beforeDriverAllocation();            // a later allocation keeps the first baseline
        dev.used = 4500;
        hw.afterDriverAllocation();
        dev.used = 2500;                        // freed to the driver (trim): the mark stays
        assertEquals(500, hw.baselineBytes());
        assertEquals(4000, hw.peakBytes());
        assertEquals(2, hw.samples());
        hw.reset();                             // new window from what is used now
        assertEquals(2000, hw.peakBytes());
        hw.beforeDriverAllocation();
        dev.used = 3000;
        hw.afterDriverAllocation();
        assertEquals(2500, hw.peakBytes());
    }

    @Test
    void resetBeforeAnyAllocationKeepsZero() {
        FakeDevice dev = new FakeDevice();
        dev.used = 700;
        DeviceHighWater hw = new DeviceHighWater(() -> dev.used);
        hw.reset();
        assertEquals(0, hw.peakBytes());
        assertEquals(-1, hw.baselineBytes());
    }

    /** Skipped (with the reason) without a usable GPU. */
    @Test
    void aDriverAllocationRaisesTheMarkByAtLeastItsSize() {
        CudaBackend gpu = CudaTestSupport.cudaOrSkip();
        CudaAllocator alloc = gpu.allocator();
        alloc.trim();
        alloc.highWater().reset();
        long before = alloc.highWater().peakBytes();
        int floats = 24 << 20; // 96 MiB: a fresh rounded size, so the driver is asked
        try (Tensor t = Tensor.empty(gpu, Shape.of(floats), DType.F32)) {
            long peak = alloc.highWater().peakBytes();
            System.out.println("device high-water " + before + " -> " + peak + " B after a " + 4L * floats + " B allocation; "
                    + alloc.checkAgainstDevice().describe());
            assertTrue(peak >= before + 4L * floats, "high-water " + peak + " B should grow by the allocation from " + before + " B");
        }
    }
}
