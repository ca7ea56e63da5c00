package org.mettle.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.mettle.backend.Backends;

/** The kernel path is chosen by whether the JVM has jdk.incubator.vector (the build runs the tests both ways). */
class CpuPathTest {
    @Test
    void kernelPathMatchesTheJvmModules() {
        boolean expectVector = Boolean.parseBoolean(System.getProperty("mettle.expectVector", "true"));
        assertEquals(expectVector, VectorSupport.available(), "Vector API availability");
        String gemmClass = Gemm.kernel().getClass().getSimpleName();
        assertEquals(expectVector ? "VectorGemm" : "ScalarGemm", gemmClass);
        assertEquals(expectVector ? "vector" : "scalar", CpuAttention.path());
        assertEquals(expectVector, Backends.cpu().describe().contains("vector ("), Backends.cpu().describe());
    }
}
