package org.mettle.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The profile's bookkeeping and report (the timing itself needs a GPU: native/gpu-profile.sh). */
class CudaProfilerTest {
    @Test
    void rowsSortByTimeAndTotalsGroupByKind() {
        CudaProfiler p = new CudaProfiler();
        p.add("kernel gemm_f32", 3_000_000, 0);
        p.add("kernel gemm_f32", 1_000_000, 0);
        p.add("fallback l2Normalize", 10_000_000, 0);
        p.add("copy HtoD", 500_000, 4096);
        List<CudaProfiler.Row> rows = p.rows();
        assertEquals("fallback l2Normalize", rows.get(0).name());
        assertEquals(new CudaProfiler.Row("kernel gemm_f32", 2, 4_000_000, 0), rows.get(1));
        String table = p.table(20_000_000, 10);
        assertTrue(table.contains("total kernel"), table);
        assertTrue(table.matches("(?s).*fallback l2Normalize\\s+1\\s+10\\.00\\s+50\\.0%.*"), table);
        assertTrue(table.matches("(?s).*total kernel\\s+2\\s+4\\.00\\s+20\\.0%.*"), table);
        assertTrue(table.matches("(?s).*wall\\s+20\\.00\\s+100\\.0%.*"), table);
        assertEquals("{\"rows\":[{\"name\":\"fallback l2Normalize\",\"calls\":1,\"ms\":10.000,\"bytes\":0}]}", p.toJson(1));
        p.reset();
        assertTrue(p.rows().isEmpty());
    }

    @Test
    void eventTimerTimesRealLaunchesOnTheGpu() {
        CudaBackend gpu = CudaTestSupport.cudaOrSkip();
        CudaKernels kernels = new CudaKernels(gpu.runtime());
        CudaProfiler p = new CudaProfiler();
        kernels.profileWith(p);
        try (org.mettle.tensor.Tensor t = org.mettle.tensor.Tensor.empty(gpu, org.mettle.tensor.Shape.of(1 << 20), org.mettle.tensor.DType.F32)) {
            for (int i = 0; i < 3; i++) {
                kernels.launch("ew_fill_f32", CudaKernels.gridStride(1 << 20), 1, 1, 256, (long) (1 << 20), 2f, CudaBackend.ptr(t));
            }
            java.util.Map<String, CudaProfiler.Row> rows = new java.util.HashMap<>();
            p.rows().forEach(r -> rows.put(r.name(), r));
            assertEquals(3, rows.get("kernel ew_fill_f32").calls(), rows.toString());
            assertTrue(rows.get("kernel ew_fill_f32").nanos() > 0, rows.toString());
            assertEquals(3, rows.get("host launch").calls(), rows.toString());
            assertEquals(2f, t.toFloatArray()[12345]);
        }
    }
}
