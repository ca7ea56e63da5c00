package org.mettle.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.mettle.bench.GemmBenchmark;

/** The benchmark's result records and JSON lines (shape only: no timing is asserted). */
class GemmBenchmarkTest {
    @Test
    void resultCarriesTheShapeAndPrintsOneJsonObject() {
        GemmBenchmark.Result r = GemmBenchmark.run(9, 7, 5, 0, 3);
        assertEquals(9, r.m());
        assertEquals(7, r.n());
        assertEquals(5, r.k());
        assertEquals(CpuParallel.threads(), r.threads());
        assertEquals(Gemm.kernel().path(), r.path());
        assertTrue(r.minMs() <= r.ms(), "min " + r.minMs() + " must not exceed median " + r.ms());
        String json = r.toJson();
        assertTrue(json.startsWith("{\"op\":\"gemm\",\"m\":9,\"n\":7,\"k\":5,\"ms\":"), json);
        for (String key : new String[] {"\"min_ms\":", "\"gflops\":", "\"threads\":", "\"path\":\"vector\""}) {
            assertTrue(json.contains(key), json + " lacks " + key);
        }
        assertEquals(-1, json.indexOf('\n'), "one line");
    }

    @Test
    void batchedResultAndArgumentErrors() {
        GemmBenchmark.BatchedResult r = GemmBenchmark.runBatched(4, 3, 5, 2, 0, 1);
        assertTrue(r.toJson().startsWith("{\"op\":\"gemm_batched\",\"batch\":4,\"m\":3,\"n\":5,\"k\":2,"), r.toJson());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GemmBenchmark.run(0, 1, 1, 0, 1));
        assertTrue(e.getMessage().contains("m=0"), e.getMessage());
    }
}
