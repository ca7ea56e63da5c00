package org.mettle.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The optional cuBLAS probe: one line, the reason when it is unavailable (runs on every machine). */
class CublasSupportTest {
    @Test
    void statusIsOneLineAndStable() {
        String status = CublasSupport.status();
        assertFalse(status.contains("\n"), status);
        assertTrue(status.startsWith("usable: cuBLAS ") || status.startsWith("not available: "), status);
        assertEquals(status, CublasSupport.status(), "the probe runs once");
        assertEquals(status.startsWith("usable: "), CublasSupport.isUsable());
        if (CublasSupport.libraryProblem() != null) {
            // the natives did not load: that is the reason given, and it names what is missing
            assertEquals("not available: " + CublasSupport.libraryProblem(), status);
            assertTrue(status.contains("JCublas"), status);
        } else if (!CudaRuntime.isUsable()) {
            assertTrue(status.contains("CUDA is not usable"), status);
        }
        System.out.println("cublas: " + status);
    }

    @Test
    void missingCublasLibraryIsNamed() {
        // the shape of the loader's message on a machine without libcublas.so.12 (seen here)
        UnsatisfiedLinkError e = new UnsatisfiedLinkError("Error while loading native library \"JCublas2-12.6.0-linux-x86_64\"\n"
                + "Stack trace from the attempt to load the library as a file:\n"
                + "java.lang.UnsatisfiedLinkError: no JCublas2-12.6.0-linux-x86_64 in java.library.path: /usr/lib\n"
                + "Stack trace from the attempt to load the library as a resource:\n"
                + "java.lang.UnsatisfiedLinkError: /tmp/libJCublas2-12.6.0-linux-x86_64.so: libcublas.so.12: cannot open shared object file: "
                + "No such file or directory\n");
        String reason = CublasSupport.reason(e);
        assertTrue(reason.startsWith("JCublas's native library needs libcublas.so.12, which is not installed here"), reason);
        assertFalse(reason.contains("\n"), reason);
        String other = CublasSupport.reason(new UnsatisfiedLinkError("something else\nmore"));
        assertEquals("JCublas's native library did not load: UnsatisfiedLinkError: something else", other);
    }
}
