package org.mettle.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The optional cuDNN probe: one line, the reason when it is unavailable (runs on every machine). */
class CudnnSupportTest {
    @Test
    void statusIsOneLineAndStable() {
        String status = CudnnSupport.status();
        assertFalse(status.contains("\n"), status);
        assertTrue(status.startsWith("usable: cuDNN ") || status.startsWith("not available: "), status);
        assertEquals(status, CudnnSupport.status(), "the probe runs once");
        assertEquals(status.startsWith("usable: "), CudnnSupport.isUsable());
        boolean libcudnnHere = Stream.of("/usr/lib/x86_64-linux-gnu", "/usr/local/cuda/lib64", "/usr/lib64")
                .anyMatch(d -> Files.exists(Path.of(d, "libcudnn.so.9")));
        if (!libcudnnHere && System.getenv().getOrDefault("LD_LIBRARY_PATH", "").isEmpty()) {
            // no cuDNN 9 anywhere the loader looks by default: the probe must say so and name the library
            assertTrue(status.startsWith("not available: ") && status.contains("libcudnn.so.9"), status);
        }
        System.out.println("cudnn: " + status);
    }

    @Test
    void missingCudnnLibraryIsNamed() {
        UnsatisfiedLinkError e = new UnsatisfiedLinkError("Error while loading native library \"JCudnn-12.6.0-linux-x86_64\"\n"
                + "java.lang.UnsatisfiedLinkError: /tmp/libJCudnn-12.6.0-linux-x86_64.so: libcudnn.so.9: cannot open shared object file: "
                + "No such file or directory\n");
        String reason = CudnnSupport.reason(e);
        assertTrue(reason.startsWith("JCudnn's native library needs libcudnn.so.9, which is not installed here"), reason);
        assertFalse(reason.contains("\n"), reason);
        assertEquals("JCudnn's native library did not load: UnsatisfiedLinkError: something else",
                CudnnSupport.reason(new UnsatisfiedLinkError("something else\nmore")));
    }
}
