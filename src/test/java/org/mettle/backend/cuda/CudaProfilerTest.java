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
        // 20 ms wall - 14.5 ms accounted = 5.5 ms outside
        assertTrue(table.matches("(?s).*host time outside these.*\\s5\\.50\\s+27\\.5%.*"), table);
        assertEquals("{\"rows\":[{\"name\":\"fallback l2Normalize\",\"calls\":1,\"ms\":10.000,\"bytes\":0}]}", p.toJson(1));
        p.reset();
        assertTrue(p.rows().isEmpty());
    }
}
